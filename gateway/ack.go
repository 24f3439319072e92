package gateway

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/herald-gateway/herald/internal/nacoswire"
)

// ackFields reads the two fields an acknowledgement is matched on,
// requestId and resultCode, from a response body. It walks the top-level
// JSON object once without building anything; a body it cannot read that
// way (escaped strings, fractional codes, malformed JSON) goes through
// encoding/json, so the answer is always json.Unmarshal's.
func ackFields(body []byte) (requestID string, ok bool, err error) {
	if id, code, fast := scanAck(body); fast {
		return id, code == nacoswire.CodeSuccess, nil
	}
	var r nacoswire.Response
	if err := json.Unmarshal(body, &r); err != nil {
		return "", false, err
	}
	return r.RequestID, r.OK(), nil
}

// scanAck is the fast path of ackFields: fast is false whenever the body
// is anything but a plain object whose keys and requestId have no escapes.
func scanAck(b []byte) (id string, code int, fast bool) {
	s := ackScanner{b: b}
	if !s.byte('{') {
		return "", 0, false
	}
	seenID, seenCode := false, false
	for first := true; ; first = false {
		s.space()
		if s.peek() == '}' && first {
			s.i++
			break
		}
		key, ok := s.plain()
		if !ok || !s.byte(':') {
			return "", 0, false
		}
		s.space()
		switch string(key) {
		case "requestId":
			if seenID {
				return "", 0, false // duplicate keys: leave it to encoding/json
			}
			b, ok := s.plain()
			if !ok {
				return "", 0, false
			}
			id = string(b)
			seenID = true
		case "resultCode":
			if seenCode {
				return "", 0, false
			}
			if code, ok = s.integer(); !ok {
				return "", 0, false
			}
			seenCode = true
		case "errorCode":
			if _, ok = s.integer(); !ok {
				return "", 0, false
			}
		case "success":
			if !s.word("true") && !s.word("false") {
				return "", 0, false
			}
		case "message":
			if _, ok = s.plain(); !ok {
				return "", 0, false
			}
		default:
			// encoding/json matches field names case-insensitively: a key
			// that is one of Response's in another case is left to it.
			for _, f := range responseFields {
				if bytes.EqualFold(key, []byte(f)) {
					return "", 0, false
				}
			}
			if !s.skipValue(0) {
				return "", 0, false
			}
		}
		s.space()
		if s.byte('}') {
			break
		}
		if !s.byte(',') {
			return "", 0, false
		}
	}
	s.space()
	return id, code, s.i == len(b)
}

// responseFields are nacoswire.Response's JSON names.
var responseFields = [...]string{"resultCode", "errorCode", "success", "message", "requestId"}

type ackScanner struct {
	b []byte
	i int
}

func (s *ackScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *ackScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// byte consumes c after optional space.
func (s *ackScanner) byte(c byte) bool {
	s.space()
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// plain reads a string with no escapes and only printable ASCII, and
// returns its bytes in the body: keys and skipped values are compared or
// dropped without being copied.
func (s *ackScanner) plain() ([]byte, bool) {
	s.space()
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// integer reads an integer that fits an int, as encoding/json would
// (no leading zeros, optional minus).
func (s *ackScanner) integer() (int, bool) {
	start := s.i
	if s.peek() == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) {
		return 0, false
	}
	if c := s.peek(); c == '.' || c == 'e' || c == 'E' {
		return 0, false
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	return n, err == nil
}

// skipValue skips one JSON value it can check cheaply: plain strings,
// integers, true, false, null, and objects or arrays of those (to a small
// depth).
func (s *ackScanner) skipValue(depth int) bool {
	s.space()
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.plain()
		return ok
	case c == '-' || (c >= '0' && c <= '9'):
		_, ok := s.integer()
		return ok
	case c == 't':
		return s.word("true")
	case c == 'f':
		return s.word("false")
	case c == 'n':
		return s.word("null")
	case (c == '{' || c == '[') && depth < 4:
		return s.skipComposite(c, depth)
	}
	return false
}

func (s *ackScanner) word(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

func (s *ackScanner) skipComposite(open byte, depth int) bool {
	end := byte('}')
	if open == '[' {
		end = ']'
	}
	s.i++
	if s.byte(end) {
		return true
	}
	for {
		if open == '{' {
			if _, ok := s.plain(); !ok || !s.byte(':') {
				return false
			}
		}
		if !s.skipValue(depth + 1) {
			return false
		}
		if s.byte(end) {
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}
