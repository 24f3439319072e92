package tracker

import (
	"encoding/json"
	"unicode/utf8"
)

// decodeFast reads the objects appendRecord writes: no whitespace, known
// names only, string and integer values. ok is false for anything else,
// and the caller then uses encoding/json; whenever ok is true the result
// is what encoding/json would give (FuzzDecodeFast checks this).
//
// Strings in the result are substrings of data, so a decoded record holds
// on to data and nothing else.
func decodeFast(data string) (r Record, ok bool) {
	d := fastDecoder{data: data}
	if !d.byte('{') {
		return Record{}, false
	}
	if d.byte('}') {
		return r, d.i == len(data)
	}
	for {
		name, ok := d.plainString()
		if !ok || !d.byte(':') || !d.field(&r, name) {
			return Record{}, false
		}
		if d.byte('}') {
			return r, d.i == len(data)
		}
		if !d.byte(',') {
			return Record{}, false
		}
	}
}

// fastDecoder walks data; i is the next byte.
type fastDecoder struct {
	data string
	i    int
}

// field reads the value of the member called name into r.
func (d *fastDecoder) field(r *Record, name string) bool {
	if p := stringField(r, name); p != nil {
		return d.stringValue(p)
	}
	var n int64
	if !d.integer(&n) {
		return false
	}
	return setIntField(r, name, n)
}

func stringField(r *Record, name string) *string {
	switch name {
	case "k":
		return &r.Kind
	case "p":
		return &r.PushID
	case "r":
		return &r.Result
	case "ns":
		return &r.Namespace
	case "g":
		return &r.Group
	case "sv":
		return &r.Service
	case "cl":
		return &r.Clusters
	case "ip":
		return &r.ClientIP
	case "c":
		return &r.ConnID
	case "cv":
		return &r.ClientVersion
	case "ca":
		return &r.ClientApp
	case "u":
		return &r.User
	case "nd":
		return &r.Node
	case "tr":
		return &r.TraceID
	case "rs":
		return &r.Reason
	case "m5":
		return &r.Md5
	case "l5":
		return &r.LatestMd5
	case "ty":
		return &r.ContentType
	case "si":
		return &r.SrcIP
	case "an":
		return &r.AppName
	}
	return nil
}

// setIntField stores n; false for an unknown name or a value too large
// for an int field.
func setIntField(r *Record, name string, n int64) bool {
	if int64(int(n)) != n {
		switch name {
		case "n", "i", "b":
			return false
		}
	}
	switch name {
	case "t":
		r.At = n
	case "s":
		r.Sent = n
	case "a":
		r.Acked = n
	case "n":
		r.Attempt = int(n)
	case "i":
		r.Instances = int(n)
	case "v":
		r.Revision = n
	case "b":
		r.Bytes = int(n)
	case "e":
		r.EndToEndMs = n
	case "w":
		r.NetworkMs = n
	case "lm":
		r.LastModified = n
	case "ch":
		r.Cached = n != 0
	default:
		return false
	}
	return true
}

func (d *fastDecoder) byte(c byte) bool {
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

// plainString reads a string without escapes.
func (d *fastDecoder) plainString() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start, ascii := d.i, true
	for ; d.i < len(d.data); d.i++ {
		switch c := d.data[d.i]; {
		case c == '"':
			s := d.data[start:d.i]
			d.i++
			return s, ascii || utf8.ValidString(s)
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// stringValue reads a string into p; one with escapes is handed to
// encoding/json.
func (d *fastDecoder) stringValue(p *string) bool {
	start := d.i
	if s, ok := d.plainString(); ok {
		*p = s
		return true
	}
	d.i = start
	end, ok := d.escapedStringEnd()
	if !ok || json.Unmarshal([]byte(d.data[start:end]), p) != nil {
		return false
	}
	d.i = end
	return true
}

// escapedStringEnd finds the end (after the closing quote) of the string
// starting at d.i, skipping escaped characters.
func (d *fastDecoder) escapedStringEnd() (int, bool) {
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return 0, false
	}
	for i := d.i + 1; i < len(d.data); i++ {
		switch d.data[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// integer reads a JSON integer that fits in int64: optional '-', then
// "0" or digits not starting with 0, and no fraction or exponent.
func (d *fastDecoder) integer(n *int64) bool {
	neg := d.byte('-')
	start := d.i
	var u uint64
	for ; d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9'; d.i++ {
		if u > (1<<63)/10 {
			return false
		}
		u = u*10 + uint64(d.data[d.i]-'0')
	}
	digits := d.i - start
	switch {
	case digits == 0, digits > 1 && d.data[start] == '0', u > 1<<63, !neg && u == 1<<63:
		return false
	case d.i < len(d.data) && (d.data[d.i] == '.' || d.data[d.i] == 'e' || d.data[d.i] == 'E'):
		return false
	}
	*n = int64(u)
	if neg {
		*n = -int64(u)
	}
	return true
}
