package query_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// Regression: a search that began while no write was in flight ran without
// a visibility filter, so a node inserted during the search (linked, not
// yet committed) could come back as a result with an empty key (or an id
// beyond the key table). Found by TestConcurrencySoak.
func TestSearchNeverSeesUncommittedInserts(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 8, Metric: query.L2, M: 8, EfConstruction: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ctx, "seed", soakVector("seed", 0)[:8], nil); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	for s := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				res, err := c.Search(ctx, soakVector(fmt.Sprint(s, i), 0)[:8], 10, query.SearchOptions{})
				if err != nil {
					bad.Store(err.Error())
					return
				}
				for _, r := range res {
					if r.Key == "" {
						bad.Store(fmt.Sprintf("result with an empty key: %v", res))
						return
					}
				}
			}
		}()
	}
	deadline := time.Now().Add(time.Second)
	for b := 0; time.Now().Before(deadline) && bad.Load() == nil; b++ {
		recs := make([]query.Record, 20)
		for i := range recs {
			k := fmt.Sprintf("b%d-%d", b, i)
			recs[i] = query.Record{Key: k, Vector: soakVector(k, 0)[:8]}
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{Workers: 1}); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if msg := bad.Load(); msg != nil {
		t.Fatal(msg)
	}
}
