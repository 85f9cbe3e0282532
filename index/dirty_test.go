package index_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// marshalAll returns MarshalNode output for every id below MaxID.
func marshalAll(g *index.Graph) map[uint32][]byte {
	out := map[uint32][]byte{}
	for id := uint32(0); id < g.MaxID(); id++ {
		out[id] = g.MarshalNode(id, nil)
	}
	return out
}

// TestTakeDirty checks, after each kind of mutation, that every id whose
// MarshalNode output changed is reported by TakeDirty.
func TestTakeDirty(t *testing.T) {
	const dim = 8
	vecs := clustered(40, 600, dim, 6, true)
	g, err := index.New(dim, index.Cosine, index.Options{Seed: 40, M: 4, EfConstruction: 32})
	if err != nil {
		t.Fatal(err)
	}
	before := marshalAll(g)
	step := func(name string, f func()) {
		t.Helper()
		f()
		dirty := g.TakeDirty()
		after := marshalAll(g)
		for id := uint32(0); id < g.MaxID(); id++ {
			if !bytes.Equal(before[id], after[id]) && !slices.Contains(dirty, id) {
				t.Errorf("%s: node %d changed but is not dirty", name, id)
			}
		}
		if again := g.TakeDirty(); len(again) != 0 {
			t.Errorf("%s: second TakeDirty returned %v", name, again)
		}
		mustCheck(t, g)
		before = after
	}
	step("add", func() {
		for _, v := range vecs[:300] {
			if _, err := g.Add(v); err != nil {
				t.Fatal(err)
			}
		}
	})
	step("batch", func() {
		if _, err := g.AddBatch(t.Context(), vecs[300:], 3, nil); err != nil {
			t.Fatal(err)
		}
	})
	step("update", func() {
		for i := uint32(0); i < 20; i++ {
			if err := g.Update(i*7, vecs[i]); err != nil {
				t.Fatal(err)
			}
		}
	})
	step("delete", func() {
		if err := g.Delete(1, 2, 3, 100, 101, 250, 599); err != nil {
			t.Fatal(err)
		}
	})
	step("reuse", func() {
		for _, v := range vecs[:5] {
			if _, err := g.Add(v); err != nil {
				t.Fatal(err)
			}
		}
	})
}
