package query

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"
)

// TestReadOnlyOpenViewsVectors writes an l2 and a cosine collection (a
// bulk load that fills blocks, then single writes and a delete that stay
// deltas), then opens the file read-only: the l2 graph views the file's
// vector blocks (a pinned read transaction), the cosine one copies, and
// both answer every search and Get exactly as the read-write open did.
func TestReadOnlyOpenViewsVectors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	vec := func(dim int) []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	const dim = 300 // 512 ids per block: three blocks
	type want struct {
		res [][]Result
		get Record
	}
	queries := make([][]float32, 20)
	for i := range queries {
		queries[i] = vec(dim)
	}
	wants := map[string]want{}
	for _, m := range []Metric{L2, Cosine} {
		name := string(m)
		c, err := db.CreateCollection(ctx, name, CollectionConfig{Dim: dim, Metric: m, M: 8, EfConstruction: 40, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		recs := make([]Record, 1300)
		for i := range recs {
			recs[i] = Record{Key: fmt.Sprintf("k%d", i), Vector: vec(dim)}
		}
		if err := c.UpsertBatch(ctx, recs, BatchOptions{Workers: 2}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if err := c.Upsert(ctx, fmt.Sprintf("k%d", 600+i), vec(dim), nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Delete(ctx, "k700"); err != nil {
			t.Fatal(err)
		}
		var w want
		for _, q := range queries {
			res, err := c.Search(ctx, q, 10, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			w.res = append(w.res, res)
		}
		if w.get, err = c.Get(ctx, "k601"); err != nil {
			t.Fatal(err)
		}
		wants[name] = w
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Metric{L2, Cosine} {
		name := string(m)
		c, err := ro.Collection(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		// Both keep the read transaction (the l2 graph's vectors are views
		// of it, the cosine graph's unit copies) and read keys through it.
		if c.pin == nil || !c.lazy {
			t.Errorf("%s: read-only open: pinned %t, lazy catalogue %t", name, c.pin != nil, c.lazy)
		}
		w := wants[name]
		for i, q := range queries {
			res, err := c.Search(ctx, q, 10, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(res, w.res[i], func(a, b Result) bool { return a.Key == b.Key && a.Score == b.Score }) {
				t.Fatalf("%s: query %d: read-only open answers %v, read-write %v", name, i, res, w.res[i])
			}
		}
		got, err := c.Get(ctx, "k601")
		if err != nil || !slices.Equal(got.Vector, w.get.Vector) {
			t.Fatalf("%s: Get k601 = %v, %v", name, got.Vector[:3], err)
		}
		if c.Has("k700") {
			t.Fatalf("%s: deleted key present", name)
		}
		if err := c.Check(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPauseGCNests checks that overlapping loads restore the collector's
// setting found by the first, whatever order they finish in.
func TestPauseGCNests(t *testing.T) {
	orig := debug.SetGCPercent(57)
	defer debug.SetGCPercent(orig)
	a := pauseGC()
	b := pauseGC()
	a()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("after the first of two loads: GC percent %d, want still off (-1)", got)
	}
	b()
	if got := debug.SetGCPercent(57); got != 57 {
		t.Fatalf("after both loads: GC percent %d, want 57", got)
	}
}
