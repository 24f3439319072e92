package tracker

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// stdDecode is the reference: encoding/json into wireRecord.
func stdDecode(data []byte) (Record, error) {
	var w wireRecord
	err := json.Unmarshal(data, &w)
	return fromWire(&w), err
}

func codecCases() []Record {
	odd := fullRecord(1_700_000_000_000)
	odd.Reason = "quote\" backslash\\ slash/ nl\n tab\t nul\x00 del\x7f <html>&amp; \u2028 emoji😀"
	odd.Service = "bad utf8 \xff\xfe here"
	neg := Record{At: math.MinInt64, Sent: math.MaxInt64, Attempt: -1, Instances: math.MaxInt32, Revision: -7}
	return []Record{fullRecord(1_700_000_000_000), {}, odd, neg, {PushID: "only"}}
}

func TestCodecRoundTrip(t *testing.T) {
	for _, r := range codecCases() {
		data := encodeRecord(&r)
		if !json.Valid(data) {
			t.Fatalf("%s is not valid JSON", data)
		}
		want, err := stdDecode(data)
		if err != nil {
			t.Fatalf("encoding/json rejects %s: %v", data, err)
		}
		fast, ok := decodeFast(string(data))
		if !ok {
			t.Errorf("fast decoder gave up on its own output %s", data)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Errorf("fast decode of %s:\n got %+v\nwant %+v", data, fast, want)
		}
		r.Service = strings.ToValidUTF8(r.Service, "\uFFFD")
		if want = withKind(want); !reflect.DeepEqual(want, withKind(r)) {
			t.Errorf("round trip of %s:\n got %+v\nwant %+v", data, want, r)
		}
	}
}

// TestDecodeFallback: input the fast decoder does not take still decodes
// as encoding/json decodes it, and bad input is an error.
func TestDecodeFallback(t *testing.T) {
	for _, in := range []string{
		` {"p":"x", "t": 5} `, `{"p":"x","future":{"a":[1,2]}}`, `{"P":"upper"}`,
		`{"p":null}`, `{"p":"\u00e9\ud83d\ude00"}`, `{"n":1e2}`,
	} {
		want, err := stdDecode([]byte(in))
		if err != nil {
			continue // covered below
		}
		got, err := decodeRecord(in)
		if want = withKind(want); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{``, `{`, `{"p":1}`, `{"t":"1"}`, `{"t":1.5}`, `{"n":99999999999999999999}`, `[]`, `{"p":"x"} x`} {
		if _, err := decodeRecord(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// FuzzDecodeFast: whenever the fast decoder accepts input, encoding/json
// accepts it too and gives the same record.
func FuzzDecodeFast(f *testing.F) {
	for _, r := range codecCases() {
		f.Add(encodeRecord(&r))
	}
	for _, s := range []string{`{}`, `{"t":-0}`, `{"t":01}`, `{"t":9223372036854775808}`, `{"t":-9223372036854775808}`,
		`{"p":"a\"b"}`, `{"p":"\ud800"}`, "{\"p\":\"\xff\"}", `{"p":"x","p":"y"}`, `{"n":1,}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeFast(string(data))
		if !ok {
			return
		}
		want, err := stdDecode(data)
		if err != nil {
			t.Fatalf("fast decoder accepted %q, encoding/json says %v", data, err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%q:\n fast %+v\n json %+v", data, fast, want)
		}
	})
}

// FuzzEncodeRecord: any strings and numbers encode to valid JSON that
// both decoders read back.
func FuzzEncodeRecord(f *testing.F) {
	f.Add("conn/1", "acked", int64(1700000000000), "ns", "svc", "10.0.0.1", "reason \"x\"\n", 3)
	f.Add("\xff", "", int64(-1), "{", "}", "|", "\x00\u2028", -5)
	f.Fuzz(func(t *testing.T, push, result string, at int64, ns, svc, ip, reason string, n int) {
		r := Record{PushID: push, Result: result, At: at, Namespace: ns, Service: svc, ClientIP: ip, Reason: reason, Attempt: n, Instances: -n}
		data := encodeRecord(&r)
		if !json.Valid(data) {
			t.Fatalf("invalid JSON %q", data)
		}
		want, err := stdDecode(data)
		if err != nil {
			t.Fatal(err)
		}
		want = withKind(want)
		got, err := decodeRecord(string(data))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %+v, %v; encoding/json %+v", data, got, err, want)
		}
		if got.At != at || got.Attempt != n || got.PushID != strings.ToValidUTF8(push, "\uFFFD") {
			t.Fatalf("%q lost values: %+v", data, got)
		}
	})
}

// BenchmarkCodec compares the hand-written codec with encoding/json.
func BenchmarkCodec(b *testing.B) {
	r := benchRecord(42, 1_700_000_000_000)
	data := string(encodeRecord(&r))
	b.Run("encode/fast", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			_ = encodeRecord(&r)
		}
	})
	b.Run("encode/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			w := toWire(&r)
			if _, err := json.Marshal(&w); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/fast", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, ok := decodeFast(data); !ok {
				b.Fatal("fast decoder gave up")
			}
		}
	})
	b.Run("decode/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := stdDecode([]byte(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
