package http1

import (
	"net/url"
	"strings"

	"github.com/herald-gateway/herald/upstream"
)

// The long-poll wire (NACOS_PROTOCOL.md B.5): the Listening-Configs
// parameter a client polls with, and the changed keys it is answered.

const (
	wordSep = "\x02" // between the fields of a record (Nacos WORD_SEPARATOR)
	lineSep = "\x01" // after each record (Nacos LINE_SEPARATOR)

	// listeningParam is the form parameter of a long poll.
	listeningParam = "Listening-Configs"
	// maxListenKeys is the most keys one poll may name, as Nacos's
	// MD5Util.getClientMd5Map.
	maxListenKeys = 10000
)

// listenRecord is one key of a Listening-Configs value.
type listenRecord struct {
	key    upstream.ConfigKey // normalised and valid
	tenant string             // as the client sent it ("" when it sent none): echoed
	md5    string             // what the client holds ("" = nothing)
}

// parseListening reads a Listening-Configs value (already form-decoded):
// URL-decoded once more, as the reference server does, then records
// "dataId ␂ group ␂ md5 [␂ tenant] ␁". A malformed record, an invalid
// name or more than maxListenKeys records is a 400 naming the record (from
// 1). A key named twice counts once, its last md5 winning.
func parseListening(raw string) ([]listenRecord, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, badRequest(listeningParam, "Param '%s' is required.", listeningParam)
	}
	v, err := url.QueryUnescape(raw)
	if err != nil {
		return nil, badRequest(listeningParam, "%s is not URL-encoded: %v", listeningParam, err)
	}
	var out []listenRecord
	index := map[listenRef]int{}
	for n := 1; v != ""; n++ {
		if n > maxListenKeys {
			return nil, badRequest(listeningParam, "%s: at most %d keys in one listen", listeningParam, maxListenKeys)
		}
		line, rest, ok := strings.Cut(v, lineSep)
		if !ok {
			return nil, badRequest(listeningParam, "%s record %d is not ended by U+0001", listeningParam, n)
		}
		rec, err := parseRecord(line, n)
		if err != nil {
			return nil, err
		}
		ref := listenRef{rec.key, rec.tenant}
		if i, dup := index[ref]; dup {
			out[i] = rec
		} else {
			index[ref] = len(out)
			out = append(out, rec)
		}
		v = rest
	}
	return out, nil
}

// listenRef is a key as one poll subscribes to it: the same key under two
// tenant spellings is listened to (and echoed) twice.
type listenRef struct {
	key    upstream.ConfigKey
	tenant string
}

// parseRecord reads record n: 3 fields (no tenant) or 4.
func parseRecord(line string, n int) (listenRecord, error) {
	f := strings.Split(line, wordSep)
	if len(f) != 3 && len(f) != 4 {
		return listenRecord{}, badRequest(listeningParam,
			"%s record %d has %d fields; want dataId U+0002 group U+0002 md5 [U+0002 tenant] U+0001", listeningParam, n, len(f))
	}
	rec := listenRecord{md5: f[2]}
	if len(f) == 4 {
		rec.tenant = f[3]
	}
	rec.key = upstream.ConfigKey{Namespace: strings.TrimSpace(rec.tenant), Group: f[1], DataID: f[0]}.Normalize()
	if err := upstream.ValidateConfigKey(rec.key); err != nil {
		return listenRecord{}, badRequest(listeningParam, "%s record %d: %v", listeningParam, n, err)
	}
	return rec, nil
}

// changedRecord is the answer's record of one changed key, URL-encoded
// (UTF-8, spaces as %20: Node decodes it with decodeURIComponent, which
// leaves '+' alone). The tenant is left out when the client sent none.
func changedRecord(dataID, group, tenant string) string {
	s := dataID + wordSep + group
	if tenant != "" {
		s += wordSep + tenant
	}
	return strings.ReplaceAll(url.QueryEscape(s+lineSep), "+", "%20")
}
