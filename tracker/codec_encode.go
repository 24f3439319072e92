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
	b = append(b, '{')
	first := len(b) // a member before this one needs a comma
	b = appendStrMember(b, first, "k", storedKind(r.Kind))
	b = appendStrMember(b, first, "p", r.PushID)
	b = appendStrMember(b, first, "r", r.Result)
	b = appendNumMember(b, first, "t", r.At)
	b = appendNumMember(b, first, "s", r.Sent)
	b = appendNumMember(b, first, "a", r.Acked)
	b = appendNumMember(b, first, "n", int64(r.Attempt))
	b = appendStrMember(b, first, "ns", r.Namespace)
	b = appendStrMember(b, first, "g", r.Group)
	b = appendStrMember(b, first, "sv", r.Service)
	b = appendStrMember(b, first, "cl", r.Clusters)
	b = appendStrMember(b, first, "ip", r.ClientIP)
	b = appendStrMember(b, first, "c", r.ConnID)
	b = appendStrMember(b, first, "cv", r.ClientVersion)
	b = appendStrMember(b, first, "ca", r.ClientApp)
	b = appendStrMember(b, first, "u", r.User)
	b = appendNumMember(b, first, "i", int64(r.Instances))
	b = appendNumMember(b, first, "v", r.Revision)
	b = appendNumMember(b, first, "b", int64(r.Bytes))
	b = appendStrMember(b, first, "nd", r.Node)
	b = appendStrMember(b, first, "tr", r.TraceID)
	b = appendNumMember(b, first, "e", r.EndToEndMs)
	b = appendNumMember(b, first, "w", r.NetworkMs)
	b = appendStrMember(b, first, "rs", r.Reason)
	b = appendStrMember(b, first, "m5", r.Md5)
	b = appendStrMember(b, first, "l5", r.LatestMd5)
	b = appendStrMember(b, first, "ty", r.ContentType)
	b = appendStrMember(b, first, "si", r.SrcIP)
	b = appendStrMember(b, first, "an", r.AppName)
	b = appendNumMember(b, first, "lm", r.LastModified)
	b = appendNumMember(b, first, "ch", int64(boolInt(r.Cached)))
	return append(b, '}')
}

// appendName appends `"n":`, after a comma unless b[first:] is empty;
// names are plain ASCII. The appenders take and return b by value, so
// building a record writes no pointer to the heap.
func appendName(b []byte, first int, n string) []byte {
	if len(b) > first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, n...)
	return append(b, '"', ':')
}

// appendStrMember appends the member n unless v is empty.
func appendStrMember(b []byte, first int, n, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(appendName(b, first, n), v)
}

// appendNumMember appends the member n unless v is 0.
func appendNumMember(b []byte, first int, n string, v int64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(appendName(b, first, n), v, 10)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does; '"', '\\' and control bytes are escaped.
// Printable ASCII, most of what is stored, is copied as it is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			b = appendEscaped(append(b, s[:i]...), s[i:])
			return append(b, '"')
		}
	}
	b = append(b, s...)
	return append(b, '"')
}

// appendEscaped appends the inside of a JSON string holding s, escaping
// what appendJSONString says.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
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
	return append(b, s[start:]...)
}
