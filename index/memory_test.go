package index_test

import (
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// TestMemoryRestoredInt8: a graph restored from INT8 code rows holds no
// float32 slab, codes at their aligned stride, level-0 lists at 2M+1
// words a slot, upper-level lists as a 4-byte offset a slot plus their
// slab, and no writers' state until its first write; the sizes written
// out here from the layout are what Memory reports.
func TestMemoryRestoredInt8(t *testing.T) {
	const n, dim, m = 3000, 24, 8
	vecs := clustered(21, n+10, dim, 10, false)
	params, err := quant.Train(dim, quant.L2, vecs[:n], quant.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := buildEncoded(t, encodedCase{enc: quant.INT8}, dim, index.L2, index.Options{M: m, Seed: 4}, vecs[:n], params)
	r, err := index.Restore(dim, index.L2, g.Options(), g.MarshalMeta(), g.MaxID())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetEncoding(quant.INT8, params); err != nil {
		t.Fatal(err)
	}
	const shift = 10
	if err := r.SetCodes(shift, codeChunks(g, shift, g.MaxID())); err != nil {
		t.Fatal(err)
	}
	upperNodes := 0
	for id := uint32(0); id < g.MaxID(); id++ {
		node := g.MarshalNode(id, nil)
		if err := r.Node(id, nil, node); err != nil {
			t.Fatal(err)
		}
		if node[0] > 0 {
			upperNodes++
		}
	}
	v, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	mem := v.Memory()
	capacity := int64(v.Stats().Capacity)
	stride := int64(32) // dim 24 rounded up to a power of two below a cache line
	if mem.Vectors != 0 {
		t.Errorf("a float32 slab of %d bytes in an INT8 graph", mem.Vectors)
	}
	if want := capacity*stride + 4*capacity; mem.Codes < want || mem.Codes > want+int64(stride+4)*65536 {
		t.Errorf("codes: %d bytes, want %d (+ at most a chunk's slack)", mem.Codes, want)
	}
	if want := 4 * (2*m + 1) * capacity; mem.Level0 != want {
		t.Errorf("level-0 lists: %d bytes, want %d", mem.Level0, want)
	}
	// The slab is whole chunks of 64Ki words; the offsets 4 bytes a slot.
	if min := 4*capacity + int64(upperNodes*4*(m+1)); mem.Upper < min || mem.Upper > 4*capacity+4<<16*int64(1+upperNodes*(m+1)*4/(4<<16)) {
		t.Errorf("upper lists: %d bytes for %d nodes above level 0, want at least %d and whole chunks", mem.Upper, upperNodes, min)
	}
	if upperNodes == 0 || upperNodes > n/2 {
		t.Fatalf("%d nodes above level 0: the test needs some", upperNodes)
	}
	if want := 5 * capacity; mem.PerNode != want {
		t.Errorf("levels and states: %d bytes, want %d", mem.PerNode, want)
	}
	if mem.Writers != 0 {
		t.Errorf("writers' state of %d bytes before any write", mem.Writers)
	}
	if mem.Total() != mem.Vectors+mem.Codes+mem.Level0+mem.Upper+mem.PerNode+mem.Writers {
		t.Error("Total is not the sum of the parts")
	}
	// Searches agree with the original; a write builds the writers' state.
	for _, q := range vecs[n:] {
		if a, b := g.Search(q, 10, 48, nil), v.Search(q, 10, 48, nil); !slices.Equal(a, b) {
			t.Fatalf("restored graph answers %v, original %v", b, a)
		}
	}
	if _, err := v.Add(vecs[n]); err != nil {
		t.Fatal(err)
	}
	if v.Memory().Writers == 0 {
		t.Error("no writers' state after a write")
	}
	if err := v.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestUpperListsReused: deleting nodes above level 0 and adding new ones
// reuses the freed upper-level lists (the slab does not grow), and the
// graph stays consistent (Check) and searchable.
func TestUpperListsReused(t *testing.T) {
	const n, dim = 2000, 8
	vecs := clustered(22, 2*n, dim, 8, false)
	g, err := index.New(dim, index.L2, index.Options{M: 4, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vecs[:n] {
		if _, err := g.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	before := g.Memory().Upper
	for round := 0; round < 3; round++ {
		var del []uint32
		for id := uint32(0); id < g.MaxID(); id += 3 {
			if g.Live(id) {
				del = append(del, id)
			}
		}
		if err := g.Delete(del...); err != nil {
			t.Fatal(err)
		}
		for i := range del {
			if _, err := g.Add(vecs[n+(round*len(del)+i)%n]); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	// A new node's level is random: a few more nodes of some level than
	// were freed may need a new chunk, never one per round.
	if after := g.Memory().Upper; after > before+4<<16 {
		t.Errorf("upper-level memory grew from %d to %d bytes over delete and re-add", before, after)
	}
	st := g.Stats()
	if st.Nodes != n || st.Reachable != n {
		t.Fatalf("%d nodes, %d reachable, want %d", st.Nodes, st.Reachable, n)
	}
}

// restoreInt8 restores g (INT8, params) from its code rows and nodes, as a
// read-only open does.
func restoreInt8(t *testing.T, g *index.Graph, params *quant.Int8) *index.Graph {
	t.Helper()
	r, err := index.Restore(g.Dim(), g.Metric(), g.Options(), g.MarshalMeta(), g.MaxID())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetEncoding(quant.INT8, params); err != nil {
		t.Fatal(err)
	}
	if err := r.SetCodes(10, codeChunks(g, 10, g.MaxID())); err != nil {
		t.Fatal(err)
	}
	for id := uint32(0); id < g.MaxID(); id++ {
		if node := g.MarshalNode(id, nil); node != nil {
			if err := r.Node(id, nil, node); err != nil {
				t.Fatal(err)
			}
		}
	}
	v, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPackLevel0: packed level-0 lists take 4·(1+degree) bytes a node
// plus an offset (computed here from the degrees Stats reports), give the
// same nodes, searches and rescored searches as the lists at their fixed
// stride, and go back to that stride at the first write (Add, Reorder),
// after which the graph is consistent (Check) and searches as before.
func TestPackLevel0(t *testing.T) {
	const n, dim, m = 2500, 16, 8
	vecs := clustered(23, n+30, dim, 10, false)
	params, err := quant.Train(dim, quant.L2, vecs[:n], quant.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, byID := buildEncoded(t, encodedCase{enc: quant.INT8}, dim, index.L2, index.Options{M: m, Seed: 5}, vecs[:n], params)
	if err := g.Delete(11, 12); err != nil { // free slots: empty lists
		t.Fatal(err)
	}
	delete(byID, 11)
	delete(byID, 12)
	fixed, packed := restoreInt8(t, g, params), restoreInt8(t, g, params)
	packed.PackLevel0()
	packed.PackLevel0() // a second call does nothing
	if !packed.Packed() || fixed.Packed() {
		t.Fatalf("Packed: %t after PackLevel0, %t without", packed.Packed(), fixed.Packed())
	}
	st := fixed.Stats()
	slots := int64(st.Capacity)
	if want := 4 * (slots + int64(st.Levels[0].Links) + slots + 1); packed.Memory().Level0 != want {
		t.Errorf("packed level 0: %d bytes, want %d (a count, the links and an offset a slot)", packed.Memory().Level0, want)
	}
	if fixed.Memory().Level0 != 4*(2*m+1)*slots {
		t.Errorf("fixed level 0: %d bytes, want %d", fixed.Memory().Level0, 4*(2*m+1)*slots)
	}
	for id := uint32(0); id < g.MaxID(); id++ {
		if a, b := fixed.MarshalNode(id, nil), packed.MarshalNode(id, nil); !slices.Equal(a, b) {
			t.Fatalf("node %d: %v packed, %v fixed", id, b, a)
		}
	}
	same := func(what string) {
		t.Helper()
		for _, q := range vecs[n:] {
			if a, b := fixed.Search(q, 10, 40, nil), packed.Search(q, 10, 40, nil); !slices.Equal(a, b) {
				t.Fatalf("%s: search %v packed, %v fixed", what, b, a)
			}
			if a, b := fixed.SearchRescore(nil, q, 10, 40, nil, 3, exactFrom(byID)), packed.SearchRescore(nil, q, 10, 40, nil, 3, exactFrom(byID)); !slices.Equal(a, b) {
				t.Fatalf("%s: rescored search %v packed, %v fixed", what, b, a)
			}
		}
	}
	same("packed")
	if err := packed.Check(); err != nil { // Check unpacks first (it builds the writers' state)
		t.Fatal(err)
	}
	if packed.Packed() {
		t.Fatal("still packed after Check")
	}
	same("unpacked by Check")
	packed.PackLevel0()
	if packed.Packed() {
		t.Fatal("PackLevel0 packed a checked graph")
	}
	packed = restoreInt8(t, g, params)
	packed.PackLevel0()
	a, err := fixed.Add(vecs[n])
	if err != nil {
		t.Fatal(err)
	}
	b, err := packed.Add(vecs[n])
	if err != nil || a != b {
		t.Fatalf("Add: id %d packed (%v), %d fixed", b, err, a)
	}
	if packed.Packed() {
		t.Fatal("still packed after Add")
	}
	if err := packed.Check(); err != nil {
		t.Fatal(err)
	}
	byID[a] = vecs[n]
	same("after Add")
	packed = restoreInt8(t, g, params)
	packed.PackLevel0()
	if !packed.Packed() {
		t.Fatal("a restored graph not packed")
	}
	if _, err := packed.Reorder(index.OrderRCM); err != nil {
		t.Fatal(err)
	}
	if packed.Packed() {
		t.Fatal("still packed after Reorder")
	}
	if err := packed.Check(); err != nil {
		t.Fatal(err)
	}
}
