package index

import "testing"

// TestGrowKeepsFullChunks: growing the graph copies no full chunk of
// vectors or level-0 lists (their backing arrays stay where they are), and
// keeps every value.
func TestGrowKeepsFullChunks(t *testing.T) {
	g, err := New(2, L2, Options{M: 2})
	if err != nil {
		t.Fatal(err)
	}
	g.Reserve(chunkNodes + 5)
	if len(g.vecs) != 2 || len(g.vecs[0]) != 2*chunkNodes || len(g.vecs[1]) != 2*5 {
		t.Fatalf("chunks after Reserve(%d): %d, lens %d/%d", chunkNodes+5, len(g.vecs), len(g.vecs[0]), len(g.vecs[1]))
	}
	for _, id := range []uint32{0, chunkNodes - 1, chunkNodes, chunkNodes + 4} {
		copy(g.vec(id), []float32{float32(id), -float32(id)})
		g.block(id, 0)[0] = id % 5
	}
	v0, l0 := &g.vecs[0][0], &g.links0[0][0]
	g.Reserve(3*chunkNodes + 1)
	if &g.vecs[0][0] != v0 || &g.links0[0][0] != l0 {
		t.Errorf("growing copied the first, full chunk")
	}
	if len(g.vecs) != 4 || g.capacity != 3*chunkNodes+1 {
		t.Errorf("%d chunks, capacity %d", len(g.vecs), g.capacity)
	}
	for _, id := range []uint32{0, chunkNodes - 1, chunkNodes, chunkNodes + 4} {
		if v := g.vec(id); v[0] != float32(id) || v[1] != -float32(id) || g.block(id, 0)[0] != id%5 {
			t.Errorf("node %d after growing: vec %v, count %d", id, v, g.block(id, 0)[0])
		}
	}
}

func TestNextCapacity(t *testing.T) {
	for _, tc := range []struct{ c, want int }{
		{0, 1024}, {1024, 2048}, {40000, chunkNodes}, {chunkNodes, 2 * chunkNodes},
		{16 * chunkNodes, 18 * chunkNodes}, {17*chunkNodes + 3, 20 * chunkNodes},
	} {
		if got := nextCapacity(tc.c); got != tc.want {
			t.Errorf("nextCapacity(%d) = %d, want %d", tc.c, got, tc.want)
		}
	}
}
