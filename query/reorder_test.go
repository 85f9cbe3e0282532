package query_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

var reorderWords = []string{"red", "green", "blue", "apple", "pear", "stone", "river", "cloud"}

// reorderRecords returns n records with metadata on most and a text of a
// few words on every third.
func reorderRecords(n, dim int, seed uint64) []query.Record {
	vecs := clustered(seed, n, dim)
	recs := make([]query.Record, n)
	for i, v := range vecs {
		recs[i] = query.Record{Key: fmt.Sprintf("k%04d", i), Vector: v}
		if i%5 != 0 {
			recs[i].Metadata = json.RawMessage(fmt.Sprintf(`{"year":%d,"tag":"t%d"}`, 1990+i%30, i%3))
		}
		if i%3 == 0 {
			recs[i].Text = fmt.Sprintf("%s %s %s", reorderWords[i%8], reorderWords[(i/8)%8], reorderWords[(i/64)%8])
		}
	}
	return recs
}

// snapshot is everything a renumbering must keep: every record in key
// order, the keys in insertion order, and the answers to a set of vector
// (with and without a filter) and keyword queries, as keys.
type snapshot struct {
	Records map[string]query.Record
	Order   []string
	Search  [][]query.Result
	Text    [][]query.TextResult
}

func takeSnapshot(t *testing.T, db *query.DB, name string, queries [][]float32) snapshot {
	t.Helper()
	c, err := db.Collection(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{Records: map[string]query.Record{}, Order: collectionKeys(t, db, name)}
	for _, k := range s.Order {
		r, err := c.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		s.Records[k] = r
	}
	filter, err := query.ParseFilter(`year >= 2000 and tag in ("t1", "t2")`)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		for _, opts := range []query.SearchOptions{{Ef: 64}, {Ef: 64, Filter: filter}} {
			res, err := c.Search(ctx, q, 10, opts)
			if err != nil {
				t.Fatal(err)
			}
			s.Search = append(s.Search, res)
		}
	}
	for _, w := range reorderWords {
		res, err := c.SearchText(ctx, w+" river", 10, query.TextSearchOptions{Mode: query.ModeKeyword})
		if err != nil {
			t.Fatal(err)
		}
		s.Text = append(s.Text, res)
	}
	return s
}

