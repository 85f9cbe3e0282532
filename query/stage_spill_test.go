package query_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// spillRecords returns n records of dimension dim under prefix, metadata
// on every other one when meta is set.
func spillRecords(prefix string, n, dim int, seed uint64, meta bool) []query.Record {
	vecs := clustered(seed, n, dim)
	recs := make([]query.Record, n)
	for i, v := range vecs {
		for j := range v {
			v[j] *= 3 // lengths well away from 1, so a unit vector is not the stored one
		}
		recs[i] = query.Record{Key: fmt.Sprintf("%s%04d", prefix, (i*7919)%n), Vector: v}
		if meta && i%2 == 0 {
			recs[i].Metadata = json.RawMessage(fmt.Sprintf(`{"year":%d,"tag":"t%d"}`, 1990+i%30, i%3))
		}
	}
	return recs
}

// buildStaged builds collection name in one staged load of batches in
// order, on one worker (so that builds of the same batches make the same
// graph), and returns the error of a Get of the first key before Commit.
func buildStaged(t *testing.T, db *query.DB, name, order string, cfg query.CollectionConfig, batches [][]query.Record) error {
	t.Helper()
	s, err := db.Stage(ctx, name, cfg, query.StageOptions{Order: order})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := s.Collection().UpsertBatch(ctx, b, query.BatchOptions{Workers: 1}); err != nil {
			t.Fatal(err)
		}
	}
	_, getErr := s.Collection().Get(ctx, batches[0][0].Key)
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return getErr
}

