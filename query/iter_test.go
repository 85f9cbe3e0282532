package query_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// keyedRecords returns n seeded records of dimension dim with keys in a
// random order (so that key order differs from insertion order) and
// metadata {"i": position}.
func keyedRecords(n, dim int, seed uint64) []query.Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	recs := make([]query.Record, n)
	for i, p := range rng.Perm(n) {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		prefix := []string{"apple", "apricot", "banana", "cherry"}[p%4]
		recs[i] = query.Record{Key: fmt.Sprintf("%s-%04d", prefix, p), Vector: v, Metadata: []byte(fmt.Sprintf(`{"i":%d}`, i))}
	}
	return recs
}

func TestScan(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	recs := keyedRecords(300, 4, 1)
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]query.Record{}
	var all []string
	for _, r := range recs {
		byKey[r.Key] = r
		all = append(all, r.Key)
	}
	sort.Strings(all)
	collect := func(s *query.Scan) []string {
		t.Helper()
		var out []string
		for k := range s.Keys() {
			out = append(out, k)
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := collect(c.Scan(ctx, query.ScanOptions{})); !slices.Equal(got, all) {
		t.Fatalf("all keys: %d, want %d in order", len(got), len(all))
	}
	// Prefix: every key starting with it, in order.
	for _, p := range []string{"ap", "apricot-", "banana-01", "zzz", ""} {
		var want []string
		for _, k := range all {
			if strings.HasPrefix(k, p) {
				want = append(want, k)
			}
		}
		if got := collect(db.Scan(ctx, "c", query.ScanOptions{Prefix: p})); !slices.Equal(got, want) {
			t.Errorf("prefix %q: %v, want %v", p, got, want)
		}
	}
	// Paging with After and Limit visits every key once, in order, and a
	// page past the end is empty.
	for _, page := range []int{1, 7, 100, 300, 1000} {
		var got []string
		after := ""
		for {
			keys := collect(c.Scan(ctx, query.ScanOptions{After: after, Limit: page}))
			if len(keys) == 0 {
				break
			}
			if len(keys) > page {
				t.Fatalf("page of %d keys, limit %d", len(keys), page)
			}
			got = append(got, keys...)
			after = keys[len(keys)-1]
		}
		if !slices.Equal(got, all) {
			t.Errorf("pages of %d: %d keys, want %d", page, len(got), len(all))
		}
	}
	if got := collect(c.Scan(ctx, query.ScanOptions{After: all[len(all)-1]})); len(got) != 0 {
		t.Errorf("after the last key: %v", got)
	}
	// After inside a prefix, and an After that is not a key.
	if got := collect(c.Scan(ctx, query.ScanOptions{Prefix: "banana", After: "banana-0100"})); len(got) == 0 || got[0] <= "banana-0100" || !strings.HasPrefix(got[len(got)-1], "banana") {
		t.Errorf("prefix banana after banana-0100: %v", got)
	}
	if got := collect(c.Scan(ctx, query.ScanOptions{After: "b"})); got[0] != "banana-0002" {
		t.Errorf("after \"b\": first %q, want banana-0002", got[0])
	}

	// All yields the records, owned by the caller.
	s := c.Scan(ctx, query.ScanOptions{Prefix: "cherry"})
	n := 0
	for k, r := range s.All() {
		w := byKey[k]
		if r.Key != k || !slices.Equal(r.Vector, w.Vector) || string(r.Metadata) != string(w.Metadata) {
			t.Fatalf("All: %s -> %+v, want %+v", k, r, w)
		}
		n++
	}
	if s.Err() != nil || n != 75 {
		t.Fatalf("All over cherry: %d records, %v", n, s.Err())
	}
	// Breaking out early is not an error.
	s = c.Scan(ctx, query.ScanOptions{})
	for range s.All() {
		break
	}
	if s.Err() != nil {
		t.Errorf("break: %v", s.Err())
	}
	// Errors: an unknown collection, a cancelled context.
	s = db.Scan(ctx, "nope", query.ScanOptions{})
	for range s.Keys() {
		t.Fatal("yielded a key of an unknown collection")
	}
	if !errors.Is(s.Err(), query.ErrUnknownCollection) {
		t.Errorf("unknown collection: %v", s.Err())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	s = c.Scan(cctx, query.ScanOptions{})
	for range s.Keys() {
		t.Fatal("yielded a key after cancel")
	}
	if !errors.Is(s.Err(), context.Canceled) {
		t.Errorf("cancelled: %v", s.Err())
	}
}

func TestGetManyDeleteKeysWhere(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4, Metric: query.L2})
	if err != nil {
		t.Fatal(err)
	}
	recs := keyedRecords(120, 4, 2)
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetMany(ctx, []string{recs[5].Key, recs[0].Key, recs[5].Key})
	if err != nil || len(got) != 3 || got[0].Key != recs[5].Key || got[1].Key != recs[0].Key || !slices.Equal(got[2].Vector, recs[5].Vector) {
		t.Fatalf("GetMany = %+v, %v", got, err)
	}
	var ke *query.KeyError
	if _, err := c.GetMany(ctx, []string{recs[1].Key, "nosuch"}); !errors.As(err, &ke) || ke.Key != "nosuch" {
		t.Fatalf("GetMany missing: %v", err)
	}
	if got, err := db.GetMany(ctx, "c", nil); err != nil || len(got) != 0 {
		t.Fatalf("GetMany of none: %v, %v", got, err)
	}
	if _, err := db.GetMany(ctx, "nope", []string{"a"}); !errors.Is(err, query.ErrUnknownCollection) {
		t.Fatalf("GetMany unknown collection: %v", err)
	}

	// DeleteKeys: strict by default, MissingOK skips.
	if _, err := c.DeleteKeys(ctx, []string{recs[0].Key, "nosuch"}, query.DeleteOptions{}); !errors.As(err, &ke) {
		t.Fatalf("DeleteKeys strict: %v", err)
	}
	if !c.Has(recs[0].Key) {
		t.Fatal("strict DeleteKeys deleted something")
	}
	n, err := c.DeleteKeys(ctx, []string{recs[0].Key, "nosuch", recs[0].Key, recs[1].Key}, query.DeleteOptions{MissingOK: true})
	if err != nil || n != 2 || c.Has(recs[0].Key) || c.Len() != 118 {
		t.Fatalf("DeleteKeys MissingOK = %d, %v (len %d)", n, err, c.Len())
	}
	if n, err := c.DeleteKeys(ctx, []string{"nosuch"}, query.DeleteOptions{MissingOK: true}); n != 0 || err != nil {
		t.Fatalf("DeleteKeys of only missing keys = %d, %v", n, err)
	}

	// KeysWhere against the metadata written out: i in [40, 60), in
	// insertion order.
	f, err := query.ParseFilter("i >= 40 and i < 60")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.KeysWhere(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range recs[40:60] {
		want = append(want, r.Key)
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("KeysWhere = %v, want %v", keys, want)
	}
	n, err = c.DeleteWhere(ctx, f)
	if err != nil || n != 20 || c.Len() != 98 {
		t.Fatalf("DeleteWhere = %d, %v (len %d)", n, err, c.Len())
	}
	if keys, _ := c.KeysWhere(ctx, f); len(keys) != 0 {
		t.Fatalf("after DeleteWhere: %v", keys)
	}
	if _, err := c.KeysWhere(ctx, query.Eq("x", []int{1})); err == nil {
		t.Fatal("KeysWhere with a bad filter: no error")
	}
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSearchOffsetWithVectors(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	recs := keyedRecords(200, 8, 3)
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	byKey := map[string][]float32{}
	for _, r := range recs {
		byKey[r.Key] = r.Vector
	}
	full, err := c.SearchKey(ctx, recs[0].Key, 1000, query.SearchOptions{Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{0, 1, 10, 190, 199, 500} {
		page, err := c.SearchKey(ctx, recs[0].Key, 10, query.SearchOptions{Exact: true, Offset: off, WithVectors: true})
		if err != nil {
			t.Fatal(err)
		}
		want := full[min(off, len(full)):min(off+10, len(full))]
		if off == 500 {
			want = nil
		}
		if len(page) != len(want) {
			t.Fatalf("offset %d: %d results, want %d", off, len(page), len(want))
		}
		for i := range want {
			if page[i].Key != want[i].Key || page[i].Score != want[i].Score || !slices.Equal(page[i].Vector, byKey[page[i].Key]) {
				t.Errorf("offset %d result %d: %+v, want %+v with its vector", off, i, page[i], want[i])
			}
		}
	}
	if _, err := c.Search(ctx, recs[0].Vector, 5, query.SearchOptions{Offset: -1}); err == nil {
		t.Error("negative offset: no error")
	}
	if rs, _ := c.Search(ctx, recs[0].Vector, 5, query.SearchOptions{}); rs[0].Vector != nil {
		t.Error("vector filled without WithVectors")
	}
}

// TestScanPrefixIsKeyOrderNotInsertion checks Scan against insertion
// order on keys that sort differently from how they were written.
func TestScanPrefixIsKeyOrderNotInsertion(t *testing.T) {
	db, _ := openTemp(t)
	c, _ := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 2})
	for _, k := range []string{"b", "a\u00ff", "a", "a\x00", "c"} {
		if err := c.Upsert(ctx, k, []float32{1, float32(len(k))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for k := range c.Scan(ctx, query.ScanOptions{Prefix: "a"}).Keys() {
		got = append(got, k)
	}
	if want := []string{"a", "a\x00", "a\u00ff"}; !slices.Equal(got, want) {
		t.Errorf("prefix a: %q, want %q", got, want)
	}
}
