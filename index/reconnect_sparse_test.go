package index_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// TestReconnectSparseGraphs builds very sparse graphs (M=4,
// efConstruction=8) on two workers, which leave many nodes unreachable,
// and checks that local repair keeps every invariant without Reconnect. It once left
// duplicate links (a node attached to a neighbour that already linked to
// it) and unreachable pairs (attached inside a part of level 0 that the
// entry point does not reach); the vecbolt bench end-to-end test hit the
// first one on reopen.
func TestReconnectSparseGraphs(t *testing.T) {
	trials := 40
	if testing.Short() || raceEnabled {
		trials = 10
	}
	for trial := 0; trial < trials; trial++ {
		r := rand.New(rand.NewPCG(uint64(trial), 9))
		vecs := make([][]float32, 2000)
		for i := range vecs {
			v := make([]float32, 16)
			for j := range v {
				v[j] = float32(r.NormFloat64())
			}
			vecs[i] = v
		}
		g, err := index.New(16, index.L2, index.Options{M: 4, EfConstruction: 8, Seed: int64(trial)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.AddBatch(context.Background(), vecs, 2, nil); err != nil {
			t.Fatal(err)
		}
		if err := g.Check(); err != nil {
			t.Fatalf("trial %d: after AddBatch: %v", trial, err)
		}
		if lost, err := g.Reconnect(); lost != 0 || err != nil {
			t.Fatalf("trial %d: Reconnect after AddBatch found %d unreachable nodes (%v)", trial, lost, err)
		}
	}
}
