package gateway

import (
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
)

// RequestObserver is told of every client request served: the protocol
// ("grpc" here), the request type, how long serving took and the Nacos
// result code (200, or the errorCode answered). It is called on the
// request path from many goroutines: it must be fast and safe for
// concurrent use. telemetry.RequestMetrics implements it.
type RequestObserver interface {
	Observe(protocol, typ string, d time.Duration, code int)
}

// typeOther labels requests of a type Herald does not serve, so a client
// cannot grow the metric's label set.
const typeOther = "other"

// observeRequest reports one unary request to Options.Requests.
func (s *Server) observeRequest(typ string, start time.Time, code int) {
	if s.opts.Requests == nil {
		return
	}
	if _, known := unaryHandlers[typ]; !known && typ != nacoswire.TypeServerCheckRequest {
		typ = typeOther
	}
	s.opts.Requests.Observe("grpc", typ, time.Since(start), code)
}
