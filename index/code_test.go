package index_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// encodedCase is one way to get an encoded graph.
type encodedCase struct {
	name  string
	enc   quant.Encoding
	after bool // build on float32, then SetEncoding
}

var encodedCases = []encodedCase{
	{"fp16", quant.FP16, false},
	{"int8", quant.INT8, false},
	{"fp16-after", quant.FP16, true},
	{"int8-after", quant.INT8, true},
}

// trainedParams returns per-dimension INT8 parameters trained on vecs.
func trainedParams(t testing.TB, dim int, m index.Metric, vecs [][]float32) *quant.Int8 {
	t.Helper()
	p, err := quant.Train(dim, quant.Metric(m), vecs, quant.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// buildEncoded builds a graph over vecs (AddBatch on one worker, so the
// build is deterministic) encoded as c says, and returns it with its id ->
// exact vector map.
func buildEncoded(t testing.TB, c encodedCase, dim int, m index.Metric, opts index.Options, vecs [][]float32, params *quant.Int8) (*index.Graph, map[uint32][]float32) {
	t.Helper()
	g, err := index.New(dim, m, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !c.after {
		if err := g.SetEncoding(c.enc, params); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := g.AddBatch(context.Background(), vecs, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.after {
		if err := g.SetEncoding(c.enc, params); err != nil {
			t.Fatal(err)
		}
	}
	byID := make(map[uint32][]float32, len(vecs))
	for i, id := range ids {
		byID[id] = vecs[i]
	}
	return g, byID
}

// exactFrom serves the exact vectors of byID as a file reader does: a
// copy into the buffer the graph passes (so a graph that handed two rows
// one buffer would re-rank with the wrong vectors); exactViews serves
// views of byID's slices, as a mapped file does.
func exactFrom(byID map[uint32][]float32) index.ExactSource {
	return func(id uint32, buf []float32) []float32 {
		v, ok := byID[id]
		if !ok {
			return nil
		}
		return buf[:copy(buf, v)]
	}
}

func exactViews(byID map[uint32][]float32) index.ExactSource {
	return func(id uint32, _ []float32) []float32 { return byID[id] }
}

// TestEncodedRecall: on every metric and encoding, SearchRescore's
// recall@10 against brute force over the exact vectors is at least 0.95 at
// ef 64, and its distances are the exact ones.
func TestEncodedRecall(t *testing.T) {
	const n, dim, k, ef = 3000, 32, 10, 64
	for _, m := range []index.Metric{index.Cosine, index.Dot, index.L2} {
		data := clustered(7, n+100, dim, 20, m == index.Cosine)
		if m != index.Cosine {
			// Non-unit, shifted and scaled per dimension.
			for _, v := range data {
				for i := range v {
					v[i] = v[i]*float32(1+i%5) + float32(i%7) - 3
				}
			}
		}
		base, queries := data[:n], data[n:]
		params := trainedParams(t, dim, m, base)
		for _, c := range encodedCases {
			t.Run(fmt.Sprintf("%s/%s", m, c.name), func(t *testing.T) {
				g, byID := buildEncoded(t, c, dim, m, index.Options{Seed: 1}, base, params)
				mustCheck(t, g)
				if got := g.Encoding(); got != c.enc {
					t.Fatalf("Encoding %s, want %s", got, c.enc)
				}
				want := truth(m, byID, queries, k)
				var sum float64
				for i, q := range queries {
					got := g.SearchRescore(nil, q, k, ef, nil, 0, exactFrom(byID))
					sum += recall(got, want[i])
					for _, nb := range got {
						if d := refDist(m, q, byID[nb.ID]); math.Abs(d-float64(nb.Dist)) > 1e-3*max(1, math.Abs(d)) {
							t.Fatalf("query %d: node %d distance %v, exact %v", i, nb.ID, nb.Dist, d)
						}
					}
				}
				r := sum / float64(len(queries))
				t.Logf("recall@%d at ef %d: %.4f", k, ef, r)
				if r < 0.95 {
					t.Errorf("recall@%d at ef %d = %.4f, want >= 0.95", k, ef, r)
				}
			})
		}
	}
}

// encodeRef returns v's code row as the contract lays it out, computed
// with package quant directly.
func encodeRef(t testing.TB, enc quant.Encoding, params *quant.Int8, v []float32) []byte {
	t.Helper()
	switch enc {
	case quant.FP16:
		h := make([]uint16, len(v))
		if err := quant.EncodeFP16(h, v); err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 0, 2*len(v))
		for _, x := range h {
			out = binary.LittleEndian.AppendUint16(out, x)
		}
		return out
	case quant.INT8:
		c := make([]int8, len(v))
		corr, err := params.Encode(c, v)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 0, len(v)+4)
		for _, x := range c {
			out = append(out, byte(x))
		}
		return binary.LittleEndian.AppendUint32(out, math.Float32bits(corr))
	}
	t.Fatalf("no code for %s", enc)
	return nil
}

// TestCodeRows: every live node's CodeRow is the code quant makes of its
// vector, whether the graph was encoded before or after the build, and
// its size is CodeRowSize; a float32 graph has none.
func TestCodeRows(t *testing.T) {
	const n, dim = 300, 20
	for _, m := range []index.Metric{index.Cosine, index.L2} {
		vecs := clustered(3, n, dim, 5, m == index.Cosine)
		params := trainedParams(t, dim, m, vecs)
		for _, c := range encodedCases {
			t.Run(fmt.Sprintf("%s/%s", m, c.name), func(t *testing.T) {
				g, byID := buildEncoded(t, c, dim, m, index.Options{Seed: 2}, vecs, params)
				want := map[quant.Encoding]int{quant.FP16: 2 * dim, quant.INT8: dim + 4}[c.enc]
				if got := g.CodeRowSize(); got != want {
					t.Fatalf("CodeRowSize %d, want %d", got, want)
				}
				if c.enc == quant.INT8 && g.Int8Params() != params {
					t.Fatal("Int8Params is not the parameters given")
				}
				if c.enc == quant.FP16 && g.Int8Params() != nil {
					t.Fatal("Int8Params not nil under fp16")
				}
				for id, v := range byID {
					if got, want := g.CodeRow(id), encodeRef(t, c.enc, params, v); !bytes.Equal(got, want) {
						t.Fatalf("node %d: CodeRow %x, want %x", id, got, want)
					}
					if g.Vector(id) != nil {
						t.Fatalf("node %d: Vector on an encoded graph", id)
					}
					dec := g.AppendVector(nil, id)
					if len(dec) != dim {
						t.Fatalf("node %d: AppendVector has %d components", id, len(dec))
					}
					if d := refDist(index.L2, dec, v); d > 1e-3*float64(dim) {
						t.Fatalf("node %d: decoded vector %g away", id, d)
					}
				}
				if g.CodeRow(g.MaxID()) != nil {
					t.Fatal("CodeRow of a free id")
				}
			})
		}
	}
	g, _ := build(t, dim, index.Cosine, index.Options{}, clustered(3, 10, dim, 2, true))
	if g.CodeRowSize() != 0 || g.CodeRow(0) != nil || g.Int8Params() != nil || g.Encoding() != quant.None {
		t.Fatal("a float32 graph reports codes")
	}
}

// TestCodeDistances: on an encoded graph SearchInto returns query-to-code
// distances, equal to those quant computes from the exact vectors (L2 and
// dot on non-unit, shifted data), and SearchRescore returns the exact ones.
func TestCodeDistances(t *testing.T) {
	const n, dim = 500, 24
	for _, m := range []index.Metric{index.Dot, index.L2, index.Cosine} {
		vecs := clustered(4, n+20, dim, 6, m == index.Cosine)
		if m != index.Cosine {
			for _, v := range vecs {
				for i := range v {
					v[i] = 3*v[i] + float32(i) - 10
				}
			}
		}
		params := trainedParams(t, dim, m, vecs[:n])
		for _, enc := range []quant.Encoding{quant.FP16, quant.INT8} {
			g, byID := buildEncoded(t, encodedCase{enc: enc}, dim, m, index.Options{Seed: 3}, vecs[:n], params)
			var qr quant.Query
			for _, q := range vecs[n:] {
				if enc == quant.INT8 {
					if err := params.PrepareQuery(&qr, q); err != nil {
						t.Fatal(err)
					}
				}
				for _, nb := range g.Search(q, 5, 50, nil) {
					var want float32
					if enc == quant.INT8 {
						c := make([]int8, dim)
						corr, _ := params.Encode(c, byID[nb.ID])
						want = params.Distance(&qr, c, corr)
					} else {
						h := make([]uint16, dim)
						_ = quant.EncodeFP16(h, byID[nb.ID])
						want = quant.DistanceFP16(quant.Metric(m), q, h)
					}
					if nb.Dist != want {
						t.Fatalf("%s %s node %d: code distance %v, quant says %v", m, enc, nb.ID, nb.Dist, want)
					}
				}
				for _, nb := range g.SearchRescore(nil, q, 5, 50, nil, 3, exactFrom(byID)) {
					if d := refDist(m, q, byID[nb.ID]); math.Abs(d-float64(nb.Dist)) > 1e-4*max(1, math.Abs(d)) {
						t.Fatalf("%s %s node %d: rescored distance %v, exact %v", m, enc, nb.ID, nb.Dist, d)
					}
				}
			}
		}
	}
}

// TestRescoreCosineRawVectors: under cosine the exact source returns raw
// stored vectors (not unit): SearchRescore normalises them.
func TestRescoreCosineRawVectors(t *testing.T) {
	const n, dim = 400, 16
	vecs := clustered(5, n+10, dim, 4, true)
	g, byID := buildEncoded(t, encodedCase{enc: quant.FP16}, dim, index.Cosine, index.Options{Seed: 1}, vecs[:n], nil)
	raw := make(map[uint32][]float32, n)
	for id, v := range byID {
		w := make([]float32, dim)
		for i := range v {
			w[i] = v[i] * float32(1+id%7)
		}
		raw[id] = w
	}
	for _, q := range vecs[n:] {
		a := g.SearchRescore(nil, q, 10, 64, nil, 2, exactFrom(byID))
		b := g.SearchRescore(nil, q, 10, 64, nil, 2, exactFrom(raw))
		if len(a) != 10 || len(a) != len(b) {
			t.Fatalf("%d and %d results", len(a), len(b))
		}
		for i := range a {
			if a[i].ID != b[i].ID || math.Abs(float64(a[i].Dist-b[i].Dist)) > 1e-5 {
				t.Fatalf("result %d: %v with unit vectors, %v with raw ones", i, a[i], b[i])
			}
		}
	}
	// A missing exact vector drops the candidate.
	none := func(uint32, []float32) []float32 { return nil }
	if got := g.SearchRescore(nil, vecs[n], 10, 64, nil, 2, none); len(got) != 0 {
		t.Fatalf("%d results without exact vectors", len(got))
	}
}

// TestRescoreBuffers: a source that copies each row into the buffer the
// graph passes (a file reader) and one that returns views of its own
// memory (a mapped file) give the same results bit for bit, equal to a
// brute force over the candidates' exact distances; every candidate of a
// search gets a buffer of its own, of Dim() components.
func TestRescoreBuffers(t *testing.T) {
	const n, dim = 1500, 24
	for _, enc := range []quant.Encoding{quant.INT8, quant.FP16} {
		vecs := clustered(9, n+20, dim, 8, false)
		var params *quant.Int8
		if enc == quant.INT8 {
			params = trainedParams(t, dim, index.L2, vecs[:n])
		}
		g, byID := buildEncoded(t, encodedCase{enc: enc}, dim, index.L2, index.Options{Seed: 3}, vecs[:n], params)
		for _, os := range []float64{1, 3, 7.5} {
			for _, q := range vecs[n:] {
				var mu sync.Mutex
				seen := map[*float32]uint32{}
				checked := func(id uint32, buf []float32) []float32 {
					if len(buf) != dim {
						t.Errorf("buffer of %d components, want %d", len(buf), dim)
						return nil
					}
					mu.Lock()
					if prev, ok := seen[&buf[0]]; ok {
						t.Errorf("rows %d and %d read into one buffer", prev, id)
					}
					seen[&buf[0]] = id
					mu.Unlock()
					return buf[:copy(buf, byID[id])]
				}
				a := g.SearchRescore(nil, q, 10, 40, nil, os, checked)
				b := g.SearchRescore(nil, q, 10, 40, nil, os, exactViews(byID))
				if len(a) != 10 || len(b) != 10 {
					t.Fatalf("%s oversample %v: %d and %d results", enc, os, len(a), len(b))
				}
				for i := range a {
					if a[i] != b[i] {
						t.Fatalf("%s oversample %v result %d: %v read into buffers, %v from views", enc, os, i, a[i], b[i])
					}
					var d float32
					for j, x := range byID[a[i].ID] {
						d += (q[j] - x) * (q[j] - x)
					}
					if math.Abs(float64(d-a[i].Dist)) > 1e-4*math.Max(1, float64(d)) {
						t.Fatalf("%s result %d: distance %v, exact %v", enc, i, a[i].Dist, d)
					}
				}
			}
		}
	}
}

// TestExactOnEncoded: Exact ranks by code distance (equal to a brute force
// over quant's distances), ExactWith by the exact vectors.
func TestExactOnEncoded(t *testing.T) {
	const n, dim = 500, 16
	vecs := clustered(6, n+10, dim, 4, false)
	params := trainedParams(t, dim, index.L2, vecs[:n])
	g, byID := buildEncoded(t, encodedCase{enc: quant.INT8}, dim, index.L2, index.Options{Seed: 1}, vecs[:n], params)
	for _, q := range vecs[n:] {
		want := bruteForce(index.L2, byID, q, 10, nil)
		got := g.ExactWith(q, 10, nil, exactFrom(byID))
		for i := range want {
			if got[i].ID != want[i] {
				t.Fatalf("ExactWith result %d: %d, brute force %d", i, got[i].ID, want[i])
			}
		}
		var qr quant.Query
		_ = params.PrepareQuery(&qr, q)
		approx := g.Exact(q, 10, nil)
		var worst float32
		for _, nb := range approx {
			worst = max(worst, nb.Dist)
		}
		c := make([]int8, dim)
		below := 0
		for _, v := range byID {
			corr, _ := params.Encode(c, v)
			if params.Distance(&qr, c, corr) < worst {
				below++
			}
		}
		if below > 9 {
			t.Fatalf("Exact: %d nodes closer by code distance than its 10th result", below)
		}
	}
}

// TestEncodedRefusesBadVectors: an encoded graph refuses, before any
// change, vectors its encoding cannot hold; SetEncoding refuses bad
// arguments and a second encoding.
func TestEncodedRefusesBadVectors(t *testing.T) {
	const dim = 4
	good := []float32{0.5, -0.5, 0.5, -0.5}
	params, err := quant.Default(dim, quant.L2)
	if err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		enc quant.Encoding
		v   []float32
	}{
		{quant.FP16, []float32{0, nan, 0, 0}},
		{quant.FP16, []float32{0, 0, inf, 0}},
		{quant.FP16, []float32{70000, 0, 0, 0}},
		{quant.INT8, []float32{0, nan, 0, 0}},
		{quant.INT8, []float32{0, 0, 0, -inf}},
		{quant.INT8, []float32{0, 2e15, 0, 0}},
	}
	for i, c := range cases {
		g, err := index.New(dim, index.L2, index.Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.SetEncoding(c.enc, params); err != nil {
			t.Fatal(err)
		}
		id, err := g.Add(good)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, err error) {
			t.Helper()
			var ve *index.VectorError
			if !errors.Is(err, index.ErrVector) || !errors.Is(err, quant.ErrValue) || !errors.As(err, &ve) {
				t.Errorf("case %d %s: %v, want a *VectorError wrapping ErrVector and quant.ErrValue", i, what, err)
			}
		}
		_, err = g.Add(c.v)
		check("Add", err)
		_, err = g.AddBatch(context.Background(), [][]float32{good, c.v}, 1, nil)
		check("AddBatch", err)
		check("Update", g.Update(id, c.v))
		if g.Len() != 1 || g.MaxID() != 1 {
			t.Errorf("case %d: Len %d MaxID %d after refusals, want 1 and 1", i, g.Len(), g.MaxID())
		}
		if !bytes.Equal(g.CodeRow(id), encodeRef(t, c.enc, params, good)) {
			t.Errorf("case %d: a refused Update changed the code", i)
		}
		mustCheck(t, g)
		if c.enc == quant.INT8 {
			// The INT8 parameters refuse such a query: no results.
			if res := g.Search(c.v, 1, 0, nil); len(res) != 0 {
				t.Errorf("case %d: query %v found %v", i, c.v, res)
			}
		}

		// Build on float32, then encode: the bad vector makes SetEncoding
		// fail and leaves the float32 graph as it was.
		f, err := index.New(dim, index.L2, index.Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range [][]float32{good, c.v, good} {
			if _, err := f.Add(v); err != nil {
				t.Fatal(err)
			}
		}
		check("SetEncoding", f.SetEncoding(c.enc, params))
		if f.Encoding() != quant.None || f.Vector(1) == nil || f.Vector(0)[0] != 0.5 {
			t.Errorf("case %d: failed SetEncoding changed the graph", i)
		}
	}

	g, _ := index.New(dim, index.Cosine, index.Options{})
	other, _ := quant.Default(dim+1, quant.Cosine)
	wrongMetric, _ := quant.Default(dim, quant.L2)
	cosParams, _ := quant.Default(dim, quant.Cosine)
	for name, err := range map[string]error{
		"bad encoding":   g.SetEncoding(quant.Encoding(7), nil),
		"no params":      g.SetEncoding(quant.INT8, nil),
		"wrong dim":      g.SetEncoding(quant.INT8, other),
		"wrong metric":   g.SetEncoding(quant.INT8, wrongMetric),
		"none on fp32":   g.SetEncoding(quant.None, nil),
		"fp16 then int8": func() error { _ = g.SetEncoding(quant.FP16, nil); return g.SetEncoding(quant.INT8, cosParams) }(),
		"fp16 twice":     g.SetEncoding(quant.FP16, nil),
		"back to none":   g.SetEncoding(quant.None, nil),
	} {
		var want error
		switch name {
		case "bad encoding":
			want = quant.ErrEncoding
		case "no params", "wrong dim", "wrong metric":
			want = index.ErrOptions
		case "none on fp32":
			want = nil
		default:
			want = index.ErrEncoded
		}
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
}

// TestEncodedConcurrentWrites runs Add, SearchRescore, Search, CodeRow,
// Update and Delete at once on encoded graphs (run it with -race), then
// checks the graphs and that every vector is found by its exact distance.
func TestEncodedConcurrentWrites(t *testing.T) {
	n, dim := 2000, 16
	if raceEnabled || testing.Short() {
		n = 500
	}
	vecs := clustered(61, n+50, dim, 10, true)
	params := trainedParams(t, dim, index.Cosine, vecs)
	for _, enc := range []quant.Encoding{quant.FP16, quant.INT8} {
		t.Run(enc.String(), func(t *testing.T) {
			g, _ := index.New(dim, index.Cosine, index.Options{Seed: 61, M: 8, EfConstruction: 64})
			if err := g.SetEncoding(enc, params); err != nil {
				t.Fatal(err)
			}
			// exact vectors by id, guarded: ids are known once Add returns.
			var mu sync.Mutex
			byID := map[uint32][]float32{}
			exact := func(id uint32, _ []float32) []float32 {
				mu.Lock()
				defer mu.Unlock()
				return byID[id]
			}
			put := func(id uint32, v []float32) {
				mu.Lock()
				byID[id] = v
				mu.Unlock()
			}
			ids, err := g.AddBatch(context.Background(), vecs[:n/4], 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				put(id, vecs[i])
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for w := 0; w < 2; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dst := make([]index.Neighbor, 0, 10)
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						q := vecs[(i*7+w)%n]
						if dst = g.SearchRescore(dst, q, 10, 0, nil, 2, exact); len(dst) == 0 {
							t.Error("empty result during concurrent writes")
							return
						}
						g.Search(q, 3, 16, nil)
						g.CodeRow(uint32(i % 50))
						g.AppendVector(nil, uint32(i%50))
					}
				}()
			}
			var adders sync.WaitGroup
			rest := vecs[n/4 : n]
			for w := 0; w < 2; w++ {
				adders.Add(1)
				go func() {
					defer adders.Done()
					for i := w; i < len(rest); i += 2 {
						id, err := g.Add(rest[i])
						if err != nil {
							t.Error(err)
							return
						}
						put(id, rest[i])
					}
				}()
			}
			for i := 0; i < 20; i++ {
				if err := g.Update(uint32(i), vecs[n+i]); err != nil {
					t.Error(err)
				}
				put(uint32(i), vecs[n+i])
			}
			adders.Wait()
			if err := g.Delete(30); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			delete(byID, 30)
			mu.Unlock()
			close(stop)
			wg.Wait()
			mustCheck(t, g)
			if g.Len() != n-1 {
				t.Fatalf("Len = %d, want %d", g.Len(), n-1)
			}
			missed := 0
			for _, v := range byID {
				if res := g.SearchRescore(nil, v, 1, 64, nil, 2, exact); len(res) == 0 || res[0].Dist > 1e-5 {
					missed++
				}
			}
			if missed > n/100 {
				t.Errorf("%d of %d vectors not found as their own nearest neighbour", missed, n)
			}
		})
	}
}

// TestEncodedMemory: Stats reports the encoding, and the vector memory of
// an encoded graph is its code rows: a quarter (INT8, plus 4 bytes a node)
// or a half (FP16) of the float32 slabs.
func TestEncodedMemory(t *testing.T) {
	// The byte counts are exact functions of n and dim, whatever the
	// graph's quality: a small, cheaply built graph (it took 67 s under
	// -race at n 5000 with the default M and EfConstruction; 2.6 s here)
	// shows them as well. n is not a round size, so no slab is exactly
	// full.
	const n, dim = 1999, 64
	opts := index.Options{Seed: 1, M: 4, EfConstruction: 8}
	vecs := clustered(10, n, dim, 5, true)
	params := trainedParams(t, dim, index.Cosine, vecs)
	f, _ := buildEncoded(t, encodedCase{enc: quant.None}, dim, index.Cosine, opts, vecs, nil)
	fb := f.Stats().VectorBytes
	if fb < 4*dim*n {
		t.Fatalf("float32 graph holds %d vector bytes for %d nodes", fb, n)
	}
	for _, c := range encodedCases {
		g, _ := buildEncoded(t, c, dim, index.Cosine, opts, vecs, params)
		st := g.Stats()
		if st.Encoding != c.enc.String() {
			t.Errorf("%s: Stats.Encoding %q", c.name, st.Encoding)
		}
		want := fb / 2
		if c.enc == quant.INT8 {
			want = fb / 4 * (dim + 4) / dim
		}
		if st.VectorBytes != want {
			t.Errorf("%s: %d vector bytes, float32 %d, want %d", c.name, st.VectorBytes, fb, want)
		}
	}
}

// TestRescoreOversampleEdges: any oversample is safe (NaN and 0 mean the
// default, below 1 counts as 1, huge and infinite re-rank every node the
// search keeps), and a float32 graph answers as SearchInto.
func TestRescoreOversampleEdges(t *testing.T) {
	const n, dim = 300, 8
	vecs := clustered(11, n+1, dim, 3, true)
	g, byID := buildEncoded(t, encodedCase{enc: quant.FP16}, dim, index.Cosine, index.Options{Seed: 1}, vecs[:n], nil)
	q := vecs[n]
	want := bruteForce(index.Cosine, byID, q, 5, nil)
	for _, os := range []float64{math.NaN(), 0, -1, 0.5, 1, 3, 1e300, math.Inf(1)} {
		got := g.SearchRescore(nil, q, 5, 0, nil, os, exactFrom(byID))
		if recall(got, want) < 0.8 || len(got) != 5 {
			t.Errorf("oversample %v: %v, want %v", os, got, want)
		}
	}
	if got := g.SearchRescore(nil, q, 0, 0, nil, 2, exactFrom(byID)); len(got) != 0 {
		t.Errorf("k 0: %v", got)
	}
	if got := g.SearchRescore(nil, q[:3], 5, 0, nil, 2, exactFrom(byID)); len(got) != 0 {
		t.Errorf("short query: %v", got)
	}
	f, fByID := build(t, dim, index.Cosine, index.Options{Seed: 1}, vecs[:n])
	a := f.SearchRescore(nil, q, 5, 32, nil, 2, exactFrom(fByID))
	b := f.SearchInto(nil, q, 5, 32, nil)
	if !slices.Equal(a, b) {
		t.Errorf("float32 graph: SearchRescore %v, SearchInto %v", a, b)
	}
}

// TestRecallGloVeEncoded builds over the first 20,000 GloVe words (cosine)
// on float32, encodes the same graph as FP16 and INT8 (per-dimension,
// trained on the base), and checks SearchRescore's recall@10 on the next
// 200 words against brute force over the exact vectors: at least 0.98 at
// ef 64 with DefaultOversample, and within 0.01 of the float32 graph's.
func TestRecallGloVeEncoded(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("GloVe recall test skipped under -short and -race")
	}
	const n, nq, ef = 20000, 200, 64
	all := glove(t, n+nq)
	base, queries := all[:n], all[n:]
	g, err := index.New(100, index.Cosine, index.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := g.AddBatch(context.Background(), base, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := make(map[uint32][]float32, n)
	for i, id := range ids {
		byID[id] = base[i]
	}
	want := truth(index.Cosine, byID, queries, 10)
	fp32 := recallVs(g, queries, want, 10, ef)
	params := trainedParams(t, 100, index.Cosine, base)
	for _, enc := range []quant.Encoding{quant.FP16, quant.INT8} {
		e := recode(t, g, byID, enc, params)
		mustCheck(t, e)
		var sum float64
		for i, q := range queries {
			sum += recall(e.SearchRescore(nil, q, 10, ef, nil, 0, exactFrom(byID)), want[i])
		}
		r := sum / nq
		t.Logf("GloVe 20k %s, ef %d, oversample %g: recall@10 %.4f (float32 %.4f)", enc, ef, index.DefaultOversample, r, fp32)
		if r < 0.98 || r < fp32-0.01 {
			t.Errorf("%s: recall@10 %.4f at ef %d, want >= 0.98 and >= float32's %.4f - 0.01", enc, r, ef, fp32)
		}
	}
}
