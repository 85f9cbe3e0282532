package query_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

var quantBench struct {
	once  sync.Once
	paths map[string]string
	qs    [][]float32
	err   error
}

// quantBenchDBs builds (once) 20,000 clustered 32-dimension l2 vectors
// into a float32 and an int8 database.
func quantBenchDBs(b *testing.B) (map[string]string, [][]float32) {
	quantBench.once.Do(func() {
		vecs := clustered(31, 20000, 32)
		quantBench.qs = clustered(32, 200, 32)
		quantBench.paths = map[string]string{}
		for _, enc := range []string{"none", "int8"} {
			path := filepath.Join(testDir, "quantbench-"+enc+".db")
			db, err := query.Open(path, query.Options{NoSync: true})
			if err != nil {
				quantBench.err = err
				return
			}
			s, err := db.Stage(ctx, "c", query.CollectionConfig{Dim: 32, Metric: query.L2, Quantize: enc, EfConstruction: 100}, query.StageOptions{})
			if err == nil {
				recs := make([]query.Record, len(vecs))
				for i, v := range vecs {
					recs[i] = query.Record{Key: fmt.Sprint(i), Vector: v}
				}
				if err = s.Collection().UpsertBatch(ctx, recs, query.BatchOptions{}); err == nil {
					err = s.Commit(ctx)
				}
			}
			db.Close()
			if err != nil {
				quantBench.err = err
				return
			}
			quantBench.paths[enc] = path
		}
	})
	if quantBench.err != nil {
		b.Fatal(quantBench.err)
	}
	return quantBench.paths, quantBench.qs
}

// BenchmarkSearchQuantized measures one Search (k 10, ef 64) on a float32
// and an int8 collection, opened read-only (the exact vectors' views live
// as long as the database) and read-write (one read transaction per
// search, views cached per bbolt generation: quant_view.go). Compare the
// rw and ro rows of one encoding for the cost of the per-search
// transaction.
func BenchmarkSearchQuantized(b *testing.B) {
	paths, qs := quantBenchDBs(b)
	for _, enc := range []string{"none", "int8"} {
		for _, ro := range []bool{true, false} {
			mode := map[bool]string{true: "ro", false: "rw"}[ro]
			b.Run(enc+"/"+mode, func(b *testing.B) {
				db, err := query.Open(paths[enc], query.Options{ReadOnly: ro, NoSync: true})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				c, err := db.Collection(ctx, "c")
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := c.Search(ctx, qs[i%len(qs)], 10, query.SearchOptions{Ef: 64}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
