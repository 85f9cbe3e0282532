package query_test

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

var (
	benchOnce sync.Once
	benchColl *query.Collection
	benchQ    [][]float32
)

// benchCollection is 20,000 seeded 32-dimensional records, each with the
// metadata {"bucket": (i*7919) % 1000}.
func benchCollection(b *testing.B) *query.Collection {
	benchOnce.Do(func() {
		const n, dim = 20000, 32
		db, err := query.Open(filepath.Join(testDir, "bench.db"), query.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		c, err := db.CreateCollection(ctx, "bench", query.CollectionConfig{Dim: dim, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		vecs := clustered(81, n, dim)
		recs := make([]query.Record, n)
		for i := range recs {
			meta, _ := json.Marshal(map[string]int{"bucket": (i * 7919) % 1000})
			recs[i] = query.Record{Key: fmt.Sprintf("r%d", i), Vector: vecs[i], Metadata: meta}
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
			b.Fatal(err)
		}
		benchColl, benchQ = c, clustered(82, 200, dim)
	})
	return benchColl
}

// BenchmarkFilteredSearch measures filtered k=10 search at 50%, 5% and
// 0.1% of the records passing, with the automatic plan and with each plan
// forced, and reports recall@10 against exact filtered search.
func BenchmarkFilteredSearch(b *testing.B) {
	c := benchCollection(b)
	for _, perMille := range []float64{500, 50, 1} {
		flt := query.Lt("bucket", perMille)
		want := make([][]query.Result, len(benchQ))
		for i, q := range benchQ {
			r, err := c.Search(ctx, q, 10, query.SearchOptions{Filter: flt, Exact: true})
			if err != nil {
				b.Fatal(err)
			}
			want[i] = r
		}
		for _, plan := range []struct {
			name  string
			below func(n, ef int) int
		}{{"auto", nil}, {"graph", func(int, int) int { return -1 }}, {"scan", func(int, int) int { return math.MaxInt }}} {
			b.Run(fmt.Sprintf("pass=%g%%/%s", perMille/10, plan.name), func(b *testing.B) {
				if plan.below != nil {
					defer query.SetScanBelow(plan.below)()
				}
				b.ReportAllocs()
				var sum float64
				for i := 0; i < b.N; i++ {
					qi := i % len(benchQ)
					got, err := c.Search(ctx, benchQ[qi], 10, query.SearchOptions{Filter: flt})
					if err != nil {
						b.Fatal(err)
					}
					sum += recall(got, want[qi])
				}
				b.ReportMetric(sum/float64(b.N), "recall@10")
			})
		}
	}
}