// TestStageSpilled: a new collection built in a node order keeps its
// records out of the file until Commit (Get finds nothing before), and
// then holds exactly what a build without an order holds (records bit for
// bit, metadata, insertion order, search answers), under every metric,
// with and without metadata.
func TestStageSpilled(t *testing.T) {
	const n = 1500
	for _, metric := range []query.Metric{query.L2, query.Cosine, query.Dot} {
		for _, meta := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/meta=%v", metric, meta), func(t *testing.T) {
				db, _ := openTemp(t)
				cfg := query.CollectionConfig{Dim: 8, Metric: metric, M: 8, EfConstruction: 40}
				recs := spillRecords("k", n, 8, 5, meta)
				batches := [][]query.Record{recs[:n/3], recs[n/3 : 2*n/3], recs[2*n/3:]}
				if err := buildStaged(t, db, "plain", query.OrderNone, cfg, batches); err != nil {
					t.Fatalf("Get before Commit without an order: %v", err)
				}
				if err := buildStaged(t, db, "rcm", query.OrderRCM, cfg, batches); !errors.Is(err, query.ErrKeyNotFound) {
					t.Fatalf("Get before Commit in a spilled stage: %v, want ErrKeyNotFound", err)
				}
				queries := clustered(98, 10, 8)
				got, want := takeSnapshot(t, db, "rcm", queries), takeSnapshot(t, db, "plain", queries)
				if len(got.Records) != n {
					t.Fatalf("%d records, want %d", len(got.Records), n)
				}
				compareSnapshots(t, "rcm", got, want)
				for _, r := range recs { // against the input, not only the other build
					if g := got.Records[r.Key]; !reflect.DeepEqual(g.Vector, r.Vector) || string(g.Metadata) != string(r.Metadata) {
						t.Fatalf("record %q = %v %s, want %v %s", r.Key, g.Vector, g.Metadata, r.Vector, r.Metadata)
					}
				}
				if err := db.Check(ctx); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestStageSpillFallback: a spilled stage that receives what it cannot
// spill (a replaced key, a delete, metadata alone, a text) writes its
// records and goes on without spilling; the result equals the same
// writes into a stage without an order.
func TestStageSpillFallback(t *testing.T) {
	db, _ := openTemp(t)
	cfg := query.CollectionConfig{Dim: 8, Metric: query.Cosine, M: 8, EfConstruction: 40}
	recs := spillRecords("k", 900, 8, 6, true)
	more := spillRecords("m", 300, 8, 7, false)
	replaced := []query.Record{{Key: recs[3].Key, Vector: recs[10].Vector, Metadata: json.RawMessage(`{"year":1}`)}, more[0]}
	text := []query.Record{{Key: "doc", Vector: recs[20].Vector, Text: "red river stone"}}
	for _, x := range []struct{ name, order string }{{"plain", query.OrderNone}, {"rcm", query.OrderRCM}} {
		s, err := db.Stage(ctx, x.name, cfg, query.StageOptions{Order: x.order})
		if err != nil {
			t.Fatal(err)
		}
		c := s.Collection()
		steps := []func() error{
			func() error { return c.UpsertBatch(ctx, recs[:600], query.BatchOptions{Workers: 1}) },
			func() error { return c.UpsertBatch(ctx, replaced, query.BatchOptions{Workers: 1}) },
			func() error { _, err := c.Delete(ctx, recs[5].Key, recs[6].Key); return err },
			func() error { return c.SetMetadata(ctx, recs[7].Key, json.RawMessage(`{"tag":"x"}`)) },
			func() error { return c.UpsertBatch(ctx, recs[600:], query.BatchOptions{Workers: 1}) },
			func() error { return c.UpsertBatch(ctx, text, query.BatchOptions{Workers: 1}) },
			func() error { return c.UpsertBatch(ctx, more[1:], query.BatchOptions{Workers: 1}) },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatalf("%s: step %d: %v", x.name, i, err)
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	queries := clustered(99, 10, 8)
	got, want := takeSnapshot(t, db, "rcm", queries), takeSnapshot(t, db, "plain", queries)
	if len(want.Records) != 900+300+1-2 {
		t.Fatalf("plain build has %d records", len(want.Records))
	}
	compareSnapshots(t, "rcm", got, want)
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestStageSpillEachWriteFallsBack: each kind of write that a spilled
// stage cannot take, alone after a spilled batch, leaves the records of
// both the batch and the write.
func TestStageSpillEachWriteFallsBack(t *testing.T) {
	cfg := query.CollectionConfig{Dim: 8, Metric: query.L2, M: 8, EfConstruction: 40}
	recs := spillRecords("k", 300, 8, 8, true)
	for _, x := range []struct {
		name  string
		write func(c *query.Collection) error
		check func(c *query.Collection) error
	}{
		{"replace", func(c *query.Collection) error {
			return c.Upsert(ctx, recs[1].Key, recs[2].Vector, nil)
		}, func(c *query.Collection) error {
			r, err := c.Get(ctx, recs[1].Key)
			if err == nil && (!reflect.DeepEqual(r.Vector, recs[2].Vector) || string(r.Metadata) != string(recs[1].Metadata)) {
				err = fmt.Errorf("replaced record %v %s", r.Vector, r.Metadata)
			}
			return err
		}},
		{"delete", func(c *query.Collection) error {
			_, err := c.Delete(ctx, recs[1].Key)
			return err
		}, func(c *query.Collection) error {
			if _, err := c.Get(ctx, recs[1].Key); !errors.Is(err, query.ErrKeyNotFound) {
				return fmt.Errorf("deleted record: %v", err)
			}
			return nil
		}},
		{"metadata", func(c *query.Collection) error {
			return c.SetMetadata(ctx, recs[1].Key, json.RawMessage(`{"a":1}`))
		}, func(c *query.Collection) error {
			r, err := c.Get(ctx, recs[1].Key)
			if err == nil && string(r.Metadata) != `{"a":1}` {
				err = fmt.Errorf("metadata %s", r.Metadata)
			}
			return err
		}},
	} {
		t.Run(x.name, func(t *testing.T) {
			db, _ := openTemp(t)
			s, err := db.Stage(ctx, "c", cfg, query.StageOptions{Order: query.OrderBFS})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Collection().UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := x.write(s.Collection()); err != nil {
				t.Fatal(err)
			}
			if err := x.check(s.Collection()); err != nil { // the records are in the file now
				t.Fatalf("before Commit: %v", err)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			c, err := db.Collection(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			if err := x.check(c); err != nil {
				t.Fatal(err)
			}
			r, err := c.Get(ctx, recs[0].Key)
			if err != nil || !reflect.DeepEqual(r.Vector, recs[0].Vector) || string(r.Metadata) != string(recs[0].Metadata) {
				t.Fatalf("record %q: %v %s, %v", recs[0].Key, r.Vector, r.Metadata, err)
			}
			if err := db.Check(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStageSpillDiskFull: a spilled build whose Commit runs out of disk
// space (its batches wrote almost nothing: l2, no metadata) fails with
// ENOSPC, and the database stays as it was: no new collection, the old
// one intact, Check passes, before and after reopening.
func TestStageSpillDiskFull(t *testing.T) {
	const dim = 32
	cfg := query.CollectionConfig{Dim: dim, Metric: query.L2, M: 8, EfConstruction: 16, Seed: 1}
	old := spillRecords("old", 200, dim, 1, true)
	db, path := fullDiskDB(t, cfg, old)
	s, err := db.Stage(ctx, "fresh", cfg, query.StageOptions{Order: query.OrderRCM})
	if err != nil {
		t.Fatal(err)
	}
	recs := spillRecords("new", 12000, dim, 2, false) // 1.5 MiB of vectors, plus nodes and records
	for i := 0; i < len(recs); i += 3000 {
		if err := s.Collection().UpsertBatch(ctx, recs[i:i+3000], query.BatchOptions{}); err != nil {
			t.Fatalf("batch at %d: %v", i, err)
		}
	}
	err = s.Commit(ctx)
	if err == nil || !strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
		t.Fatalf("Commit of a spilled build on a full disk: %v, want ENOSPC", err)
	}
	checkStageFailed(t, db, path, old)
}

// TestStageDefaultOrder pins OrderAuto at a bulk build: a float32 or
// int8 collection that starts empty spills (and so will be renumbered
// from MinReorderLen records); fp16 and a copy of existing records do
// not. A spilled stage is seen from outside by its records being absent
// from the file until Commit.
func TestStageDefaultOrder(t *testing.T) {
	recs := spillRecords("k", 300, 8, 3, false)
	for _, x := range []struct {
		name    string
		cfg     query.CollectionConfig
		copy    bool
		spilled bool
	}{
		{"float32", query.CollectionConfig{Dim: 8, Metric: query.L2}, false, true},
		{"float32 cosine", query.CollectionConfig{Dim: 8, Metric: query.Cosine}, false, true},
		{"copy of records", query.CollectionConfig{Dim: 8, Metric: query.L2}, true, false},
		{"int8", query.CollectionConfig{Dim: 8, Metric: query.L2, Quantize: "int8"}, false, true},
		{"fp16", query.CollectionConfig{Dim: 8, Metric: query.L2, Quantize: "fp16"}, false, false},
	} {
		t.Run(x.name, func(t *testing.T) {
			db, _ := openTemp(t)
			if x.copy {
				c, err := db.CreateCollection(ctx, "c", x.cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Upsert(ctx, "old", recs[0].Vector, nil); err != nil {
					t.Fatal(err)
				}
			}
			s, err := db.Stage(ctx, "c", x.cfg, query.StageOptions{Copy: x.copy})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Collection().UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
				t.Fatal(err)
			}
			_, err = s.Collection().Get(ctx, recs[0].Key)
			if spilled := errors.Is(err, query.ErrKeyNotFound); spilled != x.spilled || !spilled && err != nil {
				t.Fatalf("Get before Commit: %v (want spilled %v)", err, x.spilled)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			c, err := db.Collection(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			if r, err := c.Get(ctx, recs[0].Key); err != nil || !reflect.DeepEqual(r.Vector, recs[0].Vector) {
				t.Fatalf("after Commit: %v, %v", r.Vector, err)
			}
			if err := db.Check(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
