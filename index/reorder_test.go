package index_test

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"unsafe"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// nodeLists decodes MarshalNode output: per level, the link list.
func nodeLists(t testing.TB, b []byte) [][]uint32 {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	level := int(b[0])
	b = b[1:]
	out := make([][]uint32, level+1)
	for l := 0; l <= level; l++ {
		if len(b) < 2 {
			t.Fatalf("MarshalNode output truncated at level %d", l)
		}
		cnt := int(binary.LittleEndian.Uint16(b))
		b = b[2:]
		for i := 0; i < cnt; i++ {
			out[l] = append(out[l], binary.LittleEndian.Uint32(b[4*i:]))
		}
		b = b[4*cnt:]
	}
	return out
}

// listsByID is a graph's lists and vectors by id, taken through the public
// API.
func listsByID(t testing.TB, g *index.Graph) map[uint32][][]uint32 {
	out := map[uint32][][]uint32{}
	for id := uint32(0); id < g.MaxID(); id++ {
		if b := g.MarshalNode(id, nil); b != nil {
			out[id] = nodeLists(t, b)
		}
	}
	return out
}

// meanLinkGap is the mean |u-v| over level-0 links u->v: small when
// linked nodes have nearby ids.
func meanLinkGap(lists map[uint32][][]uint32) float64 {
	var sum, n float64
	for u, ls := range lists {
		for _, v := range ls[0] {
			sum += float64(max(u, v) - min(u, v))
			n++
		}
	}
	return sum / n
}

