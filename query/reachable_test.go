package query_test

import (
	"fmt"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// Regression: UpsertBatch committed graphs with nodes no search could reach
// (HNSW inserts prune in-links), so a healthy database failed Check. Found
// by TestDiskFull (M=8, dimension 64).
func TestInsertsKeepEveryRecordReachable(t *testing.T) {
	db, _ := openTemp(t)
	const dim = 64
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: query.L2, M: 8, EfConstruction: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for b := 0; b < 4; b++ {
		recs := make([]query.Record, 100)
		for i := range recs {
			k := fmt.Sprintf("b%d-%d", b, i)
			recs[i] = query.Record{Key: k, Vector: soakVectorDim(k, 1, dim)}
			keys = append(keys, k)
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			k := fmt.Sprintf("s%d-%d", b, i)
			if err := c.Upsert(ctx, k, soakVectorDim(k, 1, dim), nil); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		if err := c.Check(ctx); err != nil {
			t.Fatalf("after batch %d: %v", b, err)
		}
	}
	verifyKeys(t, c, keys, dim)
}
