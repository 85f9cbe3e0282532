package index_test

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// snapshot is a marshalled graph: meta, node bytes and vectors by id.
type snapshot struct {
	dim   int
	m     index.Metric
	opts  index.Options
	meta  []byte
	n     uint32
	nodes map[uint32][]byte
	vecs  map[uint32][]float32
}

func marshal(g *index.Graph) snapshot {
	s := snapshot{dim: g.Dim(), m: g.Metric(), opts: g.Options(), meta: g.MarshalMeta(), n: g.MaxID(),
		nodes: map[uint32][]byte{}, vecs: map[uint32][]float32{}}
	for id := uint32(0); id < s.n; id++ {
		if b := g.MarshalNode(id, nil); b != nil {
			s.nodes[id] = b
			s.vecs[id] = slices.Clone(g.Vector(id))
		}
	}
	return s
}

func (s snapshot) restore() (*index.Graph, error) {
	r, err := index.Restore(s.dim, s.m, s.opts, s.meta, s.n)
	if err != nil {
		return nil, err
	}
	for id, b := range s.nodes {
		if err := r.Node(id, s.vecs[id], b); err != nil {
			return nil, err
		}
	}
	return r.Finish()
}

func codecGraph(t testing.TB) (*index.Graph, [][]float32) {
	const n, dim = 1200, 12
	vecs := clustered(30, n, dim, 10, false)
	g, _ := build(t, dim, index.L2, index.Options{Seed: 30, M: 6, EfConstruction: 48}, vecs)
	if err := g.Delete(3, 50, 51, 700); err != nil {
		t.Fatal(err)
	}
	return g, vecs
}

func TestCodecRoundTrip(t *testing.T) {
	g, vecs := codecGraph(t)
	s := marshal(g)
	h, err := s.restore()
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, h)
	if h.Len() != g.Len() || h.MaxID() != g.MaxID() {
		t.Fatalf("restored Len/MaxID %d/%d, want %d/%d", h.Len(), h.MaxID(), g.Len(), g.MaxID())
	}
	for i, q := range vecs[:200] {
		a, b := g.Search(q, 10, 32, nil), h.Search(q, 10, 32, nil)
		if !slices.Equal(a, b) {
			t.Fatalf("query %d: original %v, restored %v", i, a, b)
		}
	}
	if d := h.TakeDirty(); len(d) != 0 {
		t.Errorf("restored graph has %d dirty ids", len(d))
	}
	// freed slots are reused after a restore too, lowest first
	id, err := h.Add(vecs[0])
	if err != nil || id != 3 {
		t.Errorf("Add after restore = %d, %v; want freed slot 3", id, err)
	}
	mustCheck(t, h)
	// a second marshal of an unchanged graph is byte-identical
	if s2 := marshal(g); !slices.Equal(s.meta, s2.meta) || len(s.nodes) != len(s2.nodes) {
		t.Error("marshal is not deterministic")
	}
}

