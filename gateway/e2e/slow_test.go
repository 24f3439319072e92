package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/nacostest"
)

// autoAck reads a raw connection's stream, acks every server request and
// reports each push's service name and lastRefTime.
func autoAck(t *testing.T, c *nacostest.Client) <-chan string {
	t.Helper()
	got := make(chan string, 1024)
	go func() {
		for {
			m, err := c.Recv()
			if err != nil {
				return
			}
			var body struct {
				RequestID   string `json:"requestId"`
				ServiceName string `json:"serviceName"`
			}
			if m.Decode(&body) != nil {
				continue
			}
			_ = c.Ack(strings.TrimSuffix(m.Type, "Request")+"Response", body.RequestID)
			if m.Type == "NotifySubscriberRequest" {
				select {
				case got <- body.ServiceName:
				default:
				}
			}
		}
	}()
	return got
}

// A connection that stops reading neither delays the others nor holds
// memory: its queue overflows, it is closed, and everything it held is
// released.
func TestSlowClientIsolated(t *testing.T) {
	const services = 12
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	// Room for a few pushes per service: a fast client on a loaded machine
	// may lag an ack timeout or two (its retries queue behind the first
	// attempts), while the slow client, which never reads, overflows it
	// with retries within a second or two.
	cfg.Session.PushQueue = 4 * services
	cfg.Session.AckTimeout = 200 * time.Millisecond
	cfg.Fanout.RetryBase = 50 * time.Millisecond
	d := startHerald(t, cfg)
	addr := d.GRPCAddr().String()

	// The slow client advertises small fixed windows and never reads.
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	slow, err := nacostest.Dial(ctx, addr, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := slow.Setup(ctx, map[string]string{"source": "sdk"}); err != nil {
		t.Fatal(err)
	}
	fast := make([]<-chan string, 3)
	for i := range fast {
		c := dialSetUp(t, addr)
		for s := range services {
			if _, err := expectOK(c, "SubscribeServiceRequest", with(naming(fmt.Sprintf("s%d", s), ""), "subscribe", true)); err != nil {
				t.Fatal(err)
			}
		}
		fast[i] = autoAck(t, c)
	}
	eventually(t, "slow client subscribed", wait, func() error {
		for s := range services {
			if _, err := expectOK(slow, "SubscribeServiceRequest", with(naming(fmt.Sprintf("s%d", s), ""), "subscribe", true)); err != nil {
				return err
			}
		}
		return nil
	})
	reg := dialSetUp(t, addr)
	_, before := d.Gateway().Stats()
	// ~12 KiB per push fills the slow window fast. Random, so it stays
	// that big when the push is gzip-compressed: this process registers
	// grpc-go's gzip (the OTLP exporters import it), so the test clients
	// advertise it and Kitex compresses what it sends them.
	raw := make([]byte, 9<<10)
	_, _ = rand.Read(raw)
	big := base64.StdEncoding.EncodeToString(raw)
	for round := range 4 {
		var wg sync.WaitGroup
		for s := range services {
			in := goodInstance()
			in["port"] = 2000 + round
			in["metadata"] = map[string]string{"blob": big}
			if _, err := expectOK(reg, "InstanceRequest", with(naming(fmt.Sprintf("s%d", s), ""), "type", "registerInstance", "instance", in)); err != nil {
				t.Fatal(err)
			}
		}
		// Every fast subscriber gets every service's change promptly.
		for i, ch := range fast {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seen := map[string]bool{}
				deadline := time.After(5 * time.Second)
				for len(seen) < services {
					select {
					case name := <-ch:
						seen[name] = true
					case <-deadline:
						t.Errorf("round %d: fast subscriber %d saw %d of %d services within 5s", round, i, len(seen), services)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	eventually(t, "slow connection closed and released", 4*wait, func() error {
		_, sessions := d.Gateway().Stats()
		if sessions != before-1 {
			return fmt.Errorf("%d sessions, want %d", sessions, before-1)
		}
		if _, subs := d.Hub().Stats(fanout.KindNaming); subs != services*len(fast) {
			return fmt.Errorf("%d subscriptions, want %d", subs, services*len(fast))
		}
		return nil
	})
	if dropped := d.Hub().Counts()["dropped"]; dropped == 0 {
		t.Error("no push was counted dropped for the slow connection")
	}
}

// A client that withholds its ack gets the same (newest) revision again
// after the ack timeout and the backoff; acking the retry settles it.
func TestWithheldAckIsRetried(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	cfg.Session.AckTimeout = 300 * time.Millisecond
	cfg.Fanout.RetryBase = 100 * time.Millisecond
	d := startHerald(t, cfg)
	sub, reg := dialSetUp(t, d.GRPCAddr().String()), dialSetUp(t, d.GRPCAddr().String())
	if _, err := expectOK(sub, "SubscribeServiceRequest", with(naming("retry", ""), "subscribe", true)); err != nil {
		t.Fatal(err)
	}
	if _, err := expectOK(reg, "InstanceRequest", with(naming("retry", ""), "type", "registerInstance", "instance", goodInstance())); err != nil {
		t.Fatal(err)
	}
	type push struct {
		RequestID   string `json:"requestId"`
		ServiceInfo struct {
			LastRefTime int64 `json:"lastRefTime"`
		} `json:"serviceInfo"`
	}
	var first, second push
	if err := recvType(t, sub, "NotifySubscriberRequest").Decode(&first); err != nil {
		t.Fatal(err)
	}
	// No ack: the push times out and comes back.
	if err := recvType(t, sub, "NotifySubscriberRequest").Decode(&second); err != nil {
		t.Fatal(err)
	}
	if second.ServiceInfo.LastRefTime != first.ServiceInfo.LastRefTime {
		t.Fatalf("retry carried lastRefTime %d, want %d", second.ServiceInfo.LastRefTime, first.ServiceInfo.LastRefTime)
	}
	if err := sub.Ack("NotifySubscriberResponse", second.RequestID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "retry acknowledged", wait, func() error {
		c := d.Hub().Counts()
		if c["timeout"] < 1 || c["retried"] < 1 || c["acked"] < 1 {
			return fmt.Errorf("counts %v", c)
		}
		return nil
	})
}
