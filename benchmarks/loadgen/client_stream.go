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

// serverRequest is the part of a server request the load generator reads:
// a partial view of nacoswire.NotifySubscriberRequest (the ports of the
// hosts only), so that decoding pushes costs the load generator little.
type serverRequest struct {
	RequestID   string `json:"requestId"`
	ServiceInfo struct {
		Hosts []struct {
			Port int `json:"port"`
		} `json:"hosts"`
	} `json:"serviceInfo"`
}

// handle acknowledges one server message.
func (c *Conn) handle(m nacostest.Message) error {
	var req serverRequest
	if err := m.Decode(&req); err != nil {
		return fmt.Errorf("undecodable %s: %w", m.Type, err)
	}
	switch m.Type {
	case "NotifySubscriberRequest":
		if err := c.raw.Send("NotifySubscriberResponse", ackBody(req.RequestID)); err != nil {
			return fmt.Errorf("ack push: %w", err)
		}
		if c.onPush != nil {
			p := Push{RequestID: req.RequestID, Hosts: len(req.ServiceInfo.Hosts), AckedAt: time.Now()}
			if p.Hosts > 0 {
				p.FirstPort = req.ServiceInfo.Hosts[0].Port
			}
			c.onPush(p)
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

// ackBody is a success response to the server request requestID.
func ackBody(requestID string) []byte {
	b, _ := json.Marshal(nacoswire.Success(requestID)) // a plain struct always encodes
	return b
}
