package e2e

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace collector on 127.0.0.1: it decodes
// every ExportTraceServiceRequest and keeps the spans.
type otlpReceiver struct {
	srv     *httptest.Server
	arrived chan struct{} // signalled after every export

	// mu protects spans and bad.
	mu    sync.Mutex
	spans []*tracepb.Span
	bad   []string // why requests were refused
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{arrived: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// serve accepts POST /v1/traces with a protobuf body.
func (r *otlpReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var msg coltracepb.ExportTraceServiceRequest
	if err == nil && (req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf") {
		err = errBadRequest(req.Method + " " + req.URL.Path + " " + req.Header.Get("Content-Type"))
	}
	if err == nil {
		err = proto.Unmarshal(body, &msg)
	}
	r.mu.Lock()
	if err != nil {
		r.bad = append(r.bad, err.Error())
	}
	for _, rs := range msg.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			r.spans = append(r.spans, ss.Spans...)
		}
	}
	r.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
	select {
	case r.arrived <- struct{}{}:
	default:
	}
}

type errBadRequest string

func (e errBadRequest) Error() string { return "unexpected request " + string(e) }

// waitSpans waits until ok holds for the spans received so far.
func (r *otlpReceiver) waitSpans(t *testing.T, what string, timeout time.Duration, ok func([]*tracepb.Span) bool) []*tracepb.Span {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		spans, bad := append([]*tracepb.Span(nil), r.spans...), r.bad
		r.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("receiver refused exports: %v", bad)
		}
		if ok(spans) {
			return spans
		}
		select {
		case <-r.arrived:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s; %d spans received", timeout, what, len(spans))
		}
	}
}

// spanAttr returns a span attribute's value (nil if absent; the proto
// getters are nil-safe).
func spanAttr(s *tracepb.Span, key string) *commonpb.AnyValue {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

func traceHex(s *tracepb.Span) string { return hex.EncodeToString(s.TraceId) }
