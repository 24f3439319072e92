package loadgen

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// read acknowledges server requests until the stream ends.
func (c *Conn) read() {
	defer close(c.done)
	err := c.raw.Serve(c.handle)
	if !c.closing.Load() {
		c.err = err
	}
	_ = c.raw.Close()
}

// handle acknowledges one server message.
func (c *Conn) handle(m nacostest.Message) error {
	req, err := readServerRequest(m.Body)
	if err != nil {
		return fmt.Errorf("undecodable %s: %w", m.Type, err)
	}
	switch m.Type {
	case "NotifySubscriberRequest":
		if err := c.raw.Send("NotifySubscriberResponse", ackBody(req.RequestID)); err != nil {
			return fmt.Errorf("ack push: %w", err)
		}
		if c.onPush != nil {
			c.onPush(Push{RequestID: req.RequestID, FirstPort: req.FirstPort, AckedAt: time.Now()})
		}
	case "ConfigChangeNotifyRequest":
		// Acknowledged as nacos-sdk-go does, with NotifySubscriberResponse.
		if err := c.raw.Send("NotifySubscriberResponse", ackBody(req.RequestID)); err != nil {
			return fmt.Errorf("ack config push: %w", err)
		}
		if c.onPush != nil {
			c.onPush(Push{RequestID: req.RequestID, Config: true, AckedAt: time.Now()})
		}
	case "ConnectResetRequest":
		if err := c.raw.Send("ConnectResetResponse", ackBody(req.RequestID)); err != nil {
			return fmt.Errorf("ack reset: %w", err)
		}
		if f := c.onReset.Load(); f != nil {
			go (*f)()
		} else {
			c.Unexpected.Add(1)
		}
	case "ClientDetectionRequest":
		c.Detections.Add(1)
		return c.raw.Send("ClientDetectionResponse", ackBody(req.RequestID))
	default:
		c.Unexpected.Add(1)
		if name, ok := strings.CutSuffix(m.Type, "Request"); ok {
			return c.raw.Send(name+"Response", ackBody(req.RequestID))
		}
	}
	return nil
}

// ackBody is a success response to the server request requestID, as
// encoding/json writes nacoswire.Success(requestID); an id that JSON
// would escape goes through encoding/json itself.
func ackBody(requestID string) []byte {
	for i := 0; i < len(requestID); i++ {
		if c := requestID[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(nacoswire.Success(requestID)) // a plain struct always encodes
			return b
		}
	}
	b := make([]byte, 0, len(ackPrefix)+len(requestID)+2)
	b = append(b, ackPrefix...)
	b = append(b, requestID...)
	return append(b, `"}`...)
}

const ackPrefix = `{"resultCode":200,"errorCode":0,"success":true,"requestId":"`
