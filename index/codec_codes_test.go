package index_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// codeChunks lays the code rows of g out in chunks of 1<<shift ids, as a
// store's code blocks would, leaving out ids above limit.
func codeChunks(g *index.Graph, shift uint, limit uint32) [][]byte {
	row := g.CodeRowSize()
	n := min(g.MaxID(), limit)
	chunks := make([][]byte, (int(n)+1<<shift-1)>>shift)
	for id := uint32(0); id < n; id++ {
		c, r := id>>shift, int(id&(1<<shift-1))
		if need := (r + 1) * row; len(chunks[c]) < need {
			chunks[c] = append(chunks[c], make([]byte, need-len(chunks[c]))...)
		}
		copy(chunks[c][r*row:], g.CodeRow(id))
	}
	return chunks
}

// TestRestoreViewedCodes restores encoded graphs whose code rows stay in
// the caller's chunks: searches equal the original graph's (same ids, same
// distances), a node given a vector (a newer row) is encoded instead, the
// chunks are never written, and writes and Check work after.
func TestRestoreViewedCodes(t *testing.T) {
	const n, dim, shift = 700, 24, 8
	vecs := clustered(8, n+30, dim, 6, true)
	params := trainedParams(t, dim, index.Cosine, vecs[:n])
	for _, enc := range []quant.Encoding{quant.FP16, quant.INT8} {
		t.Run(enc.String(), func(t *testing.T) {
			g, byID := buildEncoded(t, encodedCase{enc: enc}, dim, index.Cosine, index.Options{Seed: 4}, vecs[:n], params)
			if err := g.Delete(17); err != nil { // a free slot inside a chunk
				t.Fatal(err)
			}
			delete(byID, 17)
			chunks := codeChunks(g, shift, g.MaxID())
			frozen := make([][]byte, len(chunks))
			for i, c := range chunks {
				frozen[i] = slices.Clone(c)
			}
			restore := func(delta map[uint32][]float32) *index.Graph {
				r, err := index.Restore(dim, index.Cosine, g.Options(), g.MarshalMeta(), g.MaxID())
				if err != nil {
					t.Fatal(err)
				}
				if err := r.SetEncoding(enc, params); err != nil {
					t.Fatal(err)
				}
				if err := r.SetCodes(shift, chunks); err != nil {
					t.Fatal(err)
				}
				for id := uint32(0); id < g.MaxID(); id++ {
					if node := g.MarshalNode(id, nil); node != nil {
						if err := r.Node(id, delta[id], node); err != nil {
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
			v := restore(nil)
			for _, q := range vecs[n:] {
				if a, b := g.Search(q, 10, 64, nil), v.Search(q, 10, 64, nil); !slices.Equal(a, b) {
					t.Fatalf("search differs: %v vs %v", a, b)
				}
				a := g.SearchRescore(nil, q, 10, 32, nil, 2, exactFrom(byID))
				b := v.SearchRescore(nil, q, 10, 32, nil, 2, exactFrom(byID))
				if !slices.Equal(a, b) {
					t.Fatalf("rescored search differs: %v vs %v", a, b)
				}
			}
			// A delta row: node 3 restored from a new vector.
			w := vecs[n+1]
			d := restore(map[uint32][]float32{3: w})
			if !bytes.Equal(d.CodeRow(3), encodeRef(t, enc, params, w)) {
				t.Fatal("delta row not encoded")
			}
			if !bytes.Equal(d.CodeRow(4), g.CodeRow(4)) || !bytes.Equal(d.CodeRow(300), g.CodeRow(300)) {
				t.Fatal("rows beside the delta row differ")
			}
			for _, x := range []*index.Graph{v, d} {
				mustCheck(t, x) // copies the views first
				if _, err := x.Add(vecs[n+2]); err != nil {
					t.Fatal(err)
				}
				if err := x.Update(5, vecs[n+3]); err != nil {
					t.Fatal(err)
				}
				if err := x.Delete(6); err != nil {
					t.Fatal(err)
				}
				mustCheck(t, x)
			}
			for i := range chunks {
				if !bytes.Equal(chunks[i], frozen[i]) {
					t.Fatalf("chunk %d was written", i)
				}
			}
		})
	}
}

// TestSetCodesErrors: every misuse of SetEncoding and SetCodes on a
// Restorer, and damaged code rows caught by Check.
func TestSetCodesErrors(t *testing.T) {
	const n, dim = 300, 8
	vecs := clustered(9, n, dim, 4, true)
	params := trainedParams(t, dim, index.Cosine, vecs)
	g, _ := buildEncoded(t, encodedCase{enc: quant.INT8}, dim, index.Cosine, index.Options{Seed: 4}, vecs, params)
	start := func() *index.Restorer {
		r, err := index.Restore(dim, index.Cosine, g.Options(), g.MarshalMeta(), g.MaxID())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	chunks := codeChunks(g, 8, g.MaxID())
	r := start()
	if err := r.SetCodes(8, chunks); !errors.Is(err, index.ErrOptions) {
		t.Errorf("SetCodes before SetEncoding: %v", err)
	}
	if err := r.SetEncoding(quant.INT8, nil); !errors.Is(err, index.ErrOptions) {
		t.Errorf("SetEncoding without params: %v", err)
	}
	if err := r.SetEncoding(quant.INT8, params); err != nil {
		t.Fatal(err)
	}
	if err := r.SetEncoding(quant.INT8, params); !errors.Is(err, index.ErrEncoded) {
		t.Errorf("SetEncoding twice: %v", err)
	}
	if err := r.SetCodes(17, chunks); !errors.Is(err, index.ErrOptions) {
		t.Errorf("SetCodes shift 17: %v", err)
	}
	if err := r.SetCodes(8, [][]byte{make([]byte, dim+5)}); !errors.Is(err, index.ErrCorrupt) {
		t.Errorf("SetCodes with a partial row: %v", err)
	}
	if err := r.SetCodes(8, [][]byte{make([]byte, (dim+4)*257)}); !errors.Is(err, index.ErrCorrupt) {
		t.Errorf("SetCodes with an oversized chunk: %v", err)
	}
	if err := r.SetCodes(8, chunks[:1]); err != nil {
		t.Fatal(err)
	}
	if err := r.SetCodes(8, chunks[:1]); !errors.Is(err, index.ErrOptions) {
		t.Errorf("SetCodes twice: %v", err)
	}
	if err := r.Node(299, nil, g.MarshalNode(299, nil)); !errors.Is(err, index.ErrCorrupt) {
		t.Errorf("node beyond the chunks: %v", err)
	}
	bad := make([]float32, dim)
	bad[2] = 2e15
	if err := r.Node(3, bad, g.MarshalNode(3, nil)); !errors.Is(err, index.ErrCorrupt) || !errors.Is(err, quant.ErrValue) {
		t.Errorf("delta row out of range: %v", err)
	}
	if err := r.Node(1, nil, g.MarshalNode(1, nil)); err != nil {
		t.Fatal(err)
	}
	if err := r.SetEncoding(quant.FP16, nil); err == nil {
		t.Error("SetEncoding after Node succeeded")
	}

	// A restorer that views float32 vectors cannot hold codes.
	r = start()
	if err := r.SetVectors(8, [][]float32{make([]float32, dim)}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetEncoding(quant.FP16, nil); !errors.Is(err, index.ErrOptions) {
		t.Errorf("SetEncoding after SetVectors: %v", err)
	}

	// Damaged rows: an int8 -128, a correction term off by one bit.
	for name, damage := range map[string]func(row []byte){
		"-128":       func(row []byte) { row[0] = 0x80 },
		"correction": func(row []byte) { row[dim] ^= 1 },
	} {
		chunks := codeChunks(g, 8, g.MaxID())
		damage(chunks[0][5*(dim+4):])
		r := start()
		if err := r.SetEncoding(quant.INT8, params); err != nil {
			t.Fatal(err)
		}
		if err := r.SetCodes(8, chunks); err != nil {
			t.Fatal(err)
		}
		for id := uint32(0); id < g.MaxID(); id++ {
			if err := r.Node(id, nil, g.MarshalNode(id, nil)); err != nil {
				t.Fatal(err)
			}
		}
		v, err := r.Finish()
		if err != nil {
			t.Fatal(err)
		}
		var ce *index.CheckError
		if err := v.Check(); !errors.As(err, &ce) || ce.Violations[0].Kind != index.BadCode || ce.Violations[0].ID != 5 {
			t.Errorf("%s: Check = %v, want a bad code at node 5", name, err)
		}
	}
	// An FP16 Inf.
	f, _ := buildEncoded(t, encodedCase{enc: quant.FP16}, dim, index.Cosine, index.Options{Seed: 4}, vecs, nil)
	fc := codeChunks(f, 8, f.MaxID())
	fc[0][7*2*dim+1] = 0x7c
	fc[0][7*2*dim] = 0
	r = start()
	_ = r.SetEncoding(quant.FP16, nil)
	if err := r.SetCodes(8, fc); err != nil {
		t.Fatal(err)
	}
	for id := uint32(0); id < f.MaxID(); id++ {
		if err := r.Node(id, nil, f.MarshalNode(id, nil)); err != nil {
			t.Fatal(err)
		}
	}
	v, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	var ce *index.CheckError
	if err := v.Check(); !errors.As(err, &ce) || ce.Violations[0].Kind != index.BadCode || ce.Violations[0].ID != 7 {
		t.Errorf("fp16 Inf: Check = %v, want a bad code at node 7", err)
	}
}
