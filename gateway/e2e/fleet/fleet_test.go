// Package fleet tests Herald as a fleet: a core, three edges in front of
// it and a real three-master Redis Cluster under them, all on 127.0.0.1,
// with raw-protocol clients that behave as nacos-sdk-go does when told to
// move (client_test.go).
package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/upstream"
)

const (
	edgeCount     = 3
	services      = 10
	subsPerClient = 3
	settle        = 60 * time.Second // bound of every wait for the fleet to converge
)

// run is one fleet under test.
type run struct {
	t       *testing.T
	cluster *redistest.Cluster
	core    *daemon.Daemon
	mu      sync.Mutex // protects edges (replaced on restart)
	edges   [edgeCount]*daemon.Daemon
	cfgs    [edgeCount]conf.Config
	clients []*client
	resets  atomic.Int64 // ConnectResetRequests received
	moves   atomic.Int64 // moves completed
}

func (r *run) edgeAddrs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, edgeCount)
	for i, c := range r.cfgs {
		out[i] = c.GRPC.Addr
	}
	return out
}

func (r *run) edge(i int) *daemon.Daemon {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.edges[i]
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

func baseConfig(t *testing.T, node string, redis []string) conf.Config {
	cfg := conf.Default()
	cfg.Node = node
	cfg.GRPC.Addr, cfg.HTTP.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.HTTP.UDPAddr = "127.0.0.1:0"
	cfg.Upstream.Embedded.DataDir = t.TempDir()
	cfg.Tracker.Redis, cfg.Tracker.Cluster = redis, true
	cfg.Fanout.MergeWindow = 100 * time.Millisecond
	cfg.Fleet.ViewInterval = 200 * time.Millisecond
	return cfg
}

func (r *run) start(cfg conf.Config) *daemon.Daemon {
	r.t.Helper()
	d, err := daemon.Start(cfg, logger())
	if err != nil {
		r.t.Fatalf("start %s: %v", cfg.Node, err)
	}
	r.t.Cleanup(d.Stop)
	return d
}

// startEdge starts edge i; a restart keeps its gRPC address, so the
// clients' server lists stay valid.
func (r *run) startEdge(i int) {
	r.t.Helper()
	d := r.start(r.cfgs[i])
	r.mu.Lock()
	r.edges[i] = d
	r.cfgs[i].GRPC.Addr = d.GRPCAddr().String()
	r.mu.Unlock()
	r.awaitReady(d)
}

func (r *run) awaitReady(d *daemon.Daemon) {
	r.t.Helper()
	deadline := time.Now().Add(settle)
	for {
		code, _ := r.admin(d, http.MethodGet, "/readyz", nil)
		if code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatal("edge never ready")
		}
		time.Sleep(20 * time.Millisecond) // readiness has no event to await
	}
}

// admin calls an admin path and decodes the JSON answer into out.
func (r *run) admin(d *daemon.Daemon, method, path string, out any) (int, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+d.AdminAddr().String()+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

// TestFleetRollingRestart: 300 clients spread over three edges register
// an instance each and subscribe to three of ten services; each edge is
// drained and restarted in turn while new instances are registered on
// the core. No subscriber ever receives a list that lacks an instance it
// had seen (zero flaps), every change reaches every subscriber, every
// client ends connected with its instance registered exactly once, the
// push records of all three edges read the same from each, and a shed
// after the roll moves the share asked for, as the fleet view then shows.
func TestFleetRollingRestart(t *testing.T) {
	began := time.Now()
	r := &run{t: t, cluster: redistest.StartCluster(t, 3, 0)}
	redis := r.cluster.Addrs()
	r.core = r.start(baseConfig(t, "core", redis))
	for i := range edgeCount {
		cfg := baseConfig(t, fmt.Sprintf("edge-%c", 'a'+i), redis)
		cfg.Upstream.Kind, cfg.Upstream.Servers = conf.UpstreamNacos, []string{r.core.GRPCAddr().String()}
		cfg.Upstream.ResyncGrace = 200 * time.Millisecond
		cfg.Fleet.DrainWindow, cfg.Fleet.ResetTimeout, cfg.Fleet.RegistrationGrace = 2*time.Second, 20*time.Second, 30*time.Second
		r.cfgs[i] = cfg
		r.startEdge(i)
	}
	markers := r.markerClient()
	markers.register(1)

	ctx, cancel := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		loops.Wait()
		for _, c := range r.clients {
			c.close()
		}
	})
	r.connectClients(ctx, &loops)
	r.awaitLists(markers.count)
	t.Logf("%d clients connected and converged after %v", clientCount, time.Since(began))

	for i := range edgeCount {
		r.roll(i, markers)
	}
	t.Logf("roll done after %v: %d resets, %d moves", time.Since(began), r.resets.Load(), r.moves.Load())
	r.awaitLists(markers.count)
	r.checkConnected()
	r.checkFlaps()
	r.checkCoreRegistry(markers.count)
	r.checkRecords(began)
	r.checkShed()
	t.Logf("fleet test took %v", time.Since(began))
}

