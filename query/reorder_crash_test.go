package query_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// reorderCrashEnv selects the child mode of the test binary for
// TestReorderSurvivesSIGKILL: the database path.
const reorderCrashEnv = "VECBOLT_REORDER_CRASH"

// TestReorderCrashChild is not a test: it is the child process of
// TestReorderSurvivesSIGKILL. It renumbers collection "c" in Gorder.
func TestReorderCrashChild(t *testing.T) {
	runCrashChildDB(t, reorderCrashEnv, func(db *query.DB) error {
		_, err := db.Reorder(ctx, "c", query.OrderGorder)
		return err
	})
}

// TestReorderSurvivesSIGKILL kills a child at random moments of a
// renumbering (staged copy, reorder, renumbered copy, swap): afterwards
// the file opens, passes Check, lists one collection, and answers every
// record, search and keyword search as before (old ids or new, never a
// mix: a mix would fail Check or the searches).
func TestReorderSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGKILL trials are long; run without -short")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.db")
	queries := clustered(77, 10, 16)
	var want snapshot
	{
		db, err := query.Open(base, query.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 16, Metric: query.L2, M: 8, EfConstruction: 40})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.UpsertBatch(ctx, reorderRecords(3000, 16, 7), query.BatchOptions{}); err != nil {
			t.Fatal(err)
		}
		want = takeSnapshot(t, db, "c", queries)
		db.Close()
	}
	baseBytes, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	trials := newKillTrials(t, "TestReorderCrashChild", reorderCrashEnv, rand.New(rand.NewPCG(13, 13)))
	for trial := 0; trial < 10; trial++ {
		path := filepath.Join(dir, fmt.Sprintf("r-%d.db", trial))
		if err := os.WriteFile(path, baseBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		done := trials.Run(path)
		db, err := query.Open(path, query.Options{}) // read-write: drops leftover stages
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Check(ctx); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if names, _ := db.Collections(); len(names) != 1 || names[0] != "c" {
			t.Fatalf("trial %d: collections %q", trial, names)
		}
		compareSnapshots(t, fmt.Sprintf("trial %d (done %t)", trial, done), takeSnapshot(t, db, "c", queries), want)
		db.Close()
	}
	t.Logf("%d of 10 runs completed, full run %v", trials.Completed, trials.Full())
}
