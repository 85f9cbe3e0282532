package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// catalogDB writes a collection of n records with metadata (a few deleted
// and rewritten, so ids have holes and seqs are out of id order) and
// returns its path and the query vectors.
func catalogDB(t *testing.T, metric Metric, n int) (string, [][]float32) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cat.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const dim = 16
	r := rand.New(rand.NewPCG(5, 5))
	vec := func() []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	c, err := db.CreateCollection(ctx, "c", CollectionConfig{Dim: dim, Metric: metric, M: 8, EfConstruction: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Key: fmt.Sprintf("k%d", i), Vector: vec(), Metadata: json.RawMessage(fmt.Sprintf(`{"g":%d,"tag":"t%d"}`, i%5, i%3))}
	}
	if err := c.UpsertBatch(ctx, recs, BatchOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, "k3", "k10", "k11"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k5", "new1", "new2"} {
		if err := c.Upsert(ctx, k, vec(), json.RawMessage(`{"g":9}`)); err != nil {
			t.Fatal(err)
		}
	}
	qs := make([][]float32, 5)
	for i := range qs {
		qs[i] = vec()
	}
	return path, qs
}

// catalogAnswers runs every operation that reads keys, ids, seqs or
// metadata on c and returns the answers by name.
func catalogAnswers(t *testing.T, c *Collection, qs [][]float32) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	try := func(name string, v any, err error) {
		if err != nil {
			v = "error: " + err.Error()
		}
		out[name] = v
	}
	for i, q := range qs {
		res, err := c.Search(ctx, q, 7, SearchOptions{})
		try(fmt.Sprint("search ", i), res, err)
		res, err = c.Search(ctx, q, 7, SearchOptions{Filter: Eq("g", 2)})
		try(fmt.Sprint("filter ", i), res, err)
		res, err = c.Search(ctx, q, 7, SearchOptions{Restrict: 40})
		try(fmt.Sprint("restrict ", i), res, err)
		res, err = c.Search(ctx, q, 7, SearchOptions{Exact: true})
		try(fmt.Sprint("exact ", i), res, err)
	}
	res, err := c.SearchKey(ctx, "k7", 5, SearchOptions{})
	try("search key", res, err)
	_, err = c.SearchKey(ctx, "k3", 5, SearchOptions{})
	try("search deleted key", nil, err)
	res, err = c.MostSimilar(ctx, []string{"k1", "k2"}, []string{"k4"}, 5, SimilarOptions{})
	try("most similar", res, err)
	res, err = c.MostSimilar(ctx, []string{"k1"}, nil, 5, SimilarOptions{Restrict: 30})
	try("most similar restricted", res, err)
	keys, err := c.KeysWhere(ctx, Eq("g", 9))
	try("keys where", keys, err)
	res, err = c.Distances(ctx, "k1", nil)
	try("distances to all", res, err)
	res, err = c.Distances(ctx, "k1", []string{"k2", "new1"})
	try("distances", res, err)
	keys, err = c.CloserThan(ctx, "k1", "k20")
	try("closer than", keys, err)
	res, err = c.RankByCentrality(ctx, []string{"k1", "k2", "k6"})
	try("centrality", res, err)
	sim, err := c.Similarity(ctx, "k1", "new2")
	try("similarity", sim, err)
	out["has k5"], out["has k3"], out["has new2"] = c.Has("k5"), c.Has("k3"), c.Has("new2")
	out["len"] = c.Len()
	out["stats records"] = c.Stats().Records
	try("check", nil, c.Check(ctx))
	return out
}

// TestLazyCatalogMatchesLoaded checks that a read-only open, which builds
// no catalogue of keys until an operation needs one, answers every
// operation as the read-write open (which loads everything) does, under
// each metric; that a plain search or a by-key search leaves it lazy; and
// that a filter builds it.
func TestLazyCatalogMatchesLoaded(t *testing.T) {
	ctx := context.Background()
	for _, m := range []Metric{L2, Cosine, Dot} {
		t.Run(string(m), func(t *testing.T) {
			path, qs := catalogDB(t, m, 300)
			rw, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := rw.Collection(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			if c.lazy {
				t.Fatal("a read-write open is lazy")
			}
			want := catalogAnswers(t, c, qs)
			if err := rw.Close(); err != nil {
				t.Fatal(err)
			}

			ro, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			rc, err := ro.Collection(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rc.Search(ctx, qs[0], 5, SearchOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := rc.SearchKey(ctx, "k8", 5, SearchOptions{}); err != nil {
				t.Fatal(err)
			}
			if !rc.Has("new1") || rc.Has("k10") || rc.Len() != 299 {
				t.Fatalf("lazy Has/Len: %t %t %d", rc.Has("new1"), rc.Has("k10"), rc.Len())
			}
			if !rc.lazy || rc.keys != nil {
				t.Fatal("a plain search built the catalogue")
			}
			got := catalogAnswers(t, rc, qs)
			if rc.lazy {
				t.Fatal("a filtered search left the catalogue unbuilt")
			}
			for k, w := range want {
				if !reflect.DeepEqual(got[k], w) {
					t.Errorf("%s: read-only %v, read-write %v", k, got[k], w)
				}
			}
		})
	}
}

// TestLazyCatalogConcurrent builds the catalogue (a filtered search)
// while other goroutines search and look keys up on the lazy path: run
// under -race.
func TestLazyCatalogConcurrent(t *testing.T) {
	ctx := context.Background()
	path, qs := catalogDB(t, L2, 400)
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	c, err := ro.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.Search(ctx, qs[1], 5, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				got, err := c.Search(ctx, qs[1], 5, SearchOptions{})
				if err != nil || !reflect.DeepEqual(got, want) {
					errs <- fmt.Errorf("search %d: %v, %v", i, got, err)
					return
				}
				if !c.Has("k9") {
					errs <- errors.New("Has(k9) false")
					return
				}
				if w == 0 && i == 10 {
					if _, err := c.Search(ctx, qs[2], 5, SearchOptions{Filter: Eq("g", 1)}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if c.lazy {
		t.Fatal("the filtered search did not build the catalogue")
	}
}

// TestLazyCatalogMissingRecord removes a record behind the graph's back
// (a damaged file whose counts still agree is not possible to make by
// hand here, so the record is swapped for another id's): a search that
// reaches the node says the file is corrupt instead of naming no key.
func TestLazyCatalogMissingRecord(t *testing.T) {
	ctx := context.Background()
	path, qs := catalogDB(t, L2, 100)
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	c, err := ro.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	c.mu.RLock()
	_, err = c.keyOf(c.g.MaxID() + 5) // beyond every record
	c.mu.RUnlock()
	if err == nil || !strings.Contains(err.Error(), "has no readable record") {
		t.Fatalf("keyOf a node without a record: %v", err)
	}
	if _, err := c.Search(ctx, qs[0], 3, SearchOptions{}); err != nil {
		t.Fatal(err)
	}
}
