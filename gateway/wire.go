package gateway

import (
	"encoding/json"
	"fmt"

	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// nacosError is a failure answered to the client as an ErrorResponse with
// the given errorCode (nacoswire.Err*), or, with respType set, in that
// response type (resultCode 500, the errorCode, requestId echoed).
type nacosError struct {
	code int
	msg  string

	respType, requestID string
}

func (e *nacosError) Error() string { return fmt.Sprintf("nacos error %d: %s", e.code, e.msg) }

func errorf(code int, format string, args ...any) *nacosError {
	return &nacosError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errUnregisteredConn is the answer to a request before ConnectionSetup.
func errUnregisteredConn() *nacosError {
	return errorf(nacoswire.ErrUnregistered, "Connection is unregistered.")
}

// errorPayload is the ErrorResponse payload for e.
func errorPayload(e *nacosError) *nacospb.Payload {
	if e.respType != "" {
		resp := nacoswire.Failure(e.code, e.msg)
		resp.RequestID = e.requestID
		p, _ := nacoswire.NewPayload(e.respType, resp) // a plain struct always encodes
		return p
	}
	p, _ := nacoswire.NewPayload(nacoswire.TypeErrorResponse, nacoswire.Failure(e.code, e.msg))
	return p
}

// answer is the successful response to req.
func answer(req nacoswire.Request) nacoswire.Response { return nacoswire.Success(req.RequestID) }

// decodeBody parses a request body into v; a parse failure is errorCode 502
// as in the reference server.
func decodeBody(p *nacospb.Payload, v any) error {
	body := nacoswire.Body(p)
	if len(body) == 0 {
		return errorf(nacoswire.ErrBadGateway, "%s: empty body", nacoswire.Type(p))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(nacoswire.ErrBadGateway, "%s: body is not valid JSON for this type: %v", nacoswire.Type(p), err)
	}
	return nil
}
