package query

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// stageDeferRecords returns n records with keys prefix0.. and the vectors
// groupVec(from..).
func stageDeferRecords(prefix string, from, n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Key: fmt.Sprintf("%s%d", prefix, i), Vector: groupVec(from + i)}
	}
	return recs
}

// TestStageDefersGraph: a staged load writes no graph node until Commit,
// which writes them all; the reopened file holds the same graph (every
// record found by its own vector, Check passes), and writes after the
// commit persist their nodes again.
func TestStageDefersGraph(t *testing.T) {
	bg := context.Background()
	// Write the graph 64 ids to a transaction: many transactions, and
	// blocks written in parts.
	defer func(old int) { graphWriteShift = old }(graphWriteShift)
	graphWriteShift = 6
	for _, copyOld := range []bool{false, true} {
		t.Run(fmt.Sprintf("copy=%t", copyOld), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "defer.db")
			db, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { db.Close() }()
			cfg := CollectionConfig{Dim: 4, Metric: L2, M: 8, EfConstruction: 32, Seed: 1}
			var want []Record
			if copyOld {
				c, err := db.CreateCollection(bg, "c", cfg)
				if err != nil {
					t.Fatal(err)
				}
				want = stageDeferRecords("old", 0, 500)
				if err := c.UpsertBatch(bg, want, BatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			s, err := db.Stage(bg, "c", cfg, StageOptions{Copy: true})
			if err != nil {
				t.Fatal(err)
			}
			nodesBefore := stagedNodeCount(t, db, s.hidden)
			for b := 0; b < 3; b++ {
				batch := stageDeferRecords(fmt.Sprintf("b%d-", b), 10000*(b+1), 1500) // 1,500 >= bulk threshold
				if err := s.Collection().UpsertBatch(bg, batch, BatchOptions{}); err != nil {
					t.Fatal(err)
				}
				want = append(want, batch...)
			}
			if _, err := s.Collection().Delete(bg, "b0-7"); err != nil {
				t.Fatal(err)
			}
			want = slices.DeleteFunc(want, func(r Record) bool { return r.Key == "b0-7" })
			if got := stagedNodeCount(t, db, s.hidden); got != nodesBefore {
				t.Errorf("the staged batches wrote graph nodes: %d stored, %d before", got, nodesBefore)
			}
			if err := s.Commit(bg); err != nil {
				t.Fatal(err)
			}
			if got := stagedNodeCount(t, db, "c"); got != len(want) {
				t.Errorf("after Commit: %d nodes stored, want %d", got, len(want))
			}
			c, err := db.Collection(bg, "c")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Upsert(bg, "late", groupVec(99999), nil); err != nil {
				t.Fatal(err)
			}
			want = append(want, Record{Key: "late", Vector: groupVec(99999)})
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if db, err = Open(path, Options{}); err != nil {
				t.Fatal(err)
			}
			if err := db.Check(bg); err != nil {
				t.Fatal(err)
			}
			c, err = db.Collection(bg, "c")
			if err != nil {
				t.Fatal(err)
			}
			if c.Len() != len(want) {
				t.Fatalf("reopened: %d records, want %d", c.Len(), len(want))
			}
			missed := 0
			for _, r := range want {
				res, err := c.Search(bg, r.Vector, 1, SearchOptions{Ef: 64})
				if err != nil {
					t.Fatal(err)
				}
				if len(res) == 0 || res[0].Key != r.Key {
					missed++
				}
			}
			if missed > len(want)/100 {
				t.Errorf("reopened: %d of %d records not found by their own vector", missed, len(want))
			}
		})
	}
}

// stagedNodeCount counts the graph nodes stored for collection name.
func stagedNodeCount(t *testing.T, db *DB, name string) int {
	t.Helper()
	n := 0
	if err := db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(name)
		if err != nil {
			return err
		}
		return sc.ForEachNode(func(uint32, []byte) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStageFailedWriteEndsStage: a staged write whose commit fails ends
// the stage (the file cannot restore a graph it does not hold): the write
// returns the error, later writes fail, Commit fails and drops the stage,
// and the target is as it was.
func TestStageFailedWriteEndsStage(t *testing.T) {
	bg := context.Background()
	db, c, _ := groupFixture(t, 30)
	s, err := db.Stage(bg, "g", c.Config(), StageOptions{Copy: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Collection().UpsertBatch(bg, stageDeferRecords("a", 100, 50), BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	errIO := errors.New("injected I/O error")
	commitHook = func(int) error { return errIO }
	err = s.Collection().UpsertBatch(bg, stageDeferRecords("b", 200, 50), BatchOptions{})
	commitHook = nil
	if !errors.Is(err, errIO) {
		t.Fatalf("failed staged write: %v, want the commit's error", err)
	}
	if err := s.Collection().Upsert(bg, "c0", groupVec(300), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("write after the failure: %v, want ErrClosed", err)
	}
	if err := s.Commit(bg); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after the failure: %v, want ErrClosed", err)
	}
	names, err := db.Collections()
	if err != nil || !slices.Equal(names, []string{"g"}) {
		t.Errorf("collections after the failed stage: %q, %v", names, err)
	}
	if c.Len() != 30 || c.Has("a0") {
		t.Errorf("target after the failed stage: %d records, a0 %t", c.Len(), c.Has("a0"))
	}
	if err := db.Check(bg); err != nil {
		t.Fatal(err)
	}
}
