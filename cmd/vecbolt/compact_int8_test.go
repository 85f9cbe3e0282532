package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// TestCompactOutputRetrainsInt8: int8 collections filled one upsert at a
// time hold the default parameters; compact --output retrains them in
// the copy (the database is left byte for byte as it was), to exactly the
// parameters of an in-place compact and of a fresh import of the same
// records, which are the per-dimension min/max of the stored vectors
// (unit vectors under cosine) computed here by hand. Searches of the copy
// return the brute-force neighbours with exact scores.
func TestCompactOutputRetrainsInt8(t *testing.T) {
	const dim = 8
	dir := t.TempDir()
	path := filepath.Join(dir, "w.db")
	recs := randomRecords(300, dim, 17)
	colls := map[string]string{"cos": "cosine", "euc": "l2"}
	names := []string{"cos", "euc"}
	for _, name := range names {
		ok(t, "--db", path, "-c", name, "create", "--dim", "8", "--metric", colls[name], "--quantize", "int8")
		// One put first: the collection is no longer empty, so the import
		// keeps the default parameters.
		ok(t, "--db", path, "-c", name, "put", recs[0].key, "--vector", vecString(recs[0].vec))
		importRecords(t, path, recs[1:], "-c", name)
		if s := statsEncoding(t, "--db", path, "-c", name); s.EncodingParams != "default symmetric (bound 1)" {
			t.Fatalf("%s before compact: %+v", name, s)
		}
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inPlace := filepath.Join(dir, "in-place.db")
	writeFile(t, dir, "in-place.db", orig)
	fresh := filepath.Join(dir, "fresh.db")
	for _, name := range names {
		importRecords(t, fresh, recs, "-c", name, "--metric", colls[name], "--quantize", "int8")
	}

	copyPath := filepath.Join(dir, "copy.db")
	out := ok(t, "--db", path, "compact", "--output", copyPath)
	if !strings.Contains(out, "int8 parameters retrained (cos, euc)") {
		t.Errorf("compact --output: %q", out)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, orig) {
		t.Error("compact --output changed the database")
	}
	if out := ok(t, "--db", inPlace, "compact"); !strings.Contains(out, "int8 parameters retrained (cos, euc)") {
		t.Errorf("compact: %q", out)
	}
	assertNoTemps(t, dir)

	for _, name := range names {
		want := minMaxParams(recs, colls[name] == "cosine")
		for _, file := range []string{copyPath, inPlace, fresh} {
			if got := storedParams(t, file, name); !sameParams(got, want) {
				t.Errorf("%s in %s: parameters (scale, offset)\n%v\nwant (per-dimension min/max)\n%v", name, filepath.Base(file), got, want)
			}
		}
		if got := storedParams(t, path, name); sameParams(got, want) {
			t.Errorf("%s: the original database holds trained parameters after compact --output", name)
		}
		if s := statsEncoding(t, "--db", copyPath, "-c", name); s.EncodingParams != "trained per-dimension" || s.Records != len(recs) {
			t.Errorf("%s after compact --output: %+v", name, s)
		}
		sameRecords(t, contents(t, copyPath, name), recs, true, false)
		for _, qi := range []int{3, 150, 299} {
			q := recs[qi].vec
			r := vecbolt(t, "", "--db", copyPath, "-c", name, "search", "--vector", vecString(q), "-k", "5", "--ef", "100", "--json")
			if r.code != 0 {
				t.Fatalf("search: exit %d: %s", r.code, r.stderr)
			}
			checkExact(t, r.stdout, recs, q, colls[name] == "cosine", 5)
		}
	}
	ok(t, "--db", copyPath, "check")
}

// compactParams is INT8 per-dimension parameters: a[i] and b[i], a
// component decoding as a[i]·code + b[i].
type compactParams struct{ scale, offset []float32 }

// minMaxParams computes by hand what training on every vector of recs
// gives: per dimension, b = (min+max)/2 and a = (max-min)/254, in float64
// rounded once, over the unit vectors under cosine (normalised in float64,
// as the store does).
func minMaxParams(recs []rec, unit bool) compactParams {
	dim := len(recs[0].vec)
	lo, hi := make([]float32, dim), make([]float32, dim)
	for n, r := range recs {
		v := append([]float32(nil), r.vec...)
		if unit {
			var s float64
			for _, x := range v {
				s += float64(x) * float64(x)
			}
			inv := 1 / math.Sqrt(s)
			for i := range v {
				v[i] = float32(float64(v[i]) * inv)
			}
		}
		for i, x := range v {
			if n == 0 || x < lo[i] {
				lo[i] = x
			}
			if n == 0 || x > hi[i] {
				hi[i] = x
			}
		}
	}
	p := compactParams{make([]float32, dim), make([]float32, dim)}
	for i := range dim {
		p.offset[i] = float32((float64(lo[i]) + float64(hi[i])) / 2)
		p.scale[i] = float32((float64(hi[i]) - float64(lo[i])) / 254)
	}
	return p
}

// storedParams reads the INT8 parameters stored with a collection and
// decodes their documented layout (quant.Int8.MarshalBinary: an 8-byte
// header, a[0..dim), b[0..dim), float32 little-endian); symmetric
// parameters come back as a[i] = bound/127, b = 0.
func storedParams(t *testing.T, path, name string) compactParams {
	t.Helper()
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw []byte
	err = db.Store().View(func(tx *store.Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		q, err := c.Config().Int8Params()
		if err != nil || q == nil {
			t.Fatalf("%s in %s: no int8 parameters (%v)", name, path, err)
		}
		raw, err = q.MarshalBinary()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dim := int(binary.LittleEndian.Uint32(raw[4:]))
	f := func(at int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(raw[at:])) }
	p := compactParams{make([]float32, dim), make([]float32, dim)}
	for i := range dim {
		if raw[1] == 1 { // symmetric: one bound
			p.scale[i] = f(8) / 127
			continue
		}
		p.scale[i], p.offset[i] = f(8+4*i), f(8+4*(dim+i))
	}
	return p
}

func sameParams(a, b compactParams) bool {
	eq := func(x, y []float32) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	}
	return eq(a.scale, b.scale) && eq(a.offset, b.offset)
}

// checkExact checks search --json output against the brute-force k
// nearest of q in recs (cosine similarity, or Euclidean distance), keys in
// order and scores exact (float32 rounding).
func checkExact(t *testing.T, out string, recs []rec, q []float32, cos bool, k int) {
	t.Helper()
	var got searchJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	type hit struct {
		key   string
		score float64
	}
	var want []hit
	for _, r := range recs {
		if cos {
			want = append(want, hit{r.key, cosine(q, r.vec)})
			continue
		}
		var d float64
		for i := range q {
			d += (float64(q[i]) - float64(r.vec[i])) * (float64(q[i]) - float64(r.vec[i]))
		}
		want = append(want, hit{r.key, math.Sqrt(d)})
	}
	sort.Slice(want, func(i, j int) bool { return (want[i].score > want[j].score) == cos })
	if len(got.Results) != k {
		t.Fatalf("%d results, want %d", len(got.Results), k)
	}
	for i, r := range got.Results {
		if r.Key != want[i].key || math.Abs(float64(r.Score)-want[i].score) > 1e-5*max(1, math.Abs(want[i].score)) {
			t.Errorf("result %d: %s %v, want %s %.6f", i+1, r.Key, r.Score, want[i].key, want[i].score)
		}
	}
}
