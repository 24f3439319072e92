// Package nacoswire is the direction-neutral part of the Nacos 2.x gRPC
// payload codec (NACOS_PROTOCOL.md A.1–A.2): the request and response
// envelopes and the Payload wrapping of JSON bodies. The gateway (server
// side) and the upstream Nacos link (client side) both use it.
package nacoswire

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/herald-gateway/herald/gateway/kitex_gen/nacospb"
)

// Nacos resultCode values (A.2).
const (
	CodeSuccess = 200
	CodeFail    = 500
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
