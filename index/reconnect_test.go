package index_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// Regression: inserts alone left nodes unreachable from the entry point
// (all their in-links pruned by later inserts), so a freshly built graph
// failed Check. Found by query's disk-full test (M=8, dimension 64).
func TestReconnectAfterInserts(t *testing.T) {
	const dim, n = 64, 400
	r := rand.New(rand.NewPCG(1, 1))
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = make([]float32, dim)
		for j := range vecs[i] {
			vecs[i][j] = float32(r.NormFloat64())
		}
	}
	for _, batch := range []bool{false, true} {
		g, err := index.New(dim, index.L2, index.Options{M: 8, EfConstruction: 32, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]uint32, n)
		if batch {
			// Two workers allocate ids in whatever order they run.
			if ids, err = g.AddBatch(context.Background(), vecs, 2, nil); err != nil {
				t.Fatal(err)
			}
		} else {
			for i, v := range vecs {
				if ids[i], err = g.Add(v); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Inserts repair locally: Check passes without Reconnect, and
		// Reconnect finds nothing to do.
		if err := g.Check(); err != nil {
			t.Fatalf("batch %t: after inserts: %v", batch, err)
		}
		t.Logf("batch %t: %+v", batch, g.RepairStats())
		if lost, err := g.Reconnect(); lost != 0 || err != nil {
			t.Errorf("Reconnect after inserts found %d unreachable nodes (%v)", lost, err)
		}
		// Every node is found by its own vector with a beam as wide as the
		// graph (level-0 search then visits everything reachable).
		for i, v := range vecs {
			res := g.Search(v, 1, n, nil)
			if len(res) == 0 || res[0].ID != ids[i] {
				t.Fatalf("batch %t: node %d not found by its own vector: %v", batch, ids[i], res)
			}
		}
	}
}
