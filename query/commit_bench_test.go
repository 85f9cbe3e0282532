package query_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// wchar returns the bytes this process has handed to write(2) and
// pwrite(2) (Linux /proc/self/io), or -1.
func wchar() int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// BenchmarkSingleWrite times one durable write call per op into a
// collection of n records (100d, cosine, M 16, efConstruction 200) and
// reports what each wrote: bytes handed to the kernel, graph nodes and
// commits. Set VECBOLT_BENCH_NOSYNC=1 to leave the fsync out and see the
// CPU part alone.
func BenchmarkSingleWrite(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, kind := range []string{"insert", "update", "metadata", "noop", "delete"} {
			b.Run(fmt.Sprintf("%s/n=%d", kind, n), func(b *testing.B) { benchSingleWrite(b, kind, n) })
		}
	}
}

func benchSingleWrite(b *testing.B, kind string, n int) {
	const dim = 100
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := query.Open(path, query.Options{NoSync: os.Getenv("VECBOLT_BENCH_NOSYNC") != ""})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c, err := db.CreateCollection(ctx, "b", query.CollectionConfig{Dim: dim, Metric: query.Cosine, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	extra := max(b.N, 1)
	vecs := clustered(5, n+extra, dim)
	recs := make([]query.Record, n)
	for i := range recs {
		recs[i] = query.Record{Key: strconv.Itoa(i), Vector: vecs[i]}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		b.Fatal(err)
	}
	if kind == "delete" {
		// Delete what this benchmark inserts first, untimed.
		for i := range b.N {
			if err := c.Upsert(ctx, "x"+strconv.Itoa(i), vecs[n+i], nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	st0, w0 := c.WriteStats(), wchar()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		var err error
		switch kind {
		case "insert":
			err = c.Upsert(ctx, "x"+strconv.Itoa(i), vecs[n+i], nil)
		case "update":
			err = c.Upsert(ctx, strconv.Itoa(i%n), vecs[n+i], nil)
		case "metadata":
			err = c.SetMetadata(ctx, strconv.Itoa(i%n), []byte(`{"i":`+strconv.Itoa(i)+`}`))
		case "noop":
			err = c.Upsert(ctx, strconv.Itoa(i%n), vecs[i%n], nil)
		case "delete":
			_, err = c.Delete(ctx, "x"+strconv.Itoa(i))
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st := c.WriteStats()
	if w := wchar(); w0 >= 0 {
		b.ReportMetric(float64(w-w0)/float64(b.N), "bytes-written/op")
	}
	b.ReportMetric(float64(st.Nodes-st0.Nodes)/float64(b.N), "nodes-written/op")
	b.ReportMetric(float64(st.Commits-st0.Commits)/float64(b.N), "commits/op")
}

// BenchmarkGroupInsert inserts new keys from 16 goroutines at once into a
// collection of 10,000 records, one durable Upsert per op, and reports
// commits and bytes written per op: group commit shares each transaction.
func BenchmarkGroupInsert(b *testing.B) {
	const n, dim = 10000, 100
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := query.Open(path, query.Options{NoSync: os.Getenv("VECBOLT_BENCH_NOSYNC") != ""})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c, err := db.CreateCollection(ctx, "b", query.CollectionConfig{Dim: dim, Metric: query.Cosine, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	vecs := clustered(5, n+b.N+64, dim)
	recs := make([]query.Record, n)
	for i := range recs {
		recs[i] = query.Record{Key: strconv.Itoa(i), Vector: vecs[i]}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	st0, w0 := c.WriteStats(), wchar()
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1) - 1)
			if err := c.Upsert(ctx, "x"+strconv.Itoa(i), vecs[n+i], nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := c.WriteStats()
	if w := wchar(); w0 >= 0 {
		b.ReportMetric(float64(w-w0)/float64(b.N), "bytes-written/op")
	}
	b.ReportMetric(float64(st.Nodes-st0.Nodes)/float64(b.N), "nodes-written/op")
	b.ReportMetric(float64(st.Commits-st0.Commits)/float64(b.N), "commits/op")
}

// BenchmarkSingleInsertFile times durable single inserts (one Upsert call
// each) into an existing database, named by VECBOLT_BENCH_DB, whose
// collection "bench" `vecbolt bench writes` built (100d); it is skipped
// without it. The records it inserts are deleted again. It is there to
// profile inserts at a size a test cannot build, e.g. at 1M:
//
//	VECBOLT_BENCH_DB=/tmp/w1m/w1m.db go test -run XXX -bench SingleInsertFile -benchtime 300x -cpuprofile cpu.out ./query
func BenchmarkSingleInsertFile(b *testing.B) {
	path := os.Getenv("VECBOLT_BENCH_DB")
	if path == "" {
		b.Skip("set VECBOLT_BENCH_DB to a database built by vecbolt bench writes")
	}
	db, err := query.Open(path, query.Options{NoSync: os.Getenv("VECBOLT_BENCH_NOSYNC") != ""})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c, err := db.Collection(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	// New vectors from the collection's own distribution: stored vectors
	// of random records, moved a little.
	r := rand.New(rand.NewPCG(7, 7))
	vecs := make([][]float32, b.N+1)
	for i := range vecs {
		rec, err := c.Get(ctx, strconv.Itoa(r.IntN(c.Len())))
		if err != nil {
			b.Fatal(err)
		}
		for j := range rec.Vector {
			rec.Vector[j] += float32(r.NormFloat64() * 0.05)
		}
		vecs[i] = rec.Vector
	}
	keys := make([]string, b.N+1)
	for i := range keys {
		keys[i] = "profile-" + strconv.Itoa(i)
	}
	// One untimed insert: the first after a load may grow the arrays.
	if err := c.Upsert(ctx, keys[b.N], vecs[b.N], nil); err != nil {
		b.Fatal(err)
	}
	st0, w0 := c.WriteStats(), wchar()
	b.ResetTimer()
	for i := range b.N {
		if err := c.Upsert(ctx, keys[i], vecs[i], nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st := c.WriteStats()
	b.ReportMetric(float64(wchar()-w0)/float64(b.N), "bytes/op")
	b.ReportMetric(float64(st.Nodes-st0.Nodes)/float64(b.N), "nodes/op")
	if _, err := c.Delete(ctx, keys...); err != nil {
		b.Fatal(err)
	}
}
