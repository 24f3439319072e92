package tracker

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/internal/redistest"
)

// BenchmarkRedisEncoding compares the stored form of a record RedisStore
// uses (one field holding it as compact JSON; here one record per entry)
// with the alternative of one stream field per record field, on writes (a pipeline of 1000 records,
// each to its service and IP streams) and reads (XREVRANGE of 100 and
// decoding). It also reports Redis memory per stored entry.
func BenchmarkRedisEncoding(b *testing.B) {
	codecs := []struct {
		name   string
		values func(*Record) []any
		decode func(redis.XMessage) (Record, error)
	}{
		{"json-field", jsonValues, decodeJSONField},
		{"flat-fields", flatValues, decodeFlat},
	}
	for _, c := range codecs {
		b.Run(c.name+"/append", func(b *testing.B) {
			client := benchRedisClient(b)
			t0 := time.Now().Add(-time.Hour).UnixMilli()
			batch := benchBatches(benchBatch, t0, benchMixes[0])[0]
			before := usedMemory(b, client)
			b.ResetTimer()
			for i := range b.N {
				for j := range batch {
					batch[j].At = t0 + int64(i*benchBatch+j)
				}
				writeEncoded(b, client, batch, c.values)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(usedMemory(b, client)-before)/float64(2*b.N*benchBatch), "redis-bytes/entry")
		})
		b.Run(c.name+"/find", func(b *testing.B) {
			client := benchRedisClient(b)
			t0 := time.Now().Add(-time.Hour).UnixMilli()
			for _, batch := range benchBatches(100*benchBatch, t0, benchMixes[0]) {
				writeEncoded(b, client, batch, c.values)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				key := topicKey(KindNaming, "prod", "DEFAULT_GROUP", "svc-"+strconv.Itoa(i%benchServices))
				msgs, err := client.XRevRangeN(ctx, key, "+", "-", 100).Result()
				if err != nil || len(msgs) != 100 {
					b.Fatalf("%d entries, err %v", len(msgs), err)
				}
				for _, m := range msgs {
					if _, err := c.decode(m); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func benchRedisClient(b *testing.B) *redis.Client {
	srv := redistest.Start(b)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	b.Cleanup(func() { _ = client.Close() })
	return client
}

// writeEncoded writes batch to the service and IP streams, one record per
// entry.
func writeEncoded(b *testing.B, client *redis.Client, batch []Record, values func(*Record) []any) {
	ctx := context.Background()
	pipe := client.Pipeline()
	for i := range batch {
		v := values(&batch[i])
		for _, key := range recordKeys(&batch[i]) {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: strconv.FormatInt(batch[i].At, 10) + "-*", Values: v})
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
}

func jsonValues(r *Record) []any {
	return []any{recordField, encodeRecord(r)}
}

// decodeJSONField reads an entry of one record in the JSON field.
func decodeJSONField(m redis.XMessage) (Record, error) {
	data, _ := m.Values[recordField].(string)
	r, err := decodeRecord(data)
	r.ID = m.ID
	return r, err
}

// flatValues is the alternative: every field its own stream field, all
// fields always present so Redis can share the field names between
// entries of a stream node.
func flatValues(r *Record) []any {
	return []any{
		"p", r.PushID, "r", r.Result, "t", r.At, "s", r.Sent, "a", r.Acked, "n", r.Attempt,
		"ns", r.Namespace, "g", r.Group, "sv", r.Service, "cl", r.Clusters, "ip", r.ClientIP,
		"c", r.ConnID, "cv", r.ClientVersion, "ca", r.ClientApp, "i", r.Instances,
		"v", r.Revision, "b", r.Bytes, "nd", r.Node, "tr", r.TraceID, "e", r.EndToEndMs,
		"w", r.NetworkMs, "rs", r.Reason,
	}
}

func decodeFlat(m redis.XMessage) (Record, error) {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	num := func(k string) int64 { n, _ := strconv.ParseInt(str(k), 10, 64); return n }
	return Record{
		ID: m.ID, PushID: str("p"), Result: str("r"), At: num("t"), Sent: num("s"), Acked: num("a"),
		Attempt: int(num("n")), Namespace: str("ns"), Group: str("g"), Service: str("sv"),
		Clusters: str("cl"), ClientIP: str("ip"), ConnID: str("c"), ClientVersion: str("cv"),
		ClientApp: str("ca"), Instances: int(num("i")), Revision: num("v"), Bytes: int(num("b")),
		Node: str("nd"), TraceID: str("tr"), EndToEndMs: num("e"), NetworkMs: num("w"), Reason: str("rs"),
	}, nil
}

func usedMemory(b *testing.B, client redis.UniversalClient) int64 {
	var total int64
	for _, node := range redisNodes(b, client) {
		n, err := strconv.ParseInt(redisInfo(b, node, "memory", "used_memory"), 10, 64)
		if err != nil {
			b.Fatalf("INFO memory used_memory: %v", err)
		}
		total += n
	}
	return total
}

// redisNodes are the servers behind client: every master of a cluster,
// else the client itself.
func redisNodes(b *testing.B, client redis.UniversalClient) []redis.UniversalClient {
	cc, ok := client.(*redis.ClusterClient)
	if !ok {
		return []redis.UniversalClient{client}
	}
	var mu sync.Mutex
	var nodes []redis.UniversalClient
	if err := cc.ForEachMaster(context.Background(), func(_ context.Context, m *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		nodes = append(nodes, m)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return nodes
}

// redisInfo is the value of one field of an INFO section.
func redisInfo(b *testing.B, client redis.UniversalClient, section, field string) string {
	info, err := client.Info(context.Background(), section).Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	b.Fatalf("no %s in INFO %s", field, section)
	return ""
}
