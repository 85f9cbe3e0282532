package index

import (
	"errors"
	"math/rand"
	"testing"
)

func smallGraph(t *testing.T) *Graph {
	t.Helper()
	g, err := New(4, L2, Options{M: 4, Seed: 1, EfConstruction: 32})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		if _, err := g.Add([]float32{r.Float32(), r.Float32(), r.Float32(), r.Float32()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestCheckCatchesCorruption breaks one invariant at a time by hand and
// expects Check to name it and the node.
func TestCheckCatchesCorruption(t *testing.T) {
	tests := []struct {
		name   string
		kind   ViolationKind
		breakG func(g *Graph) uint32 // returns the node at fault
	}{
		{"self-loop", SelfLoop, func(g *Graph) uint32 {
			g.block(5, 0)[1] = 5
			return 5
		}},
		{"duplicate", DuplicateLink, func(g *Graph) uint32 {
			b := g.block(6, 0)
			b[2] = b[1]
			return 6
		}},
		{"degree", DegreeLimit, func(g *Graph) uint32 {
			g.block(7, 0)[0] = uint32(g.m0 + 1)
			return 7
		}},
		{"dead link", DeadLink, func(g *Graph) uint32 {
			g.block(8, 0)[1] = g.next.Load() + 3
			return 8
		}},
		{"level", LevelMismatch, func(g *Graph) uint32 {
			for id := uint32(0); id < g.next.Load(); id++ {
				if g.levels[id] > 0 {
					for x := uint32(0); ; x++ {
						if g.levels[x] == 0 && x != id && !containsID(g.links(nil, id, 1), x) {
							g.block(id, 1)[1] = x
							return id
						}
					}
				}
			}
			panic("no upper-level node")
		}},
		{"entry", BadEntry, func(g *Graph) uint32 {
			ep, top := unpackEntry(g.entry.Load())
			g.entry.Store(packEntry(ep, top+1))
			return ep
		}},
		{"unreachable", Unreachable, func(g *Graph) uint32 {
			const victim = 9
			for id := uint32(0); id < g.next.Load(); id++ {
				for l := 0; l <= int(g.levels[id]); l++ {
					var keep []Neighbor
					for _, x := range g.links(nil, id, l) {
						if x != victim {
							keep = append(keep, Neighbor{ID: x})
						}
					}
					g.writeList(nil, id, l, keep)
				}
			}
			return victim
		}},
		{"in-link index", BadInLinks, func(g *Graph) uint32 {
			*g.rep.in0At(13) = append(*g.rep.in0At(13), 14)
			return 13
		}},
		{"pending", BadInLinks, func(g *Graph) uint32 {
			g.setPending(15)
			return 15
		}},
		{"tombstone", StaleTombstone, func(g *Graph) uint32 {
			g.state[11] = stateDeleted
			g.live.Add(-1)
			return 11
		}},
		{"free list", BadFreeSlot, func(g *Graph) uint32 {
			g.free = append(g.free, 12)
			return 12
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := smallGraph(t)
			id := tc.breakG(g)
			err := g.Check()
			var ce *CheckError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidGraph) {
				t.Fatalf("Check = %v, want a *CheckError", err)
			}
			found := false
			for _, v := range ce.Violations {
				if v.Kind == tc.kind && v.ID == id {
					found = true
				}
			}
			if !found {
				t.Errorf("Check = %v, want a %q violation at node %d", err, tc.kind, id)
			}
		})
	}
}

func containsID(ids []uint32, x uint32) bool {
	for _, y := range ids {
		if y == x {
			return true
		}
	}
	return false
}

func TestLevelDistribution(t *testing.T) {
	// P(level >= l) = M^-l with mL = 1/ln(M)
	g, _ := New(2, L2, Options{M: 4, Seed: 2})
	const n = 200000
	counts := make([]int, MaxLevel+1)
	for i := 0; i < n; i++ {
		counts[g.randomLevel()]++
	}
	atLeast := n
	for l := 0; l < 4; l++ {
		want := float64(n)
		for i := 0; i < l; i++ {
			want /= 4
		}
		if got := float64(atLeast); got < want*0.9 || got > want*1.1 {
			t.Errorf("nodes at level >= %d: %v, want ~%v", l, got, want)
		}
		atLeast -= counts[l]
	}
}
