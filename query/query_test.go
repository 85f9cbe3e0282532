package query_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

var ctx = context.Background()

func openTemp(t testing.TB) (*query.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// clustered returns n seeded vectors of dimension dim around a few centres.
func clustered(seed uint64, n, dim int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float32, 16)
	for i := range centres {
		centres[i] = make([]float32, dim)
		for j := range centres[i] {
			centres[i][j] = float32(r.NormFloat64() * 3)
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[r.IntN(len(centres))]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + float32(r.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// bruteForce ranks keys by the metric's score, written out in float64
// independently of the package: cosine similarity and dot product
// descending, Euclidean distance ascending; ties by key.
func bruteForce(metric query.Metric, keys []string, vecs [][]float32, q []float32, k int, skip map[string]bool) []query.Result {
	var out []query.Result
	for i, v := range vecs {
		if skip[keys[i]] {
			continue
		}
		var dot, nv, nq, l2 float64
		for j := range v {
			a, b := float64(v[j]), float64(q[j])
			dot += a * b
			nv += a * a
			nq += b * b
			l2 += (a - b) * (a - b)
		}
		var s float64
		switch metric {
		case query.Cosine:
			s = dot / math.Sqrt(nv*nq)
		case query.Dot:
			s = dot
		case query.L2:
			s = math.Sqrt(l2)
		}
		out = append(out, query.Result{Key: keys[i], Score: float32(s)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			if metric == query.L2 {
				return out[i].Score < out[j].Score
			}
			return out[i].Score > out[j].Score
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// scaleNorms rescales each vector to a length spread evenly in [lo, hi].
func scaleNorms(vecs [][]float32, lo, hi float64) {
	for i, v := range vecs {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		target := lo + (hi-lo)*float64(i%101)/100
		f := float32(target / math.Sqrt(n))
		for j := range v {
			v[j] *= f
		}
	}
}

func recall(got, want []query.Result) float64 {
	in := map[string]bool{}
	for _, w := range want {
		in[w.Key] = true
	}
	hit := 0
	for _, g := range got {
		if in[g.Key] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}

func fill(t testing.TB, c *query.Collection, vecs [][]float32) []string {
	t.Helper()
	keys := make([]string, len(vecs))
	recs := make([]query.Record, len(vecs))
	for i, v := range vecs {
		keys[i] = "k" + strconv.Itoa(i)
		recs[i] = query.Record{Key: keys[i], Vector: v}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestSearchMatchesBruteForce(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 1000
	}
	for _, metric := range []query.Metric{query.Cosine, query.Dot, query.L2} {
		t.Run(string(metric), func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 24, Metric: metric})
			if err != nil {
				t.Fatal(err)
			}
			vecs := clustered(1, n, 24)
			if metric == query.Dot {
				// Inner-product search over a proximity graph degrades as
				// norms spread (a known limit of HNSW for MIPS); test the
				// usual case of embeddings with similar norms.
				scaleNorms(vecs, 0.8, 1.2)
			}
			keys := fill(t, c, vecs)
			queries := clustered(2, 50, 24)
			var sum float64
			for _, q := range queries {
				want := bruteForce(metric, keys, vecs, q, 10, nil)
				exact, err := c.Search(ctx, q, 10, query.SearchOptions{Exact: true})
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if exact[i].Key != want[i].Key && math.Abs(float64(exact[i].Score-want[i].Score)) > 1e-4 {
						t.Fatalf("exact result %d = %+v, want %+v", i, exact[i], want[i])
					}
					if d := math.Abs(float64(exact[i].Score - want[i].Score)); d > 1e-3*math.Max(1, math.Abs(float64(want[i].Score))) {
						t.Fatalf("exact score %d = %v, want %v", i, exact[i].Score, want[i].Score)
					}
				}
				approx, err := c.Search(ctx, q, 10, query.SearchOptions{})
				if err != nil {
					t.Fatal(err)
				}
				sum += recall(approx, want)
			}
			if r := sum / float64(len(queries)); r < 0.95 {
				t.Fatalf("HNSW recall@10 = %.3f, want >= 0.95", r)
			}
		})
	}
}

func TestSearchKeyExcludesItself(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	vecs := clustered(3, 300, 8)
	keys := fill(t, c, vecs)
	for _, exact := range []bool{false, true} {
		got, err := c.SearchKey(ctx, "k7", 5, query.SearchOptions{Exact: exact})
		if err != nil {
			t.Fatal(err)
		}
		want := bruteForce(query.Cosine, keys, vecs, vecs[7], 5, map[string]bool{"k7": true})
		if len(got) != 5 {
			t.Fatalf("got %d results", len(got))
		}
		for _, r := range got {
			if r.Key == "k7" {
				t.Fatal("the query key was returned")
			}
		}
		if exact && got[0].Key != want[0].Key {
			t.Fatalf("exact nearest = %s, want %s", got[0].Key, want[0].Key)
		}
	}
	if _, err := c.SearchKey(ctx, "nope", 5, query.SearchOptions{}); !errors.Is(err, query.ErrKeyNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestGetIsLossless(t *testing.T) {
	db, path := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 5})
	if err != nil {
		t.Fatal(err)
	}
	v := []float32{0.1, -3.25, 1e-7, 12345.678, -0.3333333}
	if err := c.Upsert(ctx, "x", v, []byte(`{"lang":"en","n":3}`)); err != nil {
		t.Fatal(err)
	}
	check := func(c *query.Collection) {
		r, err := c.Get(ctx, "x")
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			if math.Float32bits(r.Vector[i]) != math.Float32bits(v[i]) {
				t.Fatalf("component %d = %v, want %v", i, r.Vector[i], v[i])
			}
		}
		if string(r.Metadata) != `{"lang":"en","n":3}` {
			t.Fatalf("metadata = %s", r.Metadata)
		}
	}
	check(c)
	db.Close()
	db2, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	c2, err := db2.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	check(c2)
}

func TestUpsertReplaces(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 3, Metric: query.L2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := c.Upsert(ctx, "p"+strconv.Itoa(i), []float32{float32(i), 0, 0}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Upsert(ctx, "p3", []float32{100, 0, 0}, nil); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 20 {
		t.Fatalf("Len = %d after replace, want 20", c.Len())
	}
	got, err := c.Search(ctx, []float32{99, 0, 0}, 1, query.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Key != "p3" || got[0].Score != 1 {
		t.Fatalf("nearest to 99 = %+v, want p3 at distance 1", got[0])
	}
	// Insertion order keeps p3 in its first place.
	var order []string
	c.Keys(ctx, func(k string) error { order = append(order, k); return nil })
	if order[3] != "p3" {
		t.Fatalf("order = %v", order)
	}
}

func TestDeleteAndReuse(t *testing.T) {
	db, path := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 16})
	if err != nil {
		t.Fatal(err)
	}
	vecs := clustered(4, 1000, 16)
	keys := fill(t, c, vecs)
	var del []string
	for i := 0; i < len(keys); i += 3 {
		del = append(del, keys[i])
	}
	n, err := c.Delete(ctx, del...)
	if err != nil || n != len(del) {
		t.Fatalf("Delete = %d, %v", n, err)
	}
	if _, err := c.Delete(ctx, "k0"); !errors.Is(err, query.ErrKeyNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	gone := map[string]bool{}
	for _, k := range del {
		gone[k] = true
	}
	for i := 0; i < 30; i++ {
		res, err := c.Search(ctx, vecs[i], 10, query.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if gone[r.Key] {
				t.Fatalf("deleted key %s returned", r.Key)
			}
		}
	}
	// Reinsert new keys into the freed slots, then reopen and compare.
	for i := 0; i < 50; i++ {
		if err := c.Upsert(ctx, "new"+strconv.Itoa(i), vecs[i*3], nil); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := c.Search(ctx, vecs[0], 10, query.SearchOptions{})
	if before[0].Key != "new0" {
		t.Fatalf("nearest to new0's vector = %s", before[0].Key)
	}
	db.Close()
	db2, err := query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	c2, err := db2.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if c2.Len() != len(keys)-len(del)+50 {
		t.Fatalf("Len after reopen = %d", c2.Len())
	}
	after, _ := c2.Search(ctx, vecs[0], 10, query.SearchOptions{})
	if len(after) != len(before) {
		t.Fatal("different result count after reopen")
	}
	for i := range before {
		if before[i].Key != after[i].Key || before[i].Score != after[i].Score {
			t.Fatalf("result %d differs after reopen: %+v vs %+v", i, before[i], after[i])
		}
	}
	if err := c2.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestValidationErrors(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 3})
	if err != nil {
		t.Fatal(err)
	}
	long := make([]byte, 100000)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name string
		key  string
		vec  []float32
		meta string
		want error
	}{
		{"dimension", "a", []float32{1, 2}, "", query.ErrDimension},
		{"nan", "a", []float32{1, float32(math.NaN()), 2}, "", query.ErrInvalidVector},
		{"inf", "a", []float32{1, float32(math.Inf(-1)), 2}, "", query.ErrInvalidVector},
		{"zero", "a", []float32{0, 0, 0}, "", query.ErrZeroVector},
		{"empty key", "", []float32{1, 2, 3}, "", query.ErrEmptyKey},
		{"long key", string(long), []float32{1, 2, 3}, "", query.ErrKeyTooLong},
		{"metadata", "a", []float32{1, 2, 3}, "[1,2]", store.ErrInvalidMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var meta []byte
			if tt.meta != "" {
				meta = []byte(tt.meta)
			}
			err := c.Upsert(ctx, tt.key, tt.vec, meta)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if c.Len() != 0 {
				t.Fatal("a rejected record was written")
			}
		})
	}
	var de *store.DimensionError
	if err := c.Upsert(ctx, "a", []float32{1}, nil); !errors.As(err, &de) || de.Got != 1 || de.Want != 3 {
		t.Fatalf("dimension error = %v", err)
	}
	// A batch with one bad record writes nothing.
	err = c.UpsertBatch(ctx, []query.Record{{Key: "ok", Vector: []float32{1, 2, 3}}, {Key: "bad", Vector: []float32{1, 2}}}, query.BatchOptions{})
	if !errors.Is(err, query.ErrDimension) || c.Len() != 0 {
		t.Fatalf("batch: %v, Len %d", err, c.Len())
	}
	if _, err := db.Collection(ctx, "missing"); !errors.Is(err, query.ErrUnknownCollection) {
		t.Fatalf("unknown collection: %v", err)
	}
	if _, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4}); !errors.Is(err, query.ErrCollectionExists) {
		t.Fatalf("config mismatch: %v", err)
	}
	if _, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 3}); err != nil {
		t.Fatalf("same config again: %v", err)
	}
	if _, err := c.Search(ctx, []float32{1, 2}, 3, query.SearchOptions{}); !errors.Is(err, query.ErrDimension) {
		t.Fatalf("query dimension: %v", err)
	}
	if _, err := c.Search(ctx, []float32{1, 2, 3}, 0, query.SearchOptions{}); !errors.Is(err, query.ErrInvalidK) {
		t.Fatalf("k=0: %v", err)
	}
}

func TestSecondWriterIsLockedOut(t *testing.T) {
	_, path := openTemp(t)
	_, err := query.Open(path, query.Options{Timeout: 100e6})
	if !errors.Is(err, query.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

func TestCollections(t *testing.T) {
	db, _ := openTemp(t)
	for _, n := range []string{"b", "a"} {
		if _, err := db.CreateCollection(ctx, n, query.CollectionConfig{Dim: 2}); err != nil {
			t.Fatal(err)
		}
	}
	names, err := db.Collections()
	if err != nil || len(names) != 2 || names[0] != "a" {
		t.Fatalf("Collections = %v, %v", names, err)
	}
	if err := db.DropCollection("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection(ctx, "a"); !errors.Is(err, query.ErrUnknownCollection) {
		t.Fatalf("after drop: %v", err)
	}
}
