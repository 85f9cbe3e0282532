package index

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/index/quant"
)

// restoreCopy restores g through the codec. view: the vectors are given
// as views (SetVectors of vecs, indexed by id) instead of copies; enc: the
// restored graph holds codes instead.
func restoreCopy(t *testing.T, g *Graph, vecs [][]float32, view bool, enc quant.Encoding, params *quant.Int8) *Graph {
	t.Helper()
	r, err := Restore(g.Dim(), g.Metric(), g.Options(), g.MarshalMeta(), g.MaxID())
	if err != nil {
		t.Fatal(err)
	}
	if enc != quant.None {
		if err := r.SetEncoding(enc, params); err != nil {
			t.Fatal(err)
		}
	}
	if view {
		chunk := make([]float32, 0, len(vecs)*g.Dim())
		for _, v := range vecs {
			chunk = append(chunk, v...)
		}
		if err := r.SetVectors(chunkShift, [][]float32{chunk}); err != nil {
			t.Fatal(err)
		}
	}
	for id := uint32(0); id < g.MaxID(); id++ {
		node := g.MarshalNode(id, nil)
		if node == nil {
			continue
		}
		v := vecs[id]
		if view {
			v = nil
		}
		if err := r.Node(id, v, node); err != nil {
			t.Fatal(err)
		}
	}
	h, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestRestoreLeavesWriterStateOut: a restored graph holds none of the
// per-node state only writers use (node mutexes, in-link lists, pending
// bits), and no float32 slab unless it copied vectors, until its first
// write; it searches like the original before and after that write, and
// the write leaves a graph Check accepts.
func TestRestoreLeavesWriterStateOut(t *testing.T) {
	const n, dim = 600, 8
	rng := rand.New(rand.NewSource(3))
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = make([]float32, dim)
		for j := range vecs[i] {
			vecs[i][j] = float32(rng.NormFloat64())
		}
	}
	g, err := New(dim, L2, Options{M: 6, EfConstruction: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vecs {
		if _, err := g.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	params, err := quant.Train(dim, quant.L2, vecs, quant.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		view     bool
		enc      quant.Encoding
		wantVecs bool
	}{
		{"copied", false, quant.None, true},
		{"viewed", true, quant.None, true},
		{"int8", false, quant.INT8, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := restoreCopy(t, g, vecs, tc.view, tc.enc, params)
			if h.nodeMu != nil || h.rep.in0 != nil || h.rep.inU != nil || h.rep.pending != nil {
				t.Errorf("restored graph holds writer state: %d node mutexes, %d+%d in-link chunks, %d pending chunks",
					len(h.nodeMu), len(h.rep.in0), len(h.rep.inU), len(h.rep.pending))
			}
			if got := h.vecs != nil; got != tc.wantVecs {
				t.Errorf("float32 slab present = %v, want %v", got, tc.wantVecs)
			}
			if tc.view && !h.viewed {
				t.Errorf("viewed vectors were copied")
			}
			for id := uint32(0); id < g.MaxID(); id++ {
				if a, b := g.MarshalNode(id, nil), h.MarshalNode(id, nil); !slices.Equal(a, b) {
					t.Fatalf("node %d: restored form %v, original %v", id, b, a)
				}
			}
			q := vecs[7]
			want := g.Search(q, 10, 50, nil)
			if tc.enc == quant.None {
				if got := h.Search(q, 10, 50, nil); !slices.Equal(got, want) {
					t.Errorf("restored search %v, original %v", got, want)
				}
			}
			id, err := h.Add(vecs[3])
			if err != nil {
				t.Fatal(err)
			}
			if int(id) != n || len(h.nodeMu) < int(id)+1 || h.rep.in0 == nil {
				t.Errorf("after Add (id %d): %d node mutexes, %d in-link chunks", id, len(h.nodeMu), len(h.rep.in0))
			}
			if err := h.Check(); err != nil {
				t.Fatal(err)
			}
			if err := h.Delete(id); err != nil {
				t.Fatal(err)
			}
			if tc.enc == quant.None {
				if got := h.Search(q, 10, 50, nil); !slices.Equal(got, want) {
					t.Errorf("after Add and Delete: search %v, original %v", got, want)
				}
			}
		})
	}
}
