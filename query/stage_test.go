package query_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

func stageRecords(prefix string, n int, seed uint64) []query.Record {
	vecs := clustered(seed, n, 6)
	recs := make([]query.Record, n)
	for i, v := range vecs {
		recs[i] = query.Record{Key: fmt.Sprintf("%s%d", prefix, i), Vector: v}
	}
	return recs
}

// collectionKeys lists a collection's keys in insertion order.
func collectionKeys(t testing.TB, db *query.DB, name string) []string {
	t.Helper()
	c, err := db.Collection(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := c.Keys(ctx, func(k string) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}

func keysOf(recs ...[]query.Record) []string {
	var keys []string
	for _, rs := range recs {
		for _, r := range rs {
			keys = append(keys, r.Key)
		}
	}
	return keys
}

func TestStage(t *testing.T) {
	db, _ := openTemp(t)
	cfg := query.CollectionConfig{Dim: 6, Metric: query.L2, M: 8}
	c, err := db.CreateCollection(ctx, "c", cfg)
	if err != nil {
		t.Fatal(err)
	}
	old := stageRecords("old", 100, 1)
	if err := c.UpsertBatch(ctx, old, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}

	// Abort: nothing changes, nothing is listed.
	s, err := db.Stage(ctx, "c", cfg, query.StageOptions{Copy: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Collection().Len() != 100 {
		t.Errorf("staged copy has %d records, want 100", s.Collection().Len())
	}
	if err := s.Collection().UpsertBatch(ctx, stageRecords("new", 50, 2), query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if names, _ := db.Collections(); !reflect.DeepEqual(names, []string{"c"}) {
		t.Errorf("Collections during a stage = %q", names)
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err == nil {
		t.Errorf("Commit after Abort succeeded")
	}
	if got := collectionKeys(t, db, "c"); !reflect.DeepEqual(got, keysOf(old)) {
		t.Errorf("after Abort: %d keys", len(got))
	}

	// Copy and commit in batches: the old records and the new ones, and
	// the handle from before the commit is closed.
	s, err = db.Stage(ctx, "c", cfg, query.StageOptions{Copy: true})
	if err != nil {
		t.Fatal(err)
	}
	n1, n2 := stageRecords("new", 120, 3), stageRecords("more", 80, 4)
	for _, b := range [][]query.Record{n1, n2} {
		if err := s.Collection().UpsertBatch(ctx, b, query.BatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ctx, "late", make([]float32, 6), nil); !errors.Is(err, query.ErrClosed) {
		t.Errorf("write to the replaced handle: %v, want ErrClosed", err)
	}
	if got, want := collectionKeys(t, db, "c"), keysOf(old, n1, n2); !reflect.DeepEqual(got, want) {
		t.Errorf("after Commit: %d keys, want %d", len(got), len(want))
	}
	c2, err := db.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c2.Search(ctx, n2[5].Vector, 1, query.SearchOptions{})
	if err != nil || len(res) != 1 || res[0].Key != n2[5].Key {
		t.Errorf("search for a staged record: %v, %v", res, err)
	}

	// A new collection staged without Copy, and replacing one wholesale.
	s, err = db.Stage(ctx, "d", query.CollectionConfig{Dim: 3}, query.StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Collection().Upsert(ctx, "x", []float32{1, 2, 3}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// The single write left a delta; Commit folded it into the blocks.
	st, err := db.Store().Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range st.Collections {
		g, v, l := cs.Buckets["graph"].Keys, cs.Buckets["vectors"].Keys, cs.Buckets["nodelog"].Keys
		if cs.Name == "d" && (g != 0 || v != 0 || l != 0) {
			t.Errorf("after Commit: %d node deltas, %d vector deltas and %d node log values, want none", g, v, l)
		}
	}
	s, err = db.Stage(ctx, "c", cfg, query.StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Collection().UpsertBatch(ctx, old[:10], query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := collectionKeys(t, db, "c"); !reflect.DeepEqual(got, keysOf(old[:10])) {
		t.Errorf("after a replacing stage: %v", got)
	}
	if names, _ := db.Collections(); !reflect.DeepEqual(names, []string{"c", "d"}) {
		t.Errorf("Collections = %q", names)
	}
	if _, err := db.Stage(ctx, "\x00bad", cfg, query.StageOptions{}); err == nil {
		t.Errorf("Stage of a reserved name succeeded")
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
