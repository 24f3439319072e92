package gateway

import (
	"encoding/json"
	"testing"

	"github.com/herald-gateway/herald/internal/nacoswire"
)

var ackSeeds = []string{
	`{"resultCode":200,"errorCode":0,"success":true,"requestId":"42"}`,
	`{"requestId":"7","resultCode":500,"errorCode":302,"success":false,"message":"no handler"}`,
	` { "resultCode" : 200 , "requestId" : "9" , "headers" : {"a":"b"}, "x":[1,null,{"y":[]}] } `,
	`{"resultCode":200,"requestId":"a\"b"}`,
	`{"resultCode":2e2,"requestId":"1"}`,
	`{"RequestId":"up","resultCode":200}`,
	`{"requestId":"1","requestId":"2","resultCode":200}`,
	`{"success":"true","requestId":"1","resultCode":200}`,
	`{"resultCode":200,"requestId":"1"} trailing`,
	`{"resultCode":007,"requestId":"1"}`,
	`{}`, `[]`, `null`, `{"requestId":null,"resultCode":200}`, ``,
}

// TestAckFieldsMatchesEncodingJSON: the fast path and encoding/json agree
// on every seed, including those the fast path leaves to encoding/json.
func TestAckFieldsMatchesEncodingJSON(t *testing.T) {
	for _, body := range ackSeeds {
		checkAck(t, []byte(body))
	}
	if _, _, fast := scanAck([]byte(ackSeeds[0])); !fast {
		t.Fatal("the Go SDK's ack does not take the fast path")
	}
}

// FuzzAckFields: for any body, ackFields answers what json.Unmarshal into
// nacoswire.Response answers.
func FuzzAckFields(f *testing.F) {
	for _, s := range ackSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkAck(t, body) })
}

func checkAck(t *testing.T, body []byte) {
	t.Helper()
	id, ok, err := ackFields(body)
	var r nacoswire.Response
	jerr := json.Unmarshal(body, &r)
	if (err == nil) != (jerr == nil) {
		t.Fatalf("%q: ackFields err %v, encoding/json err %v", body, err, jerr)
	}
	if err == nil && (id != r.RequestID || ok != r.OK()) {
		t.Fatalf("%q: ackFields (%q, %v), encoding/json (%q, %v)", body, id, ok, r.RequestID, r.OK())
	}
}

// BenchmarkAckFields compares the fast path with encoding/json on the Go
// SDK's acknowledgement.
func BenchmarkAckFields(b *testing.B) {
	body := []byte(`{"resultCode":200,"errorCode":0,"success":true,"requestId":"1234567"}`)
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := ackFields(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r nacoswire.Response
			if err := json.Unmarshal(body, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