// canonicalText is a keyword ranking with ties put in key order, and the
// results tied at the lowest score (which of them make the cut depends on
// the ids that break the tie) reduced to their number.
func canonicalText(res []query.TextResult) []string {
	if len(res) == 0 {
		return nil
	}
	res = slices.Clone(res)
	slices.SortFunc(res, func(a, b query.TextResult) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	low := res[len(res)-1].Score
	var out []string
	tied := 0
	for _, r := range res {
		if r.Score == low {
			tied++
			continue
		}
		out = append(out, fmt.Sprintf("%s %g %g", r.Key, r.Score, r.KeywordScore))
	}
	return append(out, fmt.Sprintf("%d tied at %g", tied, low))
}

func compareSnapshots(t *testing.T, what string, got, want snapshot) {
	t.Helper()
	if !reflect.DeepEqual(got.Order, want.Order) {
		t.Errorf("%s: keys in insertion order differ (%d against %d)", what, len(got.Order), len(want.Order))
	}
	for k, w := range want.Records {
		if g := got.Records[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s: record %q = %+v, want %+v", what, k, g, w)
		}
	}
	for i := range want.Search {
		if !reflect.DeepEqual(got.Search[i], want.Search[i]) {
			t.Errorf("%s: search %d = %v, want %v", what, i, got.Search[i], want.Search[i])
		}
	}
	for i := range want.Text {
		if !reflect.DeepEqual(canonicalText(got.Text[i]), canonicalText(want.Text[i])) {
			t.Errorf("%s: keyword search %d = %v, want %v", what, i, got.Text[i], want.Text[i])
		}
	}
}

// TestReorderKeepsEverything renumbers one collection in every order
// (DB.Reorder, the compact path: a staged copy, Commit renumbers) and
// checks that records, insertion order, vector searches with and
// without a filter, and BM25 keyword searches are exactly as before, and
// that the file passes Check, also after reopening.
func TestReorderKeepsEverything(t *testing.T) {
	for _, enc := range []string{"", "int8"} {
		t.Run("quantize="+enc, func(t *testing.T) {
			db, path := openTemp(t)
			cfg := query.CollectionConfig{Dim: 8, Metric: query.L2, M: 8, EfConstruction: 60, Quantize: enc}
			s, err := db.Stage(ctx, "c", cfg, query.StageOptions{Order: query.OrderNone})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Collection().UpsertBatch(ctx, reorderRecords(1500, 8, 3), query.BatchOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			c, err := db.Collection(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			// A deleted record leaves a free slot that the renumbering
			// compacts away.
			if _, err := c.Delete(ctx, "k0007"); err != nil {
				t.Fatal(err)
			}
			queries := clustered(99, 20, 8)
			want := takeSnapshot(t, db, "c", queries)
			for _, order := range []string{query.OrderBFS, query.OrderRCM, query.OrderGorder} {
				did, err := db.Reorder(ctx, "c", order)
				if err != nil {
					t.Fatal(err)
				}
				if !did {
					t.Fatalf("Reorder(%s) did nothing", order)
				}
				compareSnapshots(t, order, takeSnapshot(t, db, "c", queries), want)
				if err := db.Check(ctx); err != nil {
					t.Fatalf("%s: %v", order, err)
				}
			}
			// Auto leaves a collection below MinReorderLen alone.
			if did, err := db.Reorder(ctx, "c", query.OrderAuto); err != nil || did {
				t.Errorf("Reorder(auto) on 1,499 records = %t, %v; want false, nil", did, err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db2, err := query.Open(path, query.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			if err := db2.Check(ctx); err != nil {
				t.Fatal(err)
			}
			compareSnapshots(t, "reopened", takeSnapshot(t, db2, "c", queries), want)
			// Writes after a renumbering land where they should.
			c2, err := db2.Collection(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			v := clustered(5, 1, 8)[0]
			if err := c2.Upsert(ctx, "new", v, nil); err != nil {
				t.Fatal(err)
			}
			if res, err := c2.Search(ctx, v, 1, query.SearchOptions{Exact: true}); err != nil || len(res) != 1 || res[0].Key != "new" {
				t.Errorf("search for the new record: %v, %v", res, err)
			}
			if err := db2.Check(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStageOrder: a bulk build committed with a node order answers as one
// committed without, graph for graph (one worker, so both builds make the
// same graph).
func TestStageOrder(t *testing.T) {
	db, _ := openTemp(t)
	cfg := query.CollectionConfig{Dim: 8, Metric: query.L2, M: 8, EfConstruction: 60}
	recs := reorderRecords(1200, 8, 4)
	for _, x := range []struct{ name, order string }{{"plain", query.OrderNone}, {"rcm", query.OrderRCM}} {
		s, err := db.Stage(ctx, x.name, cfg, query.StageOptions{Order: x.order})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Collection().UpsertBatch(ctx, recs, query.BatchOptions{Workers: 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	queries := clustered(98, 20, 8)
	compareSnapshots(t, "rcm", takeSnapshot(t, db, "rcm", queries), takeSnapshot(t, db, "plain", queries))
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestReorderBadOrder(t *testing.T) {
	db, _ := openTemp(t)
	cfg := query.CollectionConfig{Dim: 4, Metric: query.L2}
	if _, err := db.Stage(ctx, "c", cfg, query.StageOptions{Order: "random"}); !errors.Is(err, query.ErrInvalidOrder) {
		t.Errorf("Stage with order random: %v, want ErrInvalidOrder", err)
	}
	if _, err := db.CreateCollection(ctx, "c", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Reorder(ctx, "c", "BFS"); !errors.Is(err, query.ErrInvalidOrder) {
		t.Errorf("Reorder with order BFS: %v, want ErrInvalidOrder", err)
	}
	if _, err := db.Reorder(ctx, "missing", query.OrderBFS); !errors.Is(err, query.ErrUnknownCollection) {
		t.Errorf("Reorder of a missing collection: %v, want ErrUnknownCollection", err)
	}
	if _, err := db.ReorderAll(ctx, "x"); !errors.Is(err, query.ErrInvalidOrder) {
		t.Errorf("ReorderAll with order x: %v, want ErrInvalidOrder", err)
	}
}
