package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// fuzzTypes are the request types the fuzzer picks from: every handled
// type, ServerCheck, and two the gateway does not serve.
func fuzzTypes() []string {
	types := []string{"ServerCheckRequest", "ConfigQueryRequest", ""}
	for typ := range unaryHandlers {
		types = append(types, typ)
	}
	sort.Strings(types[3:])
	return types
}

// FuzzUnary sends arbitrary bodies of every request type through the
// gateway's request handler on a set-up connection: every one must be
// answered in-band with a JSON response carrying a resultCode, and none
// may panic or fail the gRPC call.
func FuzzUnary(f *testing.F) {
	seeds := map[string]string{
		"InstanceRequest":           `{"requestId":"1","namespace":"public","serviceName":"s","groupName":"G","type":"registerInstance","instance":{"ip":"10.0.0.1","port":80,"weight":1,"healthy":true,"enabled":true,"ephemeral":true}}`,
		"BatchInstanceRequest":      `{"serviceName":"s","groupName":"G","type":"batchRegisterInstance","instances":[{"ip":"10.0.0.1","port":80}]}`,
		"PersistentInstanceRequest": `{"serviceName":"p","groupName":"G","type":"registerInstance","instance":{"ip":"10.0.0.2","port":81,"ephemeral":false}}`,
		"SubscribeServiceRequest":   `{"serviceName":"s","groupName":"G","subscribe":true,"clusters":"a,b"}`,
		"ServiceQueryRequest":       `{"serviceName":"s","groupName":"G","cluster":"","healthyOnly":true}`,
		"ServiceListRequest":        `{"namespace":"public","groupName":"G","pageNo":1,"pageSize":10}`,
		"HealthCheckRequest":        `{"requestId":"h"}`,
	}
	types := fuzzTypes()
	for i, typ := range types {
		if body, ok := seeds[typ]; ok {
			f.Add(uint8(i), []byte(body))
		}
		f.Add(uint8(i), []byte(`{"serviceName":"","instance":null,"instances":[null]}`))
		f.Add(uint8(i), []byte(`not json`))
		f.Add(uint8(i), []byte(nil))
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, pick uint8, body []byte) {
		fuzzOne(t, s, types[int(pick)%len(types)], body, nil)
	})
}

// FuzzUnaryAuth is FuzzUnary with auth on: bodies arrive with a valid
// token of a user allowed one namespace, or with none; every one is
// answered in-band and none panics, whatever the names it carries.
func FuzzUnaryAuth(f *testing.F) {
	f.Add(uint8(0), []byte(`{"namespace":"dev","serviceName":"s","groupName":"G","subscribe":true}`))
	f.Add(uint8(0x81), []byte(`{"tenant":"dev","dataId":"d","group":"G","configListenContexts":[{"tenant":"dev","dataId":"d","group":"G"},null]}`))
	f.Add(uint8(0x82), []byte(`{"namespace":"prod","serviceName":"s","type":"registerInstance","instance":{"ip":"10.0.0.1","port":80}}`))
	s := fuzzServer(f)
	h, err := auth.HashPasswordCost("pw", 10000)
	if err != nil {
		f.Fatal(err)
	}
	if s.opts.Auth, err = auth.New(auth.Options{Users: []string{"u:" + h}, Roles: []string{"r:u"},
		Permissions: []string{"r:dev:*:*:rw"}}); err != nil {
		f.Fatal(err)
	}
	tok, err := s.opts.Auth.Login("u", "pw", time.Now())
	if err != nil {
		f.Fatal(err)
	}
	types := fuzzTypes()
	f.Fuzz(func(t *testing.T, pick uint8, body []byte) {
		var headers map[string]string
		if pick&0x80 != 0 {
			headers = map[string]string{tokenHeader: tok}
		}
		fuzzOne(t, s, types[int(pick&0x7f)%len(types)], body, headers)
	})
}

// fuzzOne sends one request on a fresh set-up connection and checks it
// is answered in-band with a resultCode.
func fuzzOne(t *testing.T, s *Server, typ string, body []byte, headers map[string]string) {
	c := newConn(fakeAddrConn{}, time.Now(), func(*conn, string) {})
	c.enc = s.enc
	if err := c.setUp(&clientInfo{IP: "127.0.0.1"}, newOutbox(nil, 16, nil, nil)); err != nil {
		t.Fatal(err)
	}
	defer s.release(c)
	p := &nacospb.Payload{Metadata: &nacospb.Metadata{Type: typ, Headers: headers}, Body: &anypb.Any{Value: body}}
	resp := core{s}.Unary(context.Background(), c, p)
	if resp == nil {
		t.Fatalf("%s %q: no reply (bad input must be answered in-band)", typ, body)
	}
	var r struct {
		ResultCode *int `json:"resultCode"`
	}
	if err := json.Unmarshal(nacoswire.Body(resp), &r); err != nil || r.ResultCode == nil {
		t.Fatalf("%s %q: response %s %s has no resultCode (%v)", typ, body, nacoswire.Type(resp), nacoswire.Body(resp), err)
	}
}

// fuzzServer is a gateway with no listener whose hub never pushes (its
// merge window is never advanced), so no push meets the fake outbox.
func fuzzServer(f *testing.F) *Server {
	reg := upstream.NewEmbedded()
	hub, err := fanout.NewHub(fanout.NamingSource(reg), fanout.Options{Naming: fanout.Policy{MergeWindow: time.Hour}, Manual: true})
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, reg, hub)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { hub.Close(); reg.Close() })
	return s
}
