package query_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/index/quant"
	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// uniformVecs returns n seeded vectors with components in [-1, 1): the
// range quant.Default keeps without clipping under every metric.
func uniformVecs(seed uint64, n, dim int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 11))
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		out[i] = v
	}
	return out
}

// exactScore is the metric's score of v for query q, in float64, written
// out here (as bruteForce does).
func exactScore(metric query.Metric, q, v []float32) float64 {
	var dot, nv, nq, l2 float64
	for j := range v {
		a, b := float64(v[j]), float64(q[j])
		dot += a * b
		nv += a * a
		nq += b * b
		l2 += (a - b) * (a - b)
	}
	switch metric {
	case query.Cosine:
		return dot / math.Sqrt(nv*nq)
	case query.Dot:
		return dot
	}
	return math.Sqrt(l2)
}

// checkExactScores searches each query and requires every result's score
// to be the exact score of its record, and recall@k against brute force
// of at least minRecall. byKey maps keys to their vectors.
func checkExactScores(t *testing.T, c *query.Collection, metric query.Metric, keys []string, vecs [][]float32, queries [][]float32, k int, opts query.SearchOptions, minRecall float64) {
	t.Helper()
	byKey := map[string][]float32{}
	for i, key := range keys {
		byKey[key] = vecs[i]
	}
	var rec float64
	for qi, q := range queries {
		got, err := c.Search(ctx, q, k, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			want := exactScore(metric, q, byKey[r.Key])
			if math.Abs(float64(r.Score)-want) > 1e-5*max(1, math.Abs(want)) {
				t.Fatalf("query %d: %s scores %v, exact %v", qi, r.Key, r.Score, want)
			}
		}
		rec += recall(got, bruteForce(metric, keys, vecs, q, k, nil))
	}
	if rec /= float64(len(queries)); rec < minRecall {
		t.Fatalf("recall@%d %.3f, want at least %.3f", k, rec, minRecall)
	}
}