func TestRestoreRejectsCorruption(t *testing.T) {
	g, _ := codecGraph(t)
	base := marshal(g)
	le := binary.LittleEndian
	// node 10's bytes with a patch applied; links start at offset 3
	patchNode := func(f func(b []byte) []byte) func(s *snapshot) {
		return func(s *snapshot) { s.nodes[10] = f(slices.Clone(s.nodes[10])) }
	}
	tests := []struct {
		name  string
		patch func(s *snapshot)
	}{
		{"meta version", func(s *snapshot) { s.meta[0] = 9 }},
		{"meta truncated", func(s *snapshot) { s.meta = s.meta[:10] }},
		{"meta empty", func(s *snapshot) { s.meta = nil }},
		{"meta metric", func(s *snapshot) { s.meta[1] = uint8(index.Cosine) }},
		{"meta dim", func(s *snapshot) { le.PutUint32(s.meta[2:], 99) }},
		{"meta M", func(s *snapshot) { le.PutUint32(s.meta[6:], 7) }},
		{"meta entry beyond n", func(s *snapshot) { le.PutUint32(s.meta[26:], s.n+5) }},
		{"meta level too high", func(s *snapshot) { s.meta[30] = 200 }},
		{"meta wrong top level", func(s *snapshot) { s.meta[30]++ }},
		{"entry not restored", func(s *snapshot) { delete(s.nodes, le.Uint32(s.meta[26:])) }},
		{"node empty", patchNode(func(b []byte) []byte { return nil })},
		{"node level too high", patchNode(func(b []byte) []byte { b[0] = 40; return b })},
		{"node truncated", patchNode(func(b []byte) []byte { return b[:len(b)-1] })},
		{"node trailing bytes", patchNode(func(b []byte) []byte { return append(b, 0) })},
		{"node count over limit", patchNode(func(b []byte) []byte { le.PutUint16(b[1:], 13); return b })},
		{"node link beyond n", patchNode(func(b []byte) []byte { le.PutUint32(b[3:], 1<<30); return b })},
		{"node self-loop", patchNode(func(b []byte) []byte { le.PutUint32(b[3:], 10); return b })},
		{"node duplicate link", patchNode(func(b []byte) []byte { copy(b[7:11], b[3:7]); return b })},
		{"node link to freed slot", patchNode(func(b []byte) []byte { le.PutUint32(b[3:], 50); return b })},
		{"vector length", func(s *snapshot) { s.vecs[10] = s.vecs[10][:3] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.meta = slices.Clone(base.meta)
			s.nodes = make(map[uint32][]byte, len(base.nodes))
			for k, v := range base.nodes {
				s.nodes[k] = v
			}
			s.vecs = make(map[uint32][]float32, len(base.vecs))
			for k, v := range base.vecs {
				s.vecs[k] = v
			}
			tc.patch(&s)
			if _, err := s.restore(); !errors.Is(err, index.ErrCorrupt) {
				t.Errorf("restore = %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzRestoreNode(f *testing.F) {
	g, _ := codecGraph(f)
	for id := uint32(0); id < 40; id++ {
		if b := g.MarshalNode(id, nil); b != nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{31, 0, 0})
	vec := make([]float32, g.Dim())
	f.Fuzz(func(t *testing.T, node []byte) {
		r, err := index.Restore(g.Dim(), g.Metric(), g.Options(), g.MarshalMeta(), g.MaxID())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Node(1, vec, node); err != nil {
			if !errors.Is(err, index.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		_, err = r.Finish() // links to nodes never restored, or a missing entry
		if err != nil && !errors.Is(err, index.ErrCorrupt) {
			t.Fatalf("Finish error %v does not wrap ErrCorrupt", err)
		}
	})
}

func FuzzRestoreMeta(f *testing.F) {
	g, _ := codecGraph(f)
	empty, _ := index.New(g.Dim(), g.Metric(), g.Options())
	f.Add(g.MarshalMeta(), uint16(g.MaxID()))
	f.Add(empty.MarshalMeta(), uint16(0))
	f.Add([]byte{1}, uint16(5))
	f.Fuzz(func(t *testing.T, meta []byte, n uint16) {
		r, err := index.Restore(g.Dim(), g.Metric(), g.Options(), meta, uint32(n))
		if err != nil {
			if !errors.Is(err, index.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		h, err := r.Finish()
		if err != nil {
			if !errors.Is(err, index.ErrCorrupt) {
				t.Fatalf("Finish error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		mustCheck(t, h)
	})
}

// TestRestoreViewedVectors restores a graph whose vectors stay in the
// caller's chunks (as a read-only open views the file's blocks): searches
// equal the original graph's, nothing is written to the chunks, and the
// first write copies them first.
func TestRestoreViewedVectors(t *testing.T) {
	g, _ := codecGraph(t)
	s := marshal(g)
	const shift = 8 // 256 vectors per chunk, as a store block would hold
	chunks := make([][]float32, (s.n+255)>>shift)
	for id, v := range s.vecs {
		c, row := id>>shift, int(id&255)
		if need := (row + 1) * s.dim; len(chunks[c]) < need {
			chunks[c] = append(chunks[c], make([]float32, need-len(chunks[c]))...)
		}
		copy(chunks[c][row*s.dim:], v)
	}
	frozen := make([][]float32, len(chunks))
	for i, c := range chunks {
		frozen[i] = slices.Clone(c)
	}
	r, err := index.Restore(s.dim, s.m, s.opts, s.meta, s.n)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetVectors(17, chunks); !errors.Is(err, index.ErrOptions) {
		t.Fatalf("SetVectors with chunks of 1<<17: %v, want ErrOptions", err)
	}
	if err := r.SetVectors(shift, [][]float32{make([]float32, s.dim+1)}); !errors.Is(err, index.ErrCorrupt) {
		t.Fatalf("SetVectors with a partial vector: %v, want ErrCorrupt", err)
	}
	if err := r.SetVectors(shift, chunks); err != nil {
		t.Fatal(err)
	}
	for id, b := range s.nodes {
		if err := r.Node(id, nil, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetVectors(shift, chunks); err == nil {
		t.Fatal("SetVectors after Node succeeded")
	}
	v, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range s.vecs {
		if !slices.Equal(v.Vector(id), want) {
			t.Fatalf("vector %d differs", id)
		}
	}
	q := clustered(31, 20, s.dim, 10, false)
	for _, x := range q {
		if a, b := g.Search(x, 10, 64, nil), v.Search(x, 10, 64, nil); !slices.Equal(a, b) {
			t.Fatalf("search differs: %v vs %v", a, b)
		}
	}
	mustCheck(t, v) // Check copies the vectors first, like a write
	if _, err := v.Add(q[0]); err != nil {
		t.Fatal(err)
	}
	if err := v.Update(5, q[1]); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, v)
	for i := range chunks {
		if !slices.Equal(chunks[i], frozen[i]) {
			t.Fatalf("chunk %d was written", i)
		}
	}
	// A node whose vector the chunks do not hold.
	r, _ = index.Restore(s.dim, s.m, s.opts, s.meta, s.n)
	if err := r.SetVectors(shift, chunks[:1]); err != nil {
		t.Fatal(err)
	}
	if err := r.Node(700-1, nil, s.nodes[699]); !errors.Is(err, index.ErrCorrupt) {
		t.Fatalf("node beyond the chunks: %v, want ErrCorrupt", err)
	}
}
