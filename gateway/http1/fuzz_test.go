package http1

import "testing"

// FuzzParams feeds arbitrary query strings and form bodies through the
// parameter parsing and every request reader: they may refuse, never panic,
// and every refusal is a 400.
func FuzzParams(f *testing.F) {
	f.Add("serviceName=G%40%40svc&ip=1.1.1.1&port=80", "weight=1.5&metadata=%7B%22a%22%3A%22b%22%7D")
	f.Add("serviceName=svc&beat=%7B%22ip%22%3A%221.1.1.1%22%2C%22port%22%3A80%7D", "")
	f.Add("a=%zz", "metadata=k%3Dv%2Ck2")
	f.Add("port=99999&ip=&serviceName=@@", "enabled=maybe")
	f.Fuzz(func(t *testing.T, query, form string) {
		p, err := parseParams([]byte(query), "application/x-www-form-urlencoded", []byte(form))
		if err != nil {
			if status, _ := statusOf(err); status != 400 {
				t.Fatalf("parse error with status %d: %v", status, err)
			}
			return
		}
		for _, read := range []func() error{
			func() error { _, _, err := instanceFromParams(p); return err },
			func() error { _, _, err := beatInstance(p); return err },
			func() error { _, err := p.address(); return err },
		} {
			if err := read(); err != nil {
				if status, _ := statusOf(err); status != 400 {
					t.Fatalf("input error with status %d: %v", status, err)
				}
			}
		}
	})
}