func TestQuantizedSearchScoresExact(t *testing.T) {
	const dim, n = 12, 400
	vecs := uniformVecs(1, n, dim)
	queries := uniformVecs(2, 15, dim)
	for _, enc := range []string{"fp16", "int8"} {
		for _, metric := range []query.Metric{query.Cosine, query.Dot, query.L2} {
			t.Run(enc+"/"+string(metric), func(t *testing.T) {
				db, path := openTemp(t)
				c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: metric, Quantize: enc, M: 12, EfConstruction: 100})
				if err != nil {
					t.Fatal(err)
				}
				keys := fill(t, c, vecs)
				info := c.Encoding()
				wantBytes := map[string]int{"fp16": 2 * dim, "int8": dim + 4}[enc]
				if info.Encoding != enc || info.VectorBytes != wantBytes {
					t.Fatalf("Encoding() = %+v, want %s at %d bytes a vector", info, enc, wantBytes)
				}
				if enc == "int8" && info.Params != "trained per-dimension" {
					t.Fatalf("params %q, want trained on the first batch", info.Params)
				}
				opts := query.SearchOptions{Ef: 64, Oversample: 3}
				checkExactScores(t, c, metric, keys, vecs, queries, 10, opts, 0.9)
				// Exact: the brute-force answer, exactly.
				for _, q := range queries[:3] {
					got, err := c.Search(ctx, q, 10, query.SearchOptions{Exact: true})
					if err != nil {
						t.Fatal(err)
					}
					want := bruteForce(metric, keys, vecs, q, 10, nil)
					for i := range want {
						if got[i].Key != want[i].Key || math.Abs(float64(got[i].Score-want[i].Score)) > 1e-5*max(1, math.Abs(float64(want[i].Score))) {
							t.Fatalf("exact result %d: %v, want %v", i, got[i], want[i])
						}
					}
				}
				// SearchKey reads the exact vector of its key.
				hits, err := c.SearchKey(ctx, keys[3], 5, opts)
				if err != nil || len(hits) != 5 {
					t.Fatalf("SearchKey: %v %v", hits, err)
				}
				if err := db.Check(ctx); err != nil {
					t.Fatal(err)
				}
				db.Close()
				// Read-only: codes and exact vectors are views of the file.
				ro, err := query.Open(path, query.Options{ReadOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				defer ro.Close()
				rc, err := ro.Collection(ctx, "c")
				if err != nil {
					t.Fatal(err)
				}
				checkExactScores(t, rc, metric, keys, vecs, queries, 10, opts, 0.9)
				if err := ro.Check(ctx); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestQuantizedWritesAfterOpen checks that a read-write open re-ranks with
// the vectors of later writes: upserts (deltas, then a fold), deletes.
func TestQuantizedWritesAfterOpen(t *testing.T) {
	const dim = 8
	db, path := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: query.L2, Quantize: "int8", M: 8, EfConstruction: 60})
	if err != nil {
		t.Fatal(err)
	}
	vecs := uniformVecs(3, 300, dim)
	keys := fill(t, c, vecs)
	db.Close()
	db, err = query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c, err = db.Collection(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	top := func(q []float32) query.Result {
		t.Helper()
		got, err := c.Search(ctx, q, 1, query.SearchOptions{Ef: 100, Oversample: 4})
		if err != nil || len(got) != 1 {
			t.Fatalf("search: %v %v", got, err)
		}
		return got[0]
	}
	top(vecs[0]) // the views exist before the writes
	fresh := uniformVecs(4, 120, dim)
	for i, v := range fresh {
		key := keys[i*2] // rewrite every other record: the block folds on the way
		if err := c.Upsert(ctx, key, v, nil); err != nil {
			t.Fatal(err)
		}
		vecs[i*2] = v
		if r := top(v); r.Key != key || r.Score != 0 {
			t.Fatalf("after upserting %s: top %v, want it at distance 0", key, r)
		}
	}
	if _, err := c.Delete(ctx, keys[1]); err != nil {
		t.Fatal(err)
	}
	if r := top(vecs[1]); r.Key == keys[1] {
		t.Fatalf("deleted %s still found", keys[1])
	}
	if err := c.Upsert(ctx, "new", vecs[1], nil); err != nil {
		t.Fatal(err)
	}
	if r := top(vecs[1]); r.Key != "new" || r.Score != 0 {
		t.Fatalf("top %v, want new at 0", r)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if info := c.Encoding(); info.ExactInRAM < 1 {
		t.Fatalf("%+v: the delta rows should be held in RAM", info)
	}
}

// TestQuantizedImportTrains checks a bulk build into a new int8
// collection: built on float32, trained and encoded at Commit, exact
// scores, lossless export.
func TestQuantizedImportTrains(t *testing.T) {
	const dim = 10
	db, path := openTemp(t)
	vecs := clustered(5, 600, dim)
	cfg := query.CollectionConfig{Dim: dim, Metric: query.L2, Quantize: "int8", M: 12, EfConstruction: 100}
	s, err := db.Stage(ctx, "c", cfg, query.StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keys := fill(t, s.Collection(), vecs)
	if info := s.Collection().Encoding(); info.Encoding != "none" || !strings.HasPrefix(info.Params, "untrained") {
		t.Fatalf("before commit: %+v, want an untrained float32 build", info)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := db.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if info := c.Encoding(); info.Encoding != "int8" || info.Params != "trained per-dimension" {
		t.Fatalf("after commit: %+v", info)
	}
	checkExactScores(t, c, query.L2, keys, vecs, clustered(6, 15, dim), 10, query.SearchOptions{Ef: 64}, 0.9)
	checkLossless(t, c, keys, vecs)
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rc, err := ro.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	checkLossless(t, rc, keys, vecs)
}

// checkLossless requires every record's vector, as exported, to be the
// input bit for bit.
func checkLossless(t *testing.T, c *query.Collection, keys []string, vecs [][]float32) {
	t.Helper()
	n := 0
	byKey := map[string][]float32{}
	for i, k := range keys {
		byKey[k] = vecs[i]
	}
	if err := c.ForEach(ctx, func(r query.Record) error {
		n++
		want := byKey[r.Key]
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(r.Vector[i]) {
				return fmt.Errorf("%s component %d: %v, input %v", r.Key, i, r.Vector[i], want[i])
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(keys) {
		t.Fatalf("%d records, want %d", n, len(keys))
	}
}

func TestQuantize(t *testing.T) {
	const dim = 12
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, M: 12, EfConstruction: 100})
	if err != nil {
		t.Fatal(err)
	}
	vecs := clustered(8, 500, dim)
	keys := fill(t, c, vecs)
	queries := clustered(9, 10, dim)
	for _, to := range []string{"int8", "fp16", "int8", "none"} {
		if err := db.Quantize(ctx, "c", to); err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
		c, err := db.Collection(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		info := c.Encoding()
		if info.Encoding != to || (to == "int8" && info.Params != "trained per-dimension") {
			t.Fatalf("to %s: %+v", to, info)
		}
		if c.Config().Quantize != map[string]string{"none": ""}[to] && c.Config().Quantize != to {
			t.Fatalf("config says %q", c.Config().Quantize)
		}
		checkExactScores(t, c, query.Cosine, keys, vecs, queries, 10, query.SearchOptions{Ef: 64}, 0.9)
		checkLossless(t, c, keys, vecs)
		if err := db.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Quantize(ctx, "nope", "int8"); !errors.Is(err, query.ErrUnknownCollection) {
		t.Fatalf("unknown collection: %v", err)
	}
	if err := db.Quantize(ctx, "c", "int4"); !errors.Is(err, quant.ErrEncoding) {
		t.Fatalf("unknown encoding: %v", err)
	}
}

func TestQuantizeRefusesWhatFP16CannotHold(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4, Metric: query.L2})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ctx, "a", []float32{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ctx, "big", []float32{1, 1e6, 0, 0}, nil); err != nil {
		t.Fatal(err)
	}
	err = db.Quantize(ctx, "c", "fp16")
	if !errors.Is(err, quant.ErrValue) || !strings.Contains(err.Error(), "as it was") {
		t.Fatalf("Quantize = %v, want quant.ErrValue and the collection as it was", err)
	}
	c, _ = db.Collection(ctx, "c")
	if c.Encoding().Encoding != "none" || c.Len() != 2 {
		t.Fatalf("after a refused quantize: %+v, %d records", c.Encoding(), c.Len())
	}
	names, _ := db.Collections()
	if len(names) != 1 {
		t.Fatalf("collections %q", names)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestQuantizedRefusesBadVectors(t *testing.T) {
	db, _ := openTemp(t)
	for _, c := range []struct {
		name, enc string
		metric    query.Metric
		v         []float32
	}{
		{"NaN int8", "int8", query.Cosine, []float32{1, float32(math.NaN()), 0}},
		{"Inf fp16", "fp16", query.Dot, []float32{1, float32(math.Inf(1)), 0}},
		{"beyond int8", "int8", query.L2, []float32{1, 2e15, 0}},
		{"beyond fp16", "fp16", query.L2, []float32{1, 70000, 0}},
		{"dimension", "int8", query.L2, []float32{1, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			col, err := db.CreateCollection(ctx, c.name, query.CollectionConfig{Dim: 3, Metric: c.metric, Quantize: c.enc})
			if err != nil {
				t.Fatal(err)
			}
			if err := col.Upsert(ctx, "a", c.v, nil); err == nil {
				t.Fatal("Upsert accepted it")
			}
			// A bulk build refuses it before any training.
			s, err := db.Stage(ctx, c.name+"-bulk", query.CollectionConfig{Dim: 3, Metric: c.metric, Quantize: c.enc}, query.StageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Collection().UpsertBatch(ctx, []query.Record{{Key: "ok", Vector: []float32{0.5, 0.5, 0.5}}, {Key: "bad", Vector: c.v}}, query.BatchOptions{})
			if err == nil {
				t.Fatal("UpsertBatch accepted it")
			}
			if err := s.Abort(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := db.CreateCollection(ctx, "x", query.CollectionConfig{Dim: 3, Quantize: "int4"}); !errors.Is(err, store.ErrInvalidConfig) {
		t.Fatalf("unknown encoding: %v", err)
	}
}

// TestQuantizedDamageRefused damages one byte of an int8 collection's code
// block, and separately its parameters (resealing the config): the open
// refuses both, naming the collection, and check reports them.
func TestQuantizedDamageRefused(t *testing.T) {
	for _, kind := range []string{"code block", "params"} {
		t.Run(kind, func(t *testing.T) {
			db, path := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 8, Metric: query.L2, Quantize: "int8"})
			if err != nil {
				t.Fatal(err)
			}
			fill(t, c, uniformVecs(1, 100, 8))
			db.Close()
			b, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Update(func(btx *bolt.Tx) error {
				root := btx.Bucket([]byte("vecbolt"))
				id := root.Bucket([]byte("names")).Get([]byte("c"))[:4]
				col := root.Bucket([]byte("collections")).Bucket(id)
				if kind == "code block" {
					cb := col.Bucket([]byte("cblocks"))
					v := bytes.Clone(cb.Get([]byte{0, 0, 0, 0}))
					v[40] ^= 0x08
					return cb.Put([]byte{0, 0, 0, 0}, v)
				}
				cfg := col.Bucket([]byte("config"))
				v := bytes.Clone(cfg.Get([]byte("config")))
				i := bytes.Index(v, []byte(`"encoding_params":"`)) + len(`"encoding_params":"`) + 12
				v[i] ^= 0x01 // another base64 letter: the params' own CRC fails
				return cfg.Put([]byte("config"), v)
			}); err != nil {
				t.Fatal(err)
			}
			b.Close()
			for _, ro := range []bool{true, false} {
				db, err := query.Open(path, query.Options{ReadOnly: ro})
				if err != nil {
					t.Fatal(err)
				}
				_, err = db.Collection(ctx, "c")
				if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), `"c"`) {
					t.Fatalf("read-only %t: open = %v, want ErrCorrupt naming the collection", ro, err)
				}
				if err := db.Check(ctx); err == nil {
					t.Fatal("check passed")
				}
				db.Close()
			}
		})
	}
}

func TestQuantizedConfigKept(t *testing.T) {
	db, path := openTemp(t)
	cfg := query.CollectionConfig{Dim: 4, Quantize: "FP16"}
	if _, err := db.CreateCollection(ctx, "c", cfg); err != nil {
		t.Fatal(err)
	}
	// The same request again is the same collection; another encoding is not.
	if _, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4, Quantize: "fp16"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4, Quantize: "int8"}); !errors.Is(err, query.ErrCollectionExists) {
		t.Fatalf("another encoding: %v", err)
	}
	db.Close()
	db2, err := query.Open(filepath.Clean(path), query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	c, err := db2.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.Config().Quantize != "fp16" || c.Encoding().VectorBytes != 8 {
		t.Fatalf("%+v %+v", c.Config(), c.Encoding())
	}
}

// TestQuantizedNoWorkForNoChange: upserting the vector a record already
// has does no graph work and commits nothing in an encoded collection too.
func TestQuantizedNoWorkForNoChange(t *testing.T) {
	for _, enc := range []string{"fp16", "int8"} {
		t.Run(enc, func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 6, Quantize: enc})
			if err != nil {
				t.Fatal(err)
			}
			vecs := uniformVecs(2, 50, 6)
			keys := fill(t, c, vecs)
			before := c.WriteStats()
			for i := range 10 {
				if err := c.Upsert(ctx, keys[i], vecs[i], nil); err != nil {
					t.Fatal(err)
				}
			}
			after := c.WriteStats()
			if after.Commits != before.Commits || after.Nodes != before.Nodes {
				t.Fatalf("identical upserts: %+v -> %+v", before, after)
			}
			// A changed vector is written.
			v := append([]float32(nil), vecs[0]...)
			v[0] = -v[0]
			if err := c.Upsert(ctx, keys[0], v, nil); err != nil {
				t.Fatal(err)
			}
			if c.WriteStats().Commits != after.Commits+1 {
				t.Fatal("a changed vector was not committed")
			}
			got, err := c.Get(ctx, keys[0])
			if err != nil || got.Vector[0] != v[0] {
				t.Fatalf("Get: %v %v", got.Vector, err)
			}
			if err := db.Check(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFirstBatchTrains: the first UpsertBatch of at least 256 records into
// an empty int8 collection trains the parameters (quant.Default would clip
// these l2 components, about ±5, to ±1); a smaller first batch, or a
// batch after a write, keeps the default.
func TestFirstBatchTrains(t *testing.T) {
	const dim = 10
	db, _ := openTemp(t)
	cfg := query.CollectionConfig{Dim: dim, Metric: query.L2, Quantize: "int8", M: 12, EfConstruction: 100}
	c, err := db.CreateCollection(ctx, "c", cfg)
	if err != nil {
		t.Fatal(err)
	}
	vecs := clustered(21, 600, dim)
	keys := fill(t, c, vecs)
	if p := c.Encoding().Params; p != "trained per-dimension" {
		t.Fatalf("after the first batch: %q", p)
	}
	checkExactScores(t, c, query.L2, keys, vecs, clustered(22, 15, dim), 10, query.SearchOptions{Ef: 64}, 0.9)
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	small, err := db.CreateCollection(ctx, "small", cfg)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, small, vecs[:100])
	if p := small.Encoding().Params; !strings.HasPrefix(p, "default") {
		t.Fatalf("after a batch of 100: %q", p)
	}
}
