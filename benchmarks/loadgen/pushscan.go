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
// body is valid JSON with no escapes, else (or when the scan meets
// anything it would read differently) through encoding/json. Decoding
// every push whole was about a quarter of the lean load generator's CPU in
// a paced fan-out to 10,000 (encoding/json.Unmarshal in its profile),
// enough to make the load generator, not Herald, set the pace.
func readServerRequest(body []byte) (serverRequest, error) {
	if r, ok := scanServerRequest(body); ok {
		return r, nil
	}
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

// scanServerRequest is readServerRequest's fast path. It reads requestId
// from the top object and serviceInfo.hosts[0].port, skipping everything
// else, and gives up (ok false) wherever encoding/json might read the body
// differently: a body that is not an object, one of those keys twice, or
// spelt in another case (encoding/json matches names case-insensitively),
// or a value of another type than a string id, an object or null, an
// array or null, and an integer port.
func scanServerRequest(b []byte) (r serverRequest, ok bool) {
	if bytes.IndexByte(b, '\\') >= 0 || !json.Valid(b) {
		return r, false
	}
	s := scanner{b: b}
	if s.peek() != '{' {
		return r, false
	}
	var seenID, seenInfo bool
	ok = s.object(func(key []byte) bool {
		switch {
		case string(key) == "requestId":
			if seenID || s.peek() != '"' {
				return false
			}
			seenID, r.RequestID = true, string(s.str())
		case string(key) == "serviceInfo":
			if seenInfo {
				return false
			}
			seenInfo = true
			return s.orNull('{', func() bool { return s.serviceInfo(&r.FirstPort) })
		case foldsTo(key, "requestId", "serviceInfo"):
			return false
		default:
			s.skip()
		}
		return true
	})
	return r, ok
}

// serviceInfo reads the object's hosts[0].port into port.
func (s *scanner) serviceInfo(port *int) bool {
	seen := false
	return s.object(func(key []byte) bool {
		switch {
		case string(key) == "hosts":
			if seen {
				return false
			}
			seen = true
			return s.orNull('[', func() bool {
				return s.array(func(i int) bool {
					if i > 0 {
						s.skip()
						return true
					}
					return s.peek() == '{' && s.firstHost(port)
				})
			})
		case foldsTo(key, "hosts"):
			return false
		default:
			s.skip()
		}
		return true
	})
}

// firstHost reads the object's port into port.
func (s *scanner) firstHost(port *int) bool {
	seen := false
	return s.object(func(key []byte) bool {
		switch {
		case string(key) == "port":
			if seen {
				return false
			}
			seen = true
			n, err := strconv.Atoi(string(s.literal()))
			*port = n
			return err == nil
		case foldsTo(key, "port"):
			return false
		default:
			s.skip()
		}
		return true
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
		s.literal()
		return true
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

// scanner walks valid JSON with no escapes: every quote opens or closes a
// string.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *scanner) peek() byte {
	s.space()
	return s.b[s.i]
}

// str reads the string at s.i; the bytes are the body's.
func (s *scanner) str() []byte {
	end := s.i + 1 + bytes.IndexByte(s.b[s.i+1:], '"')
	v := s.b[s.i+1 : end]
	s.i = end + 1
	return v
}

// literal reads the number, true, false or null at s.i; the bytes are
// the body's.
func (s *scanner) literal() []byte {
	s.space()
	start := s.i
	for s.i < len(s.b) && !delimiter(s.b[s.i]) {
		s.i++
	}
	return s.b[start:s.i]
}

func delimiter(c byte) bool {
	return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// skip passes over the value at s.i.
func (s *scanner) skip() {
	switch s.peek() {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for ; ; s.i++ {
			switch s.b[s.i] {
			case '"':
				s.str()
				s.i--
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					s.i++
					return
				}
			}
		}
	default:
		s.literal()
	}
}

// object walks the object at s.i, calling member with s.i at each
// member's value; member reads or skips the value, or returns false to
// give up.
func (s *scanner) object(member func(key []byte) bool) bool {
	s.i++ // '{'
	for {
		switch s.peek() {
		case '}':
			s.i++
			return true
		case ',':
			s.i++
			continue
		}
		key := s.str()
		s.peek()
		s.i++ // ':'
		s.space()
		if !member(key) {
			return false
		}
	}
}

// array walks the array at s.i, calling elem with s.i at each element.
func (s *scanner) array(elem func(i int) bool) bool {
	s.i++ // '['
	for n := 0; ; n++ {
		switch s.peek() {
		case ']':
			s.i++
			return true
		case ',':
			s.i++
		}
		if !elem(n) {
			return false
		}
	}
}
