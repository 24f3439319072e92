package tracker

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/herald-gateway/herald/fanout"
)

// The config tracking queries over a store of configBenchRecords events
// (HERALD_BENCH_RECORDS overrides; default 1,000,000): 10 configurations,
// each pushed to clients on 1000 hosts, one change event every 1000
// events of a configuration, spread over the last 50 minutes. Each query
// goes through the API handler (parameters, Finds, JSON), a page of 100;
// besides p50 and p99 it reports the CPU per query of this process (the
// handler) and of the Redis server (INFO cpu).
const (
	cfgBenchConfigs = 10
	cfgBenchIPs     = 1000
	cfgBenchEvery   = 1000 // events of one configuration per change event
)

func configBenchRecords(b *testing.B) int {
	if s := os.Getenv("HERALD_BENCH_RECORDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < cfgBenchConfigs*cfgBenchEvery {
			b.Fatalf("HERALD_BENCH_RECORDS=%q: want a number >= %d", s, cfgBenchConfigs*cfgBenchEvery)
		}
		return n
	}
	return 1_000_000
}

// configBenchRecord is the i-th event: a change of configuration i%10
// every cfgBenchEvery of its events, else a per-client event.
func configBenchRecord(i int, t0 int64, spacing int64) Record {
	cfg := i % cfgBenchConfigs
	at := t0 + int64(i)*spacing/1000
	r := Record{Kind: KindConfig, At: at, Namespace: "prod", Group: "DEFAULT_GROUP", Service: "cfg-" + strconv.Itoa(cfg),
		Revision: at, Node: "herald-0", Md5: fmt.Sprintf("%032x", i/(cfgBenchConfigs*cfgBenchEvery))}
	if (i/cfgBenchConfigs)%cfgBenchEvery == 0 {
		r.Result, r.Bytes, r.ContentType, r.SrcIP, r.LastModified = ResultPublish, 512, "yaml", "10.9.0.1", at
		return r
	}
	ip := (i / cfgBenchConfigs) % cfgBenchIPs
	r.ClientIP = fmt.Sprintf("10.2.%d.%d", ip/250, ip%250)
	r.ConnID = fmt.Sprintf("1700000000000_%s_5%04d", r.ClientIP, ip)
	r.PushID = r.ConnID + "/" + strconv.Itoa(i)
	r.ClientVersion, r.ClientApp, r.Attempt = "Nacos-Go-Client:v2.3.2", "checkout", 1
	switch i % 4 {
	case 0:
		r.Result, r.Sent = "sent", at
	case 1:
		r.Result, r.Sent, r.Acked, r.NetworkMs = "acked", at-3, at, 3
	case 2:
		r.Result, r.LatestMd5, r.Bytes = "served", r.Md5, 512
	default:
		r.Result, r.LatestMd5 = "reported", r.Md5
	}
	return r
}

// noListeners is a ConfigStatusSource with no live listener.
type noListeners struct{}

func (noListeners) Status(t fanout.Topic) fanout.TopicStatus { return fanout.TopicStatus{Topic: t} }
func (noListeners) ClientStatus(fanout.Kind, string) []fanout.ClientSubscription {
	return nil
}

// serve runs handler on a GET of uri and returns the status.
func serve(handler func(context.Context, *app.RequestContext), uri string) (int, []byte) {
	c := app.NewContext(0)
	c.Request.SetRequestURI(uri)
	c.Request.Header.SetMethod(http.MethodGet)
	handler(context.Background(), c)
	return c.Response.StatusCode(), c.Response.Body()
}

func BenchmarkConfigQuery(b *testing.B) {
	s := benchRedisStore(b)
	ctx := context.Background()
	n := configBenchRecords(b)
	spacing := int64(50*time.Minute/time.Millisecond) * 1000 / int64(n) // µs between events
	t0 := time.Now().Add(-50 * time.Minute).UnixMilli()
	start := time.Now()
	batch := make([]Record, 0, benchBatch)
	for i := range n {
		batch = append(batch, configBenchRecord(i, t0, spacing))
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.Append(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("loaded %d records in %v", n, time.Since(start).Round(time.Millisecond))
	a := &API{Store: s, Status: noListeners{}, Config: noListeners{}}
	mid := t0 + 25*60*1000
	change := func(cfg int) string {
		p, err := s.Find(ctx, Query{Kind: KindConfig, Changes: true, Namespace: "prod", Group: "DEFAULT_GROUP",
			Service: "cfg-" + strconv.Itoa(cfg), To: time.UnixMilli(mid), Limit: 1})
		if err != nil || len(p.Records) != 1 {
			b.Fatalf("change of cfg-%d: %v", cfg, err)
		}
		return p.Records[0].ID
	}
	changes := make([]string, cfgBenchConfigs)
	for i := range changes {
		changes[i] = change(i)
	}
	cfg := func(i int) string {
		return "/v1/tracks/config?namespace=prod&dataId=cfg-" + strconv.Itoa(i%cfgBenchConfigs) + "&limit=100"
	}
	cases := []struct {
		name    string
		handler func(context.Context, *app.RequestContext)
		uri     func(i int) string
	}{
		{"config/newest", a.configTracks, cfg},
		{"config/oldest", a.configTracks, func(i int) string { return cfg(i) + "&order=oldest" }},
		{"config/window", a.configTracks, func(i int) string {
			return cfg(i) + "&from=" + strconv.FormatInt(mid, 10) + "&to=" + strconv.FormatInt(mid+5*60*1000, 10)
		}},
		{"ip/newest", a.configClient, func(i int) string {
			ip := (i * 7) % cfgBenchIPs
			return fmt.Sprintf("/v1/tracks/config/client?ip=10.2.%d.%d&limit=100", ip/250, ip%250)
		}},
		{"event", a.configEvent, func(i int) string {
			return "/v1/tracks/config/event?namespace=prod&dataId=cfg-" + strconv.Itoa(i%cfgBenchConfigs) + "&limit=100&id=" + changes[i%cfgBenchConfigs]
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			took := make([]time.Duration, b.N)
			cpu0, redis0 := processCPU(b), redisCPU(b, s.client)
			for i := range b.N {
				start := time.Now()
				code, body := serve(c.handler, c.uri(i))
				took[i] = time.Since(start)
				if code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.uri(i), code, body)
				}
			}
			cpu, redisSec := processCPU(b)-cpu0, redisCPU(b, s.client)-redis0
			b.ReportMetric(cpu*1e6/float64(b.N), "cpu-µs/op")
			b.ReportMetric(redisSec*1e6/float64(b.N), "redis-cpu-µs/op")
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
