package gateway

import (
	"encoding/json"
	"fmt"

	"github.com/herald-gateway/herald/gateway/kitex_gen/nacospb"
	"github.com/herald-gateway/herald/gateway/nacoswire"
)

// Nacos response codes (NACOS_PROTOCOL.md A.2). resultCode is 200 or 500;
// errorCode says why a call failed.
const (
	codeSuccess       = 200
	codeFail          = 500
	errUnregistered   = 301 // request before ConnectionSetupRequest
	errNoHandler      = 302 // unknown metadata.type
	errInvalidParam   = 400 // bad field values
	errServer         = 500 // unexpected failure
	errNotImplemented = 501 // a known request Herald does not serve yet
	errBadGateway     = 502 // body JSON does not parse
)

// response is the base of every Nacos response body (shared with the
// upstream link through nacoswire).
type response = nacoswire.Response

func okResponse() response { return response{ResultCode: codeSuccess, Success: true} }

// request is the base of every Nacos request body.
type request = nacoswire.Request

// nacosError is a failure answered to the client as an ErrorResponse with
// the given errorCode.
type nacosError struct {
	code int
	msg  string
}

func (e *nacosError) Error() string { return fmt.Sprintf("nacos error %d: %s", e.code, e.msg) }

func errorf(code int, format string, args ...any) *nacosError {
	return &nacosError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of an ErrorResponse.
func errorBody(code int, msg string) response {
	return response{ResultCode: codeFail, ErrorCode: code, Success: false, Message: msg}
}

// newPayload wraps a JSON body of the named type (nacoswire.NewPayload).
func newPayload(typ string, body any) (*nacospb.Payload, error) {
	return nacoswire.NewPayload(typ, body)
}

// errorPayload is the ErrorResponse payload for e.
func errorPayload(e *nacosError) *nacospb.Payload {
	p, _ := newPayload("ErrorResponse", errorBody(e.code, e.msg)) // a plain struct always encodes
	return p
}

// payloadType returns metadata.type, or "" when the payload has none.
func payloadType(p *nacospb.Payload) string { return nacoswire.Type(p) }

// payloadBody returns the JSON body bytes (nil when absent).
func payloadBody(p *nacospb.Payload) []byte { return nacoswire.Body(p) }

// decodeBody parses a request body into v; a parse failure is errorCode 502
// as in the reference server.
func decodeBody(p *nacospb.Payload, v any) error {
	body := payloadBody(p)
	if len(body) == 0 {
		return errorf(errBadGateway, "%s: empty body", payloadType(p))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(errBadGateway, "%s: body is not valid JSON for this type: %v", payloadType(p), err)
	}
	return nil
}