func TestReorderIsTheSameGraph(t *testing.T) {
	const n, dim = 3000, 16
	vecs := clustered(7, n+50, dim, 20, false)
	queries := vecs[n:]
	params, err := quant.Train(dim, quant.L2, vecs[:n], quant.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		order index.Order
		enc   quant.Encoding
	}{
		{index.OrderNone, quant.None}, {index.OrderBFS, quant.None}, {index.OrderRCM, quant.None},
		{index.OrderGorder, quant.None}, {index.OrderBFS, quant.FP16}, {index.OrderRCM, quant.INT8},
	}
	for _, tc := range cases {
		order := tc.order
		t.Run(order.String()+"/"+tc.enc.String(), func(t *testing.T) {
			g, err := index.New(dim, index.L2, index.Options{M: 8, EfConstruction: 64, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := g.AddBatch(context.Background(), vecs[:n], 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.SetEncoding(tc.enc, params); err != nil {
				t.Fatal(err)
			}
			row := func(id uint32) []byte { return g.CodeRow(id) }
			if tc.enc == quant.None {
				row = func(id uint32) []byte {
					v := g.Vector(id)
					return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
				}
			}
			// Free some slots: Reorder compacts them away.
			var gone []uint32
			for i := 0; i < n; i += 17 {
				gone = append(gone, ids[i])
			}
			if err := g.Delete(gone...); err != nil {
				t.Fatal(err)
			}
			mustCheck(t, g)
			g.TakeDirty()
			before := listsByID(t, g)
			oldMax, live := g.MaxID(), g.Len()
			rowOf := map[uint32][]byte{}
			for id := range before {
				rowOf[id] = slices.Clone(row(id))
			}
			var want [][]index.Neighbor
			for _, q := range queries {
				want = append(want, g.Search(q, 10, 40, nil))
			}

			perm, err := g.Reorder(order)
			if err != nil {
				t.Fatal(err)
			}
			if len(perm) != int(oldMax) {
				t.Fatalf("perm has %d entries, want MaxID %d", len(perm), oldMax)
			}
			if g.Len() != live || int(g.MaxID()) != live {
				t.Fatalf("after Reorder Len %d MaxID %d, want both %d", g.Len(), g.MaxID(), live)
			}
			// perm is a bijection from the live ids onto 0..live-1.
			hit := make([]bool, live)
			for old, nu := range perm {
				_, wasLive := before[uint32(old)]
				if !wasLive {
					if nu != index.NoID {
						t.Fatalf("free slot %d mapped to %d", old, nu)
					}
					continue
				}
				if int(nu) >= live || hit[nu] {
					t.Fatalf("perm[%d] = %d: out of range or taken twice", old, nu)
				}
				hit[nu] = true
			}
			// Same lists, same vectors, under the new ids.
			after := listsByID(t, g)
			for old, ls := range before {
				nu := perm[old]
				got := after[nu]
				if len(got) != len(ls) {
					t.Fatalf("node %d (now %d): %d levels, want %d", old, nu, len(got), len(ls))
				}
				for l := range ls {
					mapped := make([]uint32, len(ls[l]))
					for i, v := range ls[l] {
						mapped[i] = perm[v]
					}
					if !slices.Equal(got[l], mapped) {
						t.Fatalf("node %d (now %d) level %d: links %v, want %v", old, nu, l, got[l], mapped)
					}
				}
				if r := row(nu); len(r) == 0 || !slices.Equal(r, rowOf[old]) {
					t.Fatalf("node %d (now %d): vector or code moved wrongly", old, nu)
				}
			}
			// Same search results, mapped.
			for i, q := range queries {
				got := g.Search(q, 10, 40, nil)
				if len(got) != len(want[i]) {
					t.Fatalf("query %d: %d results, want %d", i, len(got), len(want[i]))
				}
				for j := range got {
					if got[j].ID != perm[want[i][j].ID] || got[j].Dist != want[i][j].Dist {
						t.Fatalf("query %d result %d: %v, want %v mapped to %d", i, j, got[j], want[i][j], perm[want[i][j].ID])
					}
				}
			}
			// Every old id is reported for rewriting.
			dirty := g.TakeDirty()
			slices.Sort(dirty)
			if len(dirty) != int(oldMax) || dirty[0] != 0 || dirty[len(dirty)-1] != oldMax-1 {
				t.Fatalf("TakeDirty after Reorder: %d ids, want every id below %d", len(dirty), oldMax)
			}
			mustCheck(t, g)
			// The graph stays writable: inserts, deletes, Check.
			for _, v := range queries[:10] {
				if _, err := g.Add(v); err != nil {
					t.Fatal(err)
				}
			}
			if err := g.Delete(0, 5, uint32(live-1)); err != nil {
				t.Fatal(err)
			}
			mustCheck(t, g)

			gap0, gap1 := meanLinkGap(before), meanLinkGap(after)
			t.Logf("%s: mean level-0 link gap %.0f -> %.0f", order, gap0, gap1)
			if order != index.OrderNone && gap1 > gap0/2 {
				t.Errorf("%s: mean link gap %.0f -> %.0f, want it at least halved", order, gap0, gap1)
			}
			if order == index.OrderBFS {
				// Breadth-first: each node but the first is linked from
				// a node numbered before it.
				parent := make([]bool, live)
				parent[0] = true
				for u := 0; u < live; u++ {
					for _, v := range after[uint32(u)][0] {
						if int(v) > u {
							parent[v] = true
						}
					}
				}
				for v, ok := range parent {
					if !ok {
						t.Fatalf("BFS order: node %d has no in-link from a lower id", v)
					}
				}
			}
		})
	}
}

func TestReorderEmptyAndBadOrder(t *testing.T) {
	g, err := index.New(4, index.Cosine, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	perm, err := g.Reorder(index.OrderBFS)
	if err != nil || len(perm) != 0 {
		t.Fatalf("Reorder of an empty graph: %v, %v", perm, err)
	}
	if _, err := g.Reorder(index.Order(99)); !errors.Is(err, index.ErrOptions) {
		t.Fatalf("Reorder(99): %v, want ErrOptions", err)
	}
	for _, s := range []string{"none", "bfs", "rcm", "gorder"} {
		o, err := index.ParseOrder(s)
		if err != nil || o.String() != s {
			t.Fatalf("ParseOrder(%q) = %v, %v", s, o, err)
		}
	}
	if _, err := index.ParseOrder("random"); !errors.Is(err, index.ErrOptions) {
		t.Fatalf("ParseOrder(random): %v, want ErrOptions", err)
	}
}
