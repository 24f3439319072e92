package nacoswire

// Connection bodies, module "internal" (A.4–A.6).

// Type names of the connection messages.
const (
	TypeServerCheckRequest      = "ServerCheckRequest"
	TypeServerCheckResponse     = "ServerCheckResponse"
	TypeConnectionSetupRequest  = "ConnectionSetupRequest"
	TypeHealthCheckRequest      = "HealthCheckRequest"
	TypeHealthCheckResponse     = "HealthCheckResponse"
	TypeClientDetectionRequest  = "ClientDetectionRequest"
	TypeClientDetectionResponse = "ClientDetectionResponse"
	TypeConnectResetRequest     = "ConnectResetRequest"
	TypeConnectResetResponse    = "ConnectResetResponse"
	TypeErrorResponse           = "ErrorResponse"
)

// Internal is the body of the internal requests that carry nothing else:
// ServerCheckRequest, HealthCheckRequest, ClientDetectionRequest.
func Internal(requestID string) Request { return Request{RequestID: requestID, Module: "internal"} }

// ServerCheckResponse names the connection (A.4 step 2). Ability
// negotiation stays off unless the server sends SetupAckRequest.
type ServerCheckResponse struct {
	Response
	ConnectionID              string `json:"connectionId"`
	SupportAbilityNegotiation bool   `json:"supportAbilityNegotiation"`
}

// ConnectionSetupRequest is the first message on the bidi stream (A.4
// step 3); the server answers nothing.
type ConnectionSetupRequest struct {
	Request
	ClientVersion   string            `json:"clientVersion"`
	Tenant          string            `json:"tenant"`
	Labels          map[string]string `json:"labels"`
	ClientAbilities map[string]any    `json:"clientAbilities,omitempty"`
}

// ConnectResetRequest asks a client to move to another server (A.5);
// serverPort is a string on the wire.
type ConnectResetRequest struct {
	Request
	ServerIP     string `json:"serverIp,omitempty"`
	ServerPort   string `json:"serverPort,omitempty"`
	ConnectionID string `json:"connectionId,omitempty"`
}
