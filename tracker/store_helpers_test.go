package tracker

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"
)

// baseTime is an hour ago in epoch ms: recent enough that write-time
// retention (24h by default) keeps test records.
func baseTime() int64 { return time.Now().Add(-time.Hour).UnixMilli() }

// rec is a small record of one push outcome.
func rec(pushID string, at int64, ns, group, service, ip string) Record {
	return Record{
		PushID: pushID, Result: "acked", At: at, Attempt: 1,
		Namespace: ns, Group: group, Service: service, ClientIP: ip,
		ConnID: "conn-" + pushID, Node: "node-1",
	}
}

// fullRecord has every field but ID set, so that a round trip shows any
// field a store forgets.
func fullRecord(at int64) Record {
	return Record{
		Kind: KindNaming, PushID: "1700000000000_10.0.0.7_51234/42", Result: "acked", At: at,
		Sent: at - 7, Acked: at - 1, Attempt: 2,
		Namespace: "prod", Group: "DEFAULT_GROUP", Service: "orders",
		Clusters: "a,b", ClientIP: "10.0.0.7", ConnID: "1700000000000_10.0.0.7_51234",
		ClientVersion: "Nacos-Go-Client:v2.3.2", ClientApp: "checkout",
		Instances: 12, Revision: 1700000000123, Bytes: 2048, Node: "herald-0",
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", EndToEndMs: 9, NetworkMs: 6,
		Reason: "retried after timeout \"quoted\" {braces} |pipes| ünïcode",
	}
}

func TestFullRecordSetsEveryField(t *testing.T) {
	v := reflect.ValueOf(fullRecord(baseTime()))
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if name := f.Name; f.IsExported() && name != "ID" && v.Field(i).IsZero() {
			t.Errorf("fullRecord leaves %s zero; set it so round trips cover it", name)
		}
	}
}

func svcQuery(ns, group, service string) Query {
	return Query{Namespace: ns, Group: group, Service: service}
}

func mustAppend(t testing.TB, s Store, recs ...Record) {
	t.Helper()
	if err := s.Append(context.Background(), recs); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func mustFind(t testing.TB, s Store, q Query) Page {
	t.Helper()
	p, err := s.Find(context.Background(), q)
	if err != nil {
		t.Fatalf("Find %+v: %v", q, err)
	}
	return p
}

// findAll pages through every record q selects.
func findAll(t testing.TB, s Store, q Query) []Record {
	t.Helper()
	q.Limit = MaxLimit
	var all []Record
	for range 100 {
		p := mustFind(t, s, q)
		all = append(all, p.Records...)
		if p.Next == "" {
			return all
		}
		q.Cursor = p.Next
	}
	t.Fatalf("Find %+v: no last page after 100 pages", q)
	return nil
}

func pushIDs(recs []Record) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.PushID
	}
	return ids
}

func assertPushIDs(t *testing.T, recs []Record, want ...string) {
	t.Helper()
	if got := pushIDs(recs); !slices.Equal(got, want) {
		t.Errorf("push ids %q, want %q", got, want)
	}
}

// assertIDsOrdered checks ids are valid and strictly ascending (oldest
// first) or descending.
func assertIDsOrdered(t *testing.T, recs []Record, oldest bool) {
	t.Helper()
	for i := range recs {
		id, ok := parseAnyID(recs[i].ID)
		if !ok {
			t.Fatalf("record %d: id %q is neither <ms>-<seq> nor <ms>-<seq>:<index>", i, recs[i].ID)
		}
		if i == 0 {
			continue
		}
		prev, _ := parseAnyID(recs[i-1].ID)
		if (oldest && !prev.less(id)) || (!oldest && !id.less(prev)) {
			t.Fatalf("records %d and %d out of order (oldest=%v): %s then %s", i-1, i, oldest, recs[i-1].ID, recs[i].ID)
		}
	}
}

// parseAnyID reads the ids of either store: the memory store's
// "<ms>-<seq>" (as index 0) or the Redis store's "<ms>-<seq>:<index>".
func parseAnyID(s string) (recordID, bool) {
	if id, ok := parseStreamID(s); ok {
		return recordID{entry: id}, true
	}
	return parseRecordID(s)
}

// trimSlackMs is how much older than Trim's cutoff, in ms, a record the
// store keeps may be: the Redis store drops whole entries (see
// RedisStore), the memory store single records.
func trimSlackMs(s Store) int64 {
	if _, ok := s.(*RedisStore); ok {
		return packSpanMs
	}
	return 0
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
