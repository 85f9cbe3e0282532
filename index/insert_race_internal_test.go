package index

import (
	"context"
	"math/rand"
	"testing"
)

// TestConcurrentInsertsAboveTopLevel adds small batches on many goroutines
// to empty graphs with M = 2, where levels are high (P(level >= l) = 2^-l)
// and inserts that raise the top level often run at once. Every node on a
// level shared with another node must have a link there. Before inserts
// above the top level held a lock across linking, two of them read the same
// old top and the loser left its levels above it empty (issue 12).
func TestConcurrentInsertsAboveTopLevel(t *testing.T) {
	const trials = 400
	bad := 0
	for trial := 0; trial < trials; trial++ {
		r := rand.New(rand.NewSource(int64(trial)))
		vecs := make([][]float32, 64)
		for i := range vecs {
			vecs[i] = []float32{r.Float32(), r.Float32(), r.Float32()}
		}
		g, err := New(3, L2, Options{M: 2, EfConstruction: 8, Seed: int64(trial)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.AddBatch(context.Background(), vecs, 16, nil); err != nil {
			t.Fatal(err)
		}
		if err := g.Check(); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		var perLevel [MaxLevel + 1]int
		for id := uint32(0); id < g.MaxID(); id++ {
			for l := 1; l <= int(g.levels[id]); l++ {
				perLevel[l]++
			}
		}
		for id := uint32(0); id < g.MaxID(); id++ {
			for l := 1; l <= int(g.levels[id]); l++ {
				if perLevel[l] > 1 && g.degree(id, l) == 0 {
					bad++
					if bad <= 5 {
						t.Errorf("trial %d: node %d of level %d has no link on level %d, shared with %d other nodes", trial, id, g.levels[id], l, perLevel[l]-1)
					}
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d unlinked upper-level lists in %d trials", bad, trials)
	}
}
