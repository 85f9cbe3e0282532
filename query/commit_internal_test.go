package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// groupFixture opens a durable database with an L2 collection of n records
// r0..r<n-1>.
func groupFixture(t *testing.T, n int) (*DB, *Collection, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "group.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := db.CreateCollection(context.Background(), "g", CollectionConfig{Dim: 4, Metric: L2, M: 8, EfConstruction: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Key: fmt.Sprintf("r%d", i), Vector: groupVec(i)}
	}
	if err := c.UpsertBatch(context.Background(), recs, BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return db, c, path
}

func groupVec(i int) []float32 {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	return []float32{float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())}
}

// queued returns the number of writes waiting in c's queue.
func queued(c *Collection) int {
	c.commits.mu.Lock()
	defer c.commits.mu.Unlock()
	return len(c.commits.queue)
}

// inGroup runs the writes in fns concurrently while the writer lock is
// held, each started only after the previous one has queued, so that they
// queue in the order given and then commit as one group. It returns their
// errors in order.
func inGroup(t *testing.T, c *Collection, fns ...func() error) []error {
	t.Helper()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	c.wmu.Lock()
	for i, fn := range fns {
		before := queued(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
		deadline := time.Now().Add(10 * time.Second)
		for queued(c) == before {
			if time.Now().After(deadline) {
				c.wmu.Unlock()
				t.Fatalf("write %d never queued", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	c.wmu.Unlock()
	wg.Wait()
	return errs
}

// TestGroupCommitOneTransaction: writes queued together commit in one
// transaction, in queue order (a later write sees an earlier one of the
// same group), and a write that fails on its own input fails alone.
func TestGroupCommitOneTransaction(t *testing.T) {
	bg := context.Background()
	db, c, path := groupFixture(t, 40)
	tx0 := c.WriteStats().Commits
	var removed int
	errs := inGroup(t, c,
		func() error { return c.Upsert(bg, "new1", groupVec(100), json.RawMessage(`{"a": 1}`)) },
		func() error { return c.SetMetadata(bg, "new1", json.RawMessage(`{"a": 2}`)) }, // sees new1
		func() error { return c.Upsert(bg, "r1", groupVec(101), nil) },                 // update
		func() error { _, err := c.Delete(bg, "r2", "nope"); return err },              // fails alone
		func() error { n, err := c.Delete(bg, "r3"); removed = n; return err },
		func() error { return c.Upsert(bg, "new2", groupVec(102), nil) },       // may reuse r3's slot
		func() error { _, err := c.Delete(bg, "new2"); return err },            // deletes what the group inserted
		func() error { return c.SetMetadata(bg, "r3", json.RawMessage(`{}`)) }, // r3 is gone: fails alone
		func() error { return c.Upsert(bg, "r3", groupVec(103), json.RawMessage(`{"back": true}`)) },
	)
	var ke *KeyError
	for i, err := range errs {
		switch i {
		case 3:
			if !errors.As(err, &ke) || ke.Key != "nope" {
				t.Errorf("write %d: %v, want a KeyError for nope", i, err)
			}
		case 7:
			if !errors.As(err, &ke) || ke.Key != "r3" {
				t.Errorf("write %d: %v, want a KeyError for r3", i, err)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	if got := c.WriteStats().Commits - tx0; got != 1 {
		t.Errorf("9 queued writes took %d commits, want 1", got)
	}
	if removed != 1 {
		t.Errorf("Delete(r3) = %d", removed)
	}
	want := map[string]string{"new1": `{"a": 2}`, "r1": ``, "r2": ``, "r3": `{"back": true}`}
	for k, m := range want {
		r, err := c.Get(bg, k)
		if err != nil || string(r.Metadata) != m {
			t.Errorf("%s: %s, %v; want metadata %q", k, r.Metadata, err, m)
		}
	}
	if c.Has("new2") || c.Len() != 41 {
		t.Errorf("new2 present %t, Len %d, want false, 41", c.Has("new2"), c.Len())
	}
	if err := c.Check(bg); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db2.Check(bg); err != nil {
		t.Fatal(err)
	}
	c2, err := db2.Collection(bg, "g")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c2.Get(bg, "r1"); err != nil || !sameBits(r.Vector, groupVec(101)) {
		t.Errorf("reopened r1: %v, %v", r.Vector, err)
	}
	if c2.Len() != 41 {
		t.Errorf("reopened: %d records", c2.Len())
	}
}

// TestGroupCommitFailureFailsTheGroup: when a group's commit fails, every
// write in it fails and none is visible afterwards, in memory or in the
// file; writes committed before stay, and later writes work.
func TestGroupCommitFailureFailsTheGroup(t *testing.T) {
	bg := context.Background()
	db, c, path := groupFixture(t, 30)
	if err := c.Upsert(bg, "before", groupVec(200), nil); err != nil {
		t.Fatal(err)
	}
	errIO := errors.New("injected I/O error")
	commitHook = func(n int) error {
		if n > 1 {
			return errIO
		}
		return nil
	}
	defer func() { commitHook = nil }()
	errs := inGroup(t, c,
		func() error { return c.Upsert(bg, "x1", groupVec(201), nil) },
		func() error { return c.Upsert(bg, "r4", groupVec(202), json.RawMessage(`{"u": 1}`)) },
		func() error { _, err := c.Delete(bg, "r5"); return err },
		func() error { return c.SetMetadata(bg, "r6", json.RawMessage(`{"m": 1}`)) },
		func() error {
			return c.UpsertBatch(bg, []Record{{Key: "x2", Vector: groupVec(203)}, {Key: "x3", Vector: groupVec(204)}}, BatchOptions{})
		},
	)
	for i, err := range errs {
		if !errors.Is(err, errIO) {
			t.Errorf("write %d of the failed group: %v, want the commit's error", i, err)
		}
	}
	commitHook = nil
	verify := func(c *Collection, when string) {
		t.Helper()
		for _, k := range []string{"x1", "x2", "x3"} {
			if c.Has(k) {
				t.Errorf("%s: %s of the failed group is visible", when, k)
			}
			if _, err := c.Get(bg, k); !errors.Is(err, ErrKeyNotFound) {
				t.Errorf("%s: Get(%s) = %v", when, k, err)
			}
		}
		if r, err := c.Get(bg, "r4"); err != nil || !sameBits(r.Vector, groupVec(4)) || r.Metadata != nil {
			t.Errorf("%s: r4 = %v %s, %v; want its committed vector", when, r.Vector, r.Metadata, err)
		}
		if r, err := c.Get(bg, "r6"); err != nil || r.Metadata != nil {
			t.Errorf("%s: r6 metadata %s, %v", when, r.Metadata, err)
		}
		if !c.Has("r5") || !c.Has("before") || c.Len() != 31 {
			t.Errorf("%s: r5 %t, before %t, Len %d; want true, true, 31", when, c.Has("r5"), c.Has("before"), c.Len())
		}
		res, err := c.Search(bg, groupVec(4), 1, SearchOptions{Exact: true})
		if err != nil || len(res) != 1 || res[0].Key != "r4" {
			t.Errorf("%s: exact search for r4's committed vector: %v, %v", when, res, err)
		}
		if err := c.Check(bg); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
	verify(c, "after the failed commit")
	if err := c.Upsert(bg, "after", groupVec(205), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	c2, err := db2.Collection(bg, "g")
	if err != nil {
		t.Fatal(err)
	}
	if !c2.Has("after") {
		t.Error("the write after the failed group is lost")
	}
	if _, err := c2.Delete(bg, "after"); err != nil {
		t.Fatal(err)
	}
	verify(c2, "reopened")
}

// TestGroupStageFailureIsolated: a write that fails half-way through its
// graph work (a batch cancelled while it builds) fails alone; the writes
// queued with it commit.
func TestGroupStageFailureIsolated(t *testing.T) {
	bg := context.Background()
	_, c, _ := groupFixture(t, 30)
	cctx, cancel := context.WithCancel(bg)
	defer cancel()
	big := make([]Record, 200)
	for i := range big {
		big[i] = Record{Key: fmt.Sprintf("b%d", i), Vector: groupVec(1000 + i)}
	}
	errs := inGroup(t, c,
		func() error { return c.Upsert(bg, "y1", groupVec(300), nil) },
		func() error {
			return c.UpsertBatch(cctx, big, BatchOptions{Workers: 1, Progress: func(int) { cancel() }})
		},
		func() error { _, err := c.Delete(bg, "r7"); return err },
		func() error { return c.SetMetadata(bg, "r8", json.RawMessage(`{"z": 1}`)) },
	)
	if !errors.Is(errs[1], context.Canceled) {
		t.Errorf("cancelled batch: %v", errs[1])
	}
	for _, i := range []int{0, 2, 3} {
		if errs[i] != nil {
			t.Errorf("write %d queued with the failed batch: %v", i, errs[i])
		}
	}
	if c.Has("b0") || c.Has("b199") || !c.Has("y1") || c.Has("r7") || c.Len() != 30 {
		t.Errorf("b0 %t b199 %t y1 %t r7 %t Len %d", c.Has("b0"), c.Has("b199"), c.Has("y1"), c.Has("r7"), c.Len())
	}
	if r, err := c.Get(bg, "r8"); err != nil || string(r.Metadata) != `{"z": 1}` {
		t.Errorf("r8: %s, %v", r.Metadata, err)
	}
	if err := c.Check(bg); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitInsertRun: single inserts queued together are linked in
// one AddBatch; a repeated key ends the run and is applied after it, as an
// update, so the last write wins.
func TestGroupCommitInsertRun(t *testing.T) {
	bg := context.Background()
	_, c, _ := groupFixture(t, 30)
	tx0 := c.WriteStats().Commits
	up := func(k string, v int, meta string) func() error {
		return func() error {
			var m json.RawMessage
			if meta != "" {
				m = json.RawMessage(meta)
			}
			return c.Upsert(bg, k, groupVec(v), m)
		}
	}
	errs := inGroup(t, c,
		up("a", 500, `{"v": 1}`), up("b", 501, ""), up("c", 502, ""),
		up("a", 503, ""), // repeated: ends the run, updates a
		func() error { return c.SetMetadata(bg, "b", json.RawMessage(`{"v": 2}`)) },
		up("d", 504, ""), up("e", 505, `{"v": 3}`),
	)
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got := c.WriteStats().Commits - tx0; got != 1 {
		t.Errorf("7 queued writes took %d commits", got)
	}
	for k, want := range map[string]struct {
		v    int
		meta string
	}{"a": {503, `{"v": 1}`}, "b": {501, `{"v": 2}`}, "c": {502, ""}, "d": {504, ""}, "e": {505, `{"v": 3}`}} {
		r, err := c.Get(bg, k)
		if err != nil || !sameBits(r.Vector, groupVec(want.v)) || string(r.Metadata) != want.meta {
			t.Errorf("%s = %v %s, %v; want vector %d, metadata %q", k, r.Vector, r.Metadata, err, want.v, want.meta)
		}
		res, err := c.Search(bg, groupVec(want.v), 1, SearchOptions{Ef: 100})
		if err != nil || len(res) != 1 || res[0].Key != k {
			t.Errorf("search for %s's vector: %v, %v", k, res, err)
		}
	}
	if c.Len() != 35 {
		t.Errorf("Len %d, want 35", c.Len())
	}
	if err := c.Check(bg); err != nil {
		t.Fatal(err)
	}
}
