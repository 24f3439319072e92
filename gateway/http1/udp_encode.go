package http1

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/fanout"
)

// gzipThreshold is the datagram size from which pushes are gzipped, as the
// reference server does (clients detect the 1F 8B magic).
const gzipThreshold = 1024

// udpPush is the 1.x push datagram (NACOS_PROTOCOL.md B.2).
type udpPush struct {
	Type        string `json:"type"`
	Data        string `json:"data"`
	LastRefTime int64  `json:"lastRefTime"`
}

// udpEncoder implements fanout.Encoder for UDP subscribers. Every UDP
// subscriber shares one, so a revision is encoded once per cluster filter.
// The datagram's lastRefTime is a unique push id that doubles as the
// Push.RequestID the ack is matched on.
type udpEncoder struct{ ids atomic.Int64 }

// newUDPEncoder starts push ids at the current time in microseconds:
// unique across restarts, and below 2^53 so Node echoes them exactly.
func newUDPEncoder() *udpEncoder {
	e := &udpEncoder{}
	e.ids.Store(time.Now().UnixMicro())
	return e
}

// Encode builds one datagram: data is the grouped ServiceInfo JSON of the
// view of the cluster filter clusters. UDP carries naming only.
func (e *udpEncoder) Encode(t fanout.Topic, snap fanout.Snapshot, clusters string) (*fanout.Push, error) {
	if t.Kind != fanout.KindNaming {
		return nil, fmt.Errorf("encode udp push %s: UDP carries naming pushes only", t)
	}
	svc := snap.Service()
	id := e.ids.Add(1)
	info := svc.Info(clusters, false, true)
	data, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encode udp push %s: %w", svc.Key, err)
	}
	msg, err := json.Marshal(udpPush{Type: "dom", Data: string(data), LastRefTime: id})
	if err != nil {
		return nil, fmt.Errorf("encode udp push %s: %w", svc.Key, err)
	}
	if len(msg) >= gzipThreshold {
		if msg, err = gzipBytes(msg); err != nil {
			return nil, fmt.Errorf("gzip udp push %s: %w", svc.Key, err)
		}
	}
	return &fanout.Push{Items: len(info.Hosts), RequestID: strconv.FormatInt(id, 10), Frame: msg}, nil
}

// gzipWriters reuses compressors: a new gzip.Writer allocates ~800 KB.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// udpAck is a client's reply datagram.
type udpAck struct {
	Type        string          `json:"type"`
	LastRefTime json.RawMessage `json:"lastRefTime"`
}

// parseAck reads a push-ack datagram and returns the push id it
// acknowledges. lastRefTime may be a JSON number (Node) or a string (Go).
func parseAck(b []byte) (string, error) {
	var a udpAck
	if err := json.Unmarshal(b, &a); err != nil {
		return "", fmt.Errorf("udp ack: %w", err)
	}
	if a.Type != "push-ack" {
		return "", fmt.Errorf("udp ack: type %q is not push-ack", a.Type)
	}
	raw := string(a.LastRefTime)
	if s, err := strconv.Unquote(raw); err == nil {
		raw = s
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return "", fmt.Errorf("udp ack: lastRefTime %q is not an integer", string(a.LastRefTime))
	}
	return strconv.FormatInt(id, 10), nil
}
