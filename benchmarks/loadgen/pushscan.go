package loadgen

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// serverRequest is the part of a server request the load generator reads:
// its requestId and, for a NotifySubscriberRequest, the port of its first
// host (the change it carries, see changePort).
type serverRequest struct {
	RequestID string
	FirstPort int // serviceInfo.hosts[0].port; 0 with no hosts
}

// jsonServerRequest is serverRequest as encoding/json reads it.
type jsonServerRequest struct {
	RequestID   string `json:"requestId"`
	ServiceInfo struct {
		Hosts []struct {
			Port int `json:"port"`
		} `json:"hosts"`
	} `json:"serviceInfo"`
}

// readServerRequest reads body's serverRequest: scanned in place when the
// body is plain JSON (ASCII, no escapes), else (or when the scan meets
// anything it might read differently) through encoding/json. Decoding
// every push whole was about a quarter of the lean load generator's CPU in
// a paced fan-out to 10,000 (encoding/json.Unmarshal in its profile),
// enough to make the load generator, not Herald, set the pace.
func readServerRequest(body []byte) (serverRequest, error) {
	if r, ok := scanServerRequest(body); ok {
		return r, nil
	}
	return decodeServerRequest(body)
}

// decodeServerRequest is readServerRequest through encoding/json: the
// fallback, and the reading the scan is held to.
func decodeServerRequest(body []byte) (serverRequest, error) {
	var j jsonServerRequest
	if err := json.Unmarshal(body, &j); err != nil {
		return serverRequest{}, err
	}
	r := serverRequest{RequestID: j.RequestID}
	if len(j.ServiceInfo.Hosts) > 0 {
		r.FirstPort = j.ServiceInfo.Hosts[0].Port
	}
	return r, nil
}

// scanServerRequest is readServerRequest's fast path: one pass that checks
// the body's syntax as it goes (it answers only for valid JSON) and reads
// requestId from the top object and serviceInfo.hosts[0].port, skipping
// the rest. It gives up (ok false) wherever encoding/json might read the
// body differently or where it does not follow JSON that far: a body that
// is not an object, a string with an escape or a byte outside printable
// ASCII, nesting deeper than maxDepth, one of those keys twice or spelt in
// another case (encoding/json matches names case-insensitively), or a
// value of another type than a string id, an object or null, an array or
// null, and an integer port.
func scanServerRequest(b []byte) (r serverRequest, ok bool) {
	s := scanner{b: b}
	if s.peek() != '{' {
		return r, false
	}
	var seenID, seenInfo bool
	ok = s.object(func(key []byte) bool {
		switch {
		case string(key) == "requestId":
			id, ok := s.str()
			seenID, r.RequestID = !seenID, string(id)
			return ok && seenID
		case string(key) == "serviceInfo":
			seenInfo = !seenInfo
			return seenInfo && s.orNull('{', func() bool { return s.serviceInfo(&r.FirstPort) })
		case foldsTo(key, "requestId", "serviceInfo"):
			return false
		}
		return s.skip()
	})
	return r, ok && s.end()
}

// serviceInfo reads the object's hosts[0].port into port.
func (s *scanner) serviceInfo(port *int) bool {
	seen := false
	return s.object(func(key []byte) bool {
		switch {
		case string(key) == "hosts":
			seen = !seen
			return seen && s.orNull('[', func() bool {
				return s.array(func(i int) bool {
					if i > 0 {
						return s.skip()
					}
					return s.peek() == '{' && s.firstHost(port)
				})
			})
		case foldsTo(key, "hosts"):
			return false
		}
		return s.skip()
	})
}

// firstHost reads the object's port into port.
func (s *scanner) firstHost(port *int) bool {
	seen := false
	return s.object(func(key []byte) bool {
		switch {
		case string(key) == "port":
			seen = !seen
			digits, ok := s.number()
			n, err := strconv.Atoi(string(digits)) // fails for fractions and exponents, as encoding/json does
			*port = n
			return seen && ok && err == nil
		case foldsTo(key, "port"):
			return false
		}
		return s.skip()
	})
}

// orNull reads the value at s.i with read when it opens with open; null
// (which leaves encoding/json's target as it was) is skipped; anything
// else gives up.
func (s *scanner) orNull(open byte, read func() bool) bool {
	switch s.peek() {
	case open:
		return read()
	case 'n':
		return s.word("null")
	}
	return false
}

// foldsTo reports whether key is one of names in another case.
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// maxDepth bounds the nesting the scanner follows.
const maxDepth = 64

// scanner reads JSON in place. Each reading method checks the syntax of
// what it reads and reports false, leaving the scan to be abandoned, on
// anything it does not accept.
type scanner struct {
	b     []byte
	i     int
	depth int
}

// peek skips white space and returns the next byte, 0 at the end.
func (s *scanner) peek() byte {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
	if s.i == len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// end reports whether only white space is left.
func (s *scanner) end() bool { return s.peek() == 0 && s.i == len(s.b) }

// str reads a string of printable ASCII without escapes; the bytes are
// the body's.
func (s *scanner) str() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			v := s.b[s.i+1 : j]
			s.i = j + 1
			return v, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// number reads a JSON number; the bytes are the body's.
func (s *scanner) number() ([]byte, bool) {
	s.peek()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case !s.digits():
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.b[start:s.i], true
}

// digits reads one or more decimal digits.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// word reads the literal w.
func (s *scanner) word(w string) bool {
	s.peek()
	if !bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		return false
	}
	s.i += len(w)
	return true
}

// skip reads any value.
func (s *scanner) skip() bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		return s.array(func(int) bool { return s.skip() })
	case c == 't':
		return s.word("true")
	case c == 'f':
		return s.word("false")
	case c == 'n':
		return s.word("null")
	}
	_, ok := s.number()
	return ok
}

// object reads the object at s.i, calling member with s.i at each
// member's value; member must read the value, or return false to give up.
func (s *scanner) object(member func(key []byte) bool) bool {
	if s.depth++; s.depth > maxDepth || s.peek() != '{' {
		return false
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		s.depth--
		return true
	}
	for {
		key, ok := s.str()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// array reads the array at s.i, calling elem with s.i at each element;
// elem must read it, or return false to give up.
func (s *scanner) array(elem func(i int) bool) bool {
	if s.depth++; s.depth > maxDepth || s.peek() != '[' {
		return false
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		s.depth--
		return true
	}
	for n := 0; ; n++ {
		if !elem(n) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}