// connectClients starts every client, 32 at a time.
func (r *run) connectClients(ctx context.Context, loops *sync.WaitGroup) {
	r.t.Helper()
	sem := make(chan struct{}, 32)
	errs := make(chan error, clientCount)
	var wg sync.WaitGroup
	for id := range clientCount {
		c := newClient(id, r)
		r.clients = append(r.clients, c)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.start(ctx); err != nil {
				errs <- fmt.Errorf("client %d: %w", c.id, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		r.t.Fatal(err)
	}
	for _, c := range r.clients {
		loops.Add(1)
		go func() { defer loops.Done(); c.loop(ctx) }()
	}
}

// roll drains edge i, registers a new marker in every service while the
// drain moves its clients, restarts the edge and waits for it.
func (r *run) roll(i int, m *markerClient) {
	r.t.Helper()
	d := r.edge(i)
	conns, _ := d.Gateway().Stats()
	done := make(chan struct{})
	var rep struct {
		Moved, Closed int
		Expired       int64
	}
	go func() {
		defer close(done)
		got := d.Drain(context.Background())
		rep.Moved, rep.Closed, rep.Expired = got.Moved, got.Closed, got.Expired
	}()
	m.register(m.count + 1) // a change while the drain is under way
	select {
	case <-done:
	case <-time.After(settle):
		r.t.Fatalf("drain of edge %d did not end", i)
	}
	if rep.Moved != conns || rep.Closed != 0 || rep.Expired != 0 {
		r.t.Errorf("drain of edge %d (%d connections): %+v; want all moved by their clients, no grace expired", i, conns, rep)
	}
	d.Stop()
	r.startEdge(i)
}

// want is every address each service must list: its clients' instances
// and the markers.
func (r *run) want(markers int) map[string][]string {
	out := map[string][]string{}
	for _, c := range r.clients {
		out[c.svc] = append(out[c.svc], c.addr())
	}
	for s := range services {
		for k := range markers {
			out[service(s)] = append(out[service(s)], markerAddr(k))
		}
	}
	return out
}

// awaitLists waits until every client's newest list of every service it
// subscribes to holds everything it must.
func (r *run) awaitLists(markers int) {
	r.t.Helper()
	want := r.want(markers)
	deadline := time.Now().Add(settle)
	for {
		var lacking []string
		for _, c := range r.clients {
			lacking = append(lacking, c.lacks(want)...)
		}
		if len(lacking) == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d lists never complete, e.g. %v", len(lacking), lacking[:min(5, len(lacking))])
		}
		time.Sleep(50 * time.Millisecond) // pushes arrive on 300 streams: polled
	}
}

func (r *run) checkConnected() {
	r.t.Helper()
	total := 0
	for i := range edgeCount {
		_, sessions := r.edge(i).Gateway().Stats()
		total += sessions
		if st := r.edge(i).Gateway().MoveStats(); st.Moving != 0 || st.Held != 0 {
			r.t.Errorf("edge %d after the roll: %+v", i, st)
		}
	}
	if total != clientCount {
		r.t.Errorf("%d sessions on the edges after the roll, want %d", total, clientCount)
	}
}

func (r *run) checkFlaps() {
	r.t.Helper()
	var flaps []string
	for _, c := range r.clients {
		c.mu.Lock()
		flaps = append(flaps, c.flaps...)
		c.mu.Unlock()
	}
	if len(flaps) > 0 {
		r.t.Errorf("%d flaps (lists without an instance seen before), e.g. %v", len(flaps), flaps[:min(5, len(flaps))])
	}
}

// checkCoreRegistry: the core holds each instance exactly once (every
// held registration was released once registered again elsewhere).
func (r *run) checkCoreRegistry(markers int) {
	r.t.Helper()
	for svc, want := range r.want(markers) {
		key := upstream.ServiceKey{Group: "G", Name: svc}.Normalize()
		snap, err := r.core.Gateway().Registry().Query(context.Background(), key)
		if err != nil {
			r.t.Fatal(err)
		}
		var got []string
		for _, in := range snap.Instances {
			got = append(got, net.JoinHostPort(in.IP, fmt.Sprint(in.Port)))
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			r.t.Errorf("core's %s holds %d instances, want %d", svc, len(got), len(want))
		}
	}
}

// checkRecords: the push records of one service, read through each edge,
// are the same records, written by all three edges.
func (r *run) checkRecords(began time.Time) {
	r.t.Helper()
	r.awaitRecorders()
	to := time.Now().UnixMilli()
	var first []string
	for i := range edgeCount {
		ids, nodes := r.records(r.edge(i), began.Add(-time.Minute).UnixMilli(), to)
		for k := range edgeCount {
			if node := fmt.Sprintf("edge-%c", 'a'+k); nodes[node] == 0 {
				r.t.Errorf("edge %d reads no record written by %s (%v)", i, node, nodes)
			}
		}
		if i == 0 {
			first = ids
		} else if strings.Join(ids, " ") != strings.Join(first, " ") {
			r.t.Errorf("edge %d reads %d records of fleet-0, edge 0 %d", i, len(ids), len(first))
		}
	}
	r.t.Logf("fleet-0: %d push records, the same through every edge", len(first))
}

// awaitRecorders waits until no edge has records waiting for the store.
func (r *run) awaitRecorders() {
	r.t.Helper()
	deadline := time.Now().Add(settle)
	for {
		queued := 0
		for i := range edgeCount {
			var st struct {
				Tracker struct{ Queued, Backlog int }
			}
			r.admin(r.edge(i), http.MethodGet, "/stats", &st)
			queued += st.Tracker.Queued + st.Tracker.Backlog
		}
		if queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d records never written", queued)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// records reads every record of fleet-0 in [from, to] through d.
func (r *run) records(d *daemon.Daemon, from, to int64) (ids []string, nodes map[string]int) {
	nodes = map[string]int{}
	cursor := ""
	for {
		var page struct {
			Records []struct{ ID, Node string }
			Next    string
		}
		path := fmt.Sprintf("/v1/tracks/service?service=fleet-0&group=G&limit=1000&order=oldest&from=%d&to=%d&cursor=%s", from, to, cursor)
		if code, body := r.admin(d, http.MethodGet, path, &page); code != http.StatusOK {
			r.t.Fatalf("tracks: %d %s", code, body)
		}
		for _, rec := range page.Records {
			ids = append(ids, rec.ID)
			nodes[rec.Node]++
		}
		if page.Next == "" || len(page.Records) == 0 {
			return ids, nodes
		}
		cursor = page.Next
	}
}

// checkShed: the edge holding most clients sheds half of them; they move
// to the other edges, and every edge's /v1/fleet shows the new balance.
func (r *run) checkShed() {
	r.t.Helper()
	busiest, most := 0, -1
	for i := range edgeCount {
		if n, _ := r.edge(i).Gateway().Stats(); n > most {
			busiest, most = i, n
		}
	}
	var ans struct{ Shedding int }
	if code, body := r.admin(r.edge(busiest), http.MethodPost, "/v1/shed?share=0.5&window=1s", &ans); code != http.StatusAccepted {
		r.t.Fatalf("shed: %d %s", code, body)
	}
	want := most - (most+1)/2
	if ans.Shedding != most-want {
		r.t.Errorf("shed of %d connections at share 0.5 picked %d", most, ans.Shedding)
	}
	deadline := time.Now().Add(settle)
	for {
		var fl struct {
			Gateways []struct {
				Node        string
				Connections int
			}
		}
		r.admin(r.edge((busiest+1)%edgeCount), http.MethodGet, "/v1/fleet", &fl)
		byNode := map[string]int{}
		for _, g := range fl.Gateways {
			byNode[g.Node] = g.Connections
		}
		total, ok := 0, byNode[fmt.Sprintf("edge-%c", 'a'+busiest)] == want
		for i := range edgeCount {
			n, _ := r.edge(i).Gateway().Stats()
			total += n
			ok = ok && byNode[fmt.Sprintf("edge-%c", 'a'+i)] == n
		}
		if ok && total == clientCount && r.edge(busiest).Gateway().MoveStats().Held == 0 {
			r.t.Logf("after the shed: %v", byNode)
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("fleet view after shedding half of edge %d's %d: %v (total %d, want %d on it)", busiest, most, byNode, total, want)
		}
		time.Sleep(50 * time.Millisecond) // the view is republished every 200 ms
	}
}

// markerClient registers marker instances into every service from a
// connection to the core: changes made while edges drain.
type markerClient struct {
	t     *testing.T
	cl    *nacostest.Client
	count int
}

func markerAddr(k int) string { return fmt.Sprintf("10.8.0.1:%d", 9000+k) }

func (r *run) markerClient() *markerClient {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settle)
	defer cancel()
	cl, err := nacostest.Dial(ctx, r.core.GRPCAddr().String())
	if err == nil {
		err = cl.Setup(ctx, map[string]string{"module": "naming"})
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { cl.Close() })
	go func() { // acknowledge nothing: the marker subscribes to nothing
		for {
			if _, err := cl.Recv(); err != nil {
				return
			}
		}
	}()
	return &markerClient{t: r.t, cl: cl}
}

// register fills the marker's slot of every service with n markers.
func (m *markerClient) register(n int) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settle)
	defer cancel()
	var ins []map[string]any
	for k := range n {
		ins = append(ins, map[string]any{"ip": "10.8.0.1", "port": 9000 + k, "weight": 1, "healthy": true, "enabled": true, "ephemeral": true})
	}
	for s := range services {
		if err := request(ctx, m.cl, "BatchInstanceRequest", map[string]any{"serviceName": service(s), "groupName": "G",
			"type": "batchRegisterInstance", "instances": ins}, nil); err != nil {
			m.t.Fatal(err)
		}
	}
	m.count = n
}
