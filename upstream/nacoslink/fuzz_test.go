package nacoslink

import (
	"testing"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// Nothing an upstream sends may crash the link: server requests on the
// stream and answers to unary calls.
func FuzzUpstreamMessages(f *testing.F) {
	f.Add("NotifySubscriberRequest", []byte(`{"requestId":"1","namespace":"","serviceName":"s","groupName":"",`+
		`"serviceInfo":{"name":"s","hosts":[{"ip":"1.2.3.4","port":80}],"lastRefTime":5}}`))
	f.Add("NotifySubscriberRequest", []byte(`{"serviceInfo":{"hosts":null}}`))
	f.Add("ClientDetectionRequest", []byte(`{"requestId":"2"}`))
	f.Add("ConnectResetRequest", []byte(`{"serverIp":"x","serverPort":"no"}`))
	f.Add("QueryServiceResponse", []byte(`{"resultCode":200,"serviceInfo":{"hosts":[{}]}}`))
	f.Add("ErrorResponse", []byte(`{"resultCode":500,"errorCode":301}`))
	f.Add("X", []byte(`[`))
	l, err := New(Options{Servers: []string{"127.0.0.1:1"}, Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	defer l.Close()
	k := svc("s")
	l.mu.Lock()
	l.subs[k] = newSubscription(k)
	l.mu.Unlock()
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		s := &session{done: make(chan struct{}), server: "fuzz"}
		l.mu.Lock()
		l.sess = s // pushes apply to the current session only
		l.mu.Unlock()
		l.onServerRequest(s, typ, body)
		var out nacoswire.ServiceInfoResponse
		_ = s.decode("ServiceQueryRequest", &nacospb.Payload{Metadata: &nacospb.Metadata{Type: typ},
			Body: &anypb.Any{Value: body}}, &out)
		l.mu.Lock()
		l.sess = nil
		l.mu.Unlock()
	})
}
