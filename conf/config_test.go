package conf

import (
	"os"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	wantNode, err := os.Hostname()
	if err != nil || wantNode == "" {
		wantNode = "herald"
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"node", c.Node, wantNode},
		{"grpc.addr", c.GRPC.Addr, ":9848"},
		{"grpc.maxMessageBytes", c.GRPC.MaxMessageBytes, 10485760},
		{"grpc.transport", c.GRPC.Transport, "event"},
		{"http.addr", c.HTTP.Addr, ":8848"},
		{"admin.addr", c.Admin.Addr, "127.0.0.1:8850"},
		{"upstream.kind", c.Upstream.Kind, "embedded"},
		{"session.idleTimeout", c.Session.IdleTimeout, 20 * time.Second},
		{"session.detectTimeout", c.Session.DetectTimeout, 5 * time.Second},
		{"session.pushQueue", c.Session.PushQueue, 1024},
		{"session.ackTimeout", c.Session.AckTimeout, 5 * time.Second},
		{"grpc.writeBufferSize", c.GRPC.WriteBufferSize, 32768},
		{"grpc.readBufferSize", c.GRPC.ReadBufferSize, 32768},
		{"grpc.initialWindowSize", c.GRPC.InitialWindowSize, 65535},
		{"grpc.initialConnWindowSize", c.GRPC.InitialConnWindowSize, 65535},
		{"grpc.reuseWriteBuffer", c.GRPC.ReuseWriteBuffer, true},
		{"fanout.mergeWindow", c.Fanout.MergeWindow, 500 * time.Millisecond},
		{"fanout.workers", c.Fanout.Workers, 32},
		{"fanout.retryBase", c.Fanout.RetryBase, time.Second},
		{"fanout.retryMax", c.Fanout.RetryMax, 30 * time.Second},
		{"fanout.stallTimeout", c.Fanout.StallTimeout, 3 * time.Minute},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
	}
	for _, tc := range checks {
		if tc.got != tc.want {
			t.Errorf("Default().%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v, want nil", err)
	}
}
