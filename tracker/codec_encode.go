package tracker

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// encodeRecord returns the stored form of r (see wireRecord); r.ID is not
// stored.
func encodeRecord(r *Record) []byte {
	return appendRecord(make([]byte, 0, 512), r)
}

// appendRecord appends r as one JSON object, names as in wireRecord,
// zero values left out.
func appendRecord(b []byte, r *Record) []byte {
	o := jsonObject{b: append(b, '{')}
	o.str("p", r.PushID)
	o.str("r", r.Result)
	o.num("t", r.At)
	o.num("s", r.Sent)
	o.num("a", r.Acked)
	o.num("n", int64(r.Attempt))
	o.str("ns", r.Namespace)
	o.str("g", r.Group)
	o.str("sv", r.Service)
	o.str("cl", r.Clusters)
	o.str("ip", r.ClientIP)
	o.str("c", r.ConnID)
	o.str("cv", r.ClientVersion)
	o.str("ca", r.ClientApp)
	o.num("i", int64(r.Instances))
	o.num("v", r.Revision)
	o.num("b", int64(r.Bytes))
	o.str("nd", r.Node)
	o.str("tr", r.TraceID)
	o.num("e", r.EndToEndMs)
	o.num("w", r.NetworkMs)
	o.str("rs", r.Reason)
	return append(o.b, '}')
}

// jsonObject appends the members of one object; names are plain ASCII.
type jsonObject struct {
	b    []byte
	more bool // a member was written: the next needs a comma
}

func (o *jsonObject) name(n string) {
	if o.more {
		o.b = append(o.b, ',')
	}
	o.more = true
	o.b = append(o.b, '"')
	o.b = append(o.b, n...)
	o.b = append(o.b, '"', ':')
}

func (o *jsonObject) str(n, v string) {
	if v != "" {
		o.name(n)
		o.b = appendJSONString(o.b, v)
	}
}

func (o *jsonObject) num(n string, v int64) {
	if v != 0 {
		o.name(n)
		o.b = strconv.AppendInt(o.b, v, 10)
	}
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does; '"', '\\' and control bytes are escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
