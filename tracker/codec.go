package tracker

import (
	"encoding/json"
	"fmt"
)

// A Record is stored as one JSON object with short names and zero values
// left out, about half the bytes of the API's JSON; its id is not stored
// (the Redis store derives it from the entry that holds the record). For
// example:
//
//	{"p":"conn/42","r":"acked","t":1700000000123,"n":1,"ns":"prod",...}
//
// The hot paths are hand-written (codec_encode.go, codec_decode.go);
// measured against encoding/json they make Find about twice as fast
// (BenchmarkCodec). wireRecord is the same format for encoding/json: the
// decoder falls back to it for input it did not write itself, and the
// fuzz tests hold both decoders to the same answers.
//
// Adding a Record field: add it to wireRecord, toWire/fromWire,
// appendRecord and the decoder's field table; the round-trip tests fail
// until all are done.
type wireRecord struct {
	Kind          string `json:"k,omitempty"` // "" for naming
	PushID        string `json:"p,omitempty"`
	Result        string `json:"r,omitempty"`
	At            int64  `json:"t,omitempty"`
	Sent          int64  `json:"s,omitempty"`
	Acked         int64  `json:"a,omitempty"`
	Attempt       int    `json:"n,omitempty"`
	Namespace     string `json:"ns,omitempty"`
	Group         string `json:"g,omitempty"`
	Service       string `json:"sv,omitempty"`
	Clusters      string `json:"cl,omitempty"`
	ClientIP      string `json:"ip,omitempty"`
	ConnID        string `json:"c,omitempty"`
	ClientVersion string `json:"cv,omitempty"`
	ClientApp     string `json:"ca,omitempty"`
	User          string `json:"u,omitempty"`
	Instances     int    `json:"i,omitempty"`
	Revision      int64  `json:"v,omitempty"`
	Bytes         int    `json:"b,omitempty"`
	Node          string `json:"nd,omitempty"`
	TraceID       string `json:"tr,omitempty"`
	EndToEndMs    int64  `json:"e,omitempty"`
	NetworkMs     int64  `json:"w,omitempty"`
	Reason        string `json:"rs,omitempty"`
	Md5           string `json:"m5,omitempty"`
	LatestMd5     string `json:"l5,omitempty"`
	ContentType   string `json:"ty,omitempty"`
	SrcIP         string `json:"si,omitempty"`
	AppName       string `json:"an,omitempty"`
	LastModified  int64  `json:"lm,omitempty"`
	Cached        int    `json:"ch,omitempty"` // 1 for true
}

// decodeRecord reads a stored record; the caller sets ID. Input the fast
// decoder does not take (whitespace, unknown names, escapes it leaves to
// encoding/json, errors) goes through encoding/json.
func decodeRecord(data string) (Record, error) {
	if r, ok := decodeFast(data); ok {
		return withKind(r), nil
	}
	var w wireRecord
	if err := json.Unmarshal([]byte(data), &w); err != nil {
		return Record{}, fmt.Errorf("decode record: %w", err)
	}
	return withKind(fromWire(&w)), nil
}

// storedKind is how a kind is stored: naming, the records written before
// kinds existed and most of those written since, as nothing.
func storedKind(kind string) string {
	if kind == KindNaming {
		return ""
	}
	return kind
}

// withKind gives a decoded record its kind back.
func withKind(r Record) Record {
	if r.Kind == "" {
		r.Kind = KindNaming
	}
	return r
}

func toWire(r *Record) wireRecord {
	return wireRecord{
		Kind: storedKind(r.Kind), PushID: r.PushID, Result: r.Result, At: r.At, Sent: r.Sent, Acked: r.Acked,
		Attempt: r.Attempt, Namespace: r.Namespace, Group: r.Group, Service: r.Service,
		Clusters: r.Clusters, ClientIP: r.ClientIP, ConnID: r.ConnID,
		ClientVersion: r.ClientVersion, ClientApp: r.ClientApp, User: r.User, Instances: r.Instances,
		Revision: r.Revision, Bytes: r.Bytes, Node: r.Node, TraceID: r.TraceID,
		EndToEndMs: r.EndToEndMs, NetworkMs: r.NetworkMs, Reason: r.Reason,
		Md5: r.Md5, LatestMd5: r.LatestMd5, ContentType: r.ContentType, SrcIP: r.SrcIP, AppName: r.AppName,
		LastModified: r.LastModified, Cached: boolInt(r.Cached),
	}
}

func fromWire(w *wireRecord) Record {
	return Record{
		Kind: w.Kind, PushID: w.PushID, Result: w.Result, At: w.At, Sent: w.Sent, Acked: w.Acked,
		Attempt: w.Attempt, Namespace: w.Namespace, Group: w.Group, Service: w.Service,
		Clusters: w.Clusters, ClientIP: w.ClientIP, ConnID: w.ConnID,
		ClientVersion: w.ClientVersion, ClientApp: w.ClientApp, User: w.User, Instances: w.Instances,
		Revision: w.Revision, Bytes: w.Bytes, Node: w.Node, TraceID: w.TraceID,
		EndToEndMs: w.EndToEndMs, NetworkMs: w.NetworkMs, Reason: w.Reason,
		Md5: w.Md5, LatestMd5: w.LatestMd5, ContentType: w.ContentType, SrcIP: w.SrcIP, AppName: w.AppName,
		LastModified: w.LastModified, Cached: w.Cached != 0,
	}
}

// boolInt stores a bool as a number: 1, or 0 (left out).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
