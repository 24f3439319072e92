// Package nacoswire is the Nacos 2.x gRPC wire (NACOS_PROTOCOL.md A): the
// request and response envelopes, the error codes, the Payload wrapping of
// JSON bodies, and every request and response body Herald sends or reads,
// naming and config, in both directions. The gateway (server side) and the
// upstream Nacos link (client side) both speak through it; no Nacos body
// type is declared anywhere else.
package nacoswire

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/herald-gateway/herald/internal/nacospb"
)

// Nacos resultCode values (A.2).
const (
	CodeSuccess = 200
	CodeFail    = 500
)

// Nacos errorCode values (A.2, A.9): why a call failed.
const (
	ErrConfigNotFound = 300 // ConfigQueryResponse: no such config (also INVALID_SERVER_STATUS elsewhere)
	ErrUnregistered   = 301 // request before ConnectionSetupRequest
	ErrNoHandler      = 302 // unknown metadata.type
	ErrInvalidParam   = 400 // bad field values; ConfigQueryResponse: being modified
	ErrNoRight        = 403 // authentication or permission failure
	ErrServer         = 500 // unexpected failure
	ErrNotImplemented = 501 // a known request the server does not serve
	ErrBadGateway     = 502 // body JSON does not parse
	ErrOverThreshold  = 503 // rate limit
)

// Response is the base of every Nacos response body. Success is always
// written and must agree with ResultCode: the Go SDK trusts it when present.
type Response struct {
	ResultCode int    `json:"resultCode"`
	ErrorCode  int    `json:"errorCode"`
	Success    bool   `json:"success"`
	Message    string `json:"message,omitempty"`
	RequestID  string `json:"requestId"`
}

// OK reports whether the response says the call succeeded.
func (r Response) OK() bool { return r.ResultCode == CodeSuccess }

// Success is a successful response answering requestID.
func Success(requestID string) Response {
	return Response{ResultCode: CodeSuccess, Success: true, RequestID: requestID}
}

// Failure is a failed response with errorCode code.
func Failure(code int, msg string) Response {
	return Response{ResultCode: CodeFail, ErrorCode: code, Message: msg}
}

// Request is the base of every Nacos request body.
type Request struct {
	RequestID string `json:"requestId"`
	Module    string `json:"module,omitempty"`
}

// NewPayload wraps body, encoded as JSON, in a Payload of the named type.
// The Any's type_url stays empty: Nacos dispatches on metadata.type only.
func NewPayload(typ string, body any) (*nacospb.Payload, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return &nacospb.Payload{
		Metadata: &nacospb.Metadata{Type: typ},
		Body:     &anypb.Any{Value: raw},
	}, nil
}

// Type returns metadata.type, or "" when the payload has none.
func Type(p *nacospb.Payload) string {
	if p == nil || p.Metadata == nil {
		return ""
	}
	return p.Metadata.Type
}

// Body returns the JSON body bytes (nil when absent).
func Body(p *nacospb.Payload) []byte {
	if p == nil || p.Body == nil {
		return nil
	}
	return p.Body.Value
}

// Header returns one of the request headers in metadata.headers (A.3).
func Header(p *nacospb.Payload, name string) string {
	if p == nil || p.Metadata == nil {
		return ""
	}
	return p.Metadata.Headers[name]
}
