package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// writeCost is the mean work of one kind of single write.
type writeCost struct {
	dist, visited, dirty float64
}

// measureWrites builds a graph of n clustered vectors, then does 200
// single Adds, 200 Updates and 200 Deletes and returns the mean distance
// computations, nodes visited by local repair and nodes made dirty per
// write of each kind.
func measureWrites(t testing.TB, n int) (add, update, del writeCost) {
	const dim, writes = 12, 200
	// Uniform points in a cube: the local geometry the heuristic sees is
	// the same at every density, so any growth with n is the code's, not
	// the data's (clustered data grows denser, and lists fuller, with n).
	r := rand.New(rand.NewPCG(41, 0))
	vecs := make([][]float32, n+2*writes)
	for i := range vecs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()
		}
		vecs[i] = v
	}
	g, err := index.New(dim, index.L2, index.Options{M: 12, EfConstruction: 100, Seed: 41})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := g.AddBatch(context.Background(), vecs[:n], 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.TakeDirty()
	measure := func(op func(i int) error) writeCost {
		d0, v0 := g.DistanceComputations(), g.RepairStats().NodesVisited
		dirty := 0
		for i := range writes {
			if err := op(i); err != nil {
				t.Fatal(err)
			}
			dirty += len(g.TakeDirty())
		}
		return writeCost{
			dist:    float64(g.DistanceComputations()-d0) / writes,
			visited: float64(g.RepairStats().NodesVisited-v0) / writes,
			dirty:   float64(dirty) / writes,
		}
	}
	add = measure(func(i int) error {
		_, err := g.Add(vecs[n+i])
		return err
	})
	update = measure(func(i int) error {
		return g.Update(ids[r.IntN(n)], vecs[n+writes+i])
	})
	perm := r.Perm(n)
	del = measure(func(i int) error {
		return g.Delete(ids[perm[i]])
	})
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
	return add, update, del
}

// TestWriteCostIndependentOfSize checks, by counting (not timing), that a
// single Add, Update and Delete cost about the same at 1k, 10k and 100k
// nodes: the mean distance computations, nodes visited by local repair and
// nodes rewritten per write stay within a factor of the 1k figure (2.5 for
// distances, where the 1k graph is too small for a full beam; 3 for the
// others), where an O(n) step would grow them 100-fold. The 100k point is
// skipped under -short (it builds for about a minute), the whole test
// under -race.
func TestWriteCostIndependentOfSize(t *testing.T) {
	if raceEnabled {
		t.Skip("counts do not depend on the race detector, which makes the 10k build take minutes; run without -race")
	}
	sizes := []int{1000, 10000, 100000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	type row struct{ add, update, del writeCost }
	rows := make([]row, len(sizes))
	for i, n := range sizes {
		a, u, d := measureWrites(t, n)
		rows[i] = row{a, u, d}
		t.Logf("n=%6d add %+v update %+v delete %+v", n, a, u, d)
	}
	within := func(what string, base, got, factor float64) {
		t.Helper()
		if got > factor*max(base, 1) {
			t.Errorf("%s: %.1f per write, more than %.1fx the %.1f at n=%d", what, got, factor, base, sizes[0])
		}
	}
	for i := 1; i < len(sizes); i++ {
		for _, k := range []struct {
			name      string
			base, got writeCost
		}{
			{"add", rows[0].add, rows[i].add},
			{"update", rows[0].update, rows[i].update},
			{"delete", rows[0].del, rows[i].del},
		} {
			p := fmt.Sprintf("n=%d %s", sizes[i], k.name)
			within(p+" distance computations", k.base.dist, k.got.dist, 2.5)
			within(p+" nodes visited by repair", k.base.visited, k.got.visited, 3)
			within(p+" nodes rewritten", k.base.dirty, k.got.dirty, 3)
		}
	}
}
