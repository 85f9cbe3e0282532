package query_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// spillKillEnv selects the child mode of the test binary for
// TestStageSpillSurvivesSIGKILL: the database path.
const spillKillEnv = "VECBOLT_SPILL_KILL"

var spillKillCfg = query.CollectionConfig{Dim: 16, Metric: query.Cosine, M: 8, EfConstruction: 24}

// spillKillBatches is what the child imports into a new collection in
// RCM order: spilled batches (cosine, metadata on half), then a Commit
// that writes records, vectors, nodes, order and keys in many
// transactions.
func spillKillBatches() [][]query.Record {
	recs := spillRecords("s", 10000, 16, 21, true)
	var bs [][]query.Record
	for i := 0; i < len(recs); i += 1000 {
		bs = append(bs, recs[i:i+1000])
	}
	return bs
}

// spillKillMark is the line the child prints when the batches are in and
// Commit begins: half the kills are aimed after it.
const spillKillMark = "COMMIT"

// TestSpillKillChild is not a test: it is the child process of
// TestStageSpillSurvivesSIGKILL.
func TestSpillKillChild(t *testing.T) {
	runCrashChildDB(t, spillKillEnv, func(db *query.DB) error {
		s, err := db.Stage(ctx, "fresh", spillKillCfg, query.StageOptions{Order: query.OrderRCM})
		if err != nil {
			return err
		}
		for _, b := range spillKillBatches() {
			if err := s.Collection().UpsertBatch(ctx, b, query.BatchOptions{Workers: 1}); err != nil {
				return err
			}
		}
		fmt.Println(spillKillMark)
		return s.Commit(ctx)
	})
}

// TestStageSpillSurvivesSIGKILL kills a child at random moments of a
// spilled build of a new collection (batches, then the Commit that writes
// every record under its final id). Afterwards the file opens read-write
// (dropping a leftover stage), passes Check, and holds either no new
// collection or all of it, records bit for bit; the old collection is
// untouched. Half the kills are aimed inside Commit.
func TestStageSpillSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGKILL trials are long; run without -short")
	}
	old := stageCrashOld()
	var want []query.Record
	for _, b := range spillKillBatches() {
		want = append(want, b...)
	}
	dir := t.TempDir()
	baseBytes := stageCrashBase(t, old)
	trials := newKillTrials(t, "TestSpillKillChild", spillKillEnv, rand.New(rand.NewPCG(11, 11)))
	trials.Mark = spillKillMark
	for trial := 0; trial < 12; trial++ {
		path := filepath.Join(dir, fmt.Sprintf("spill-%d.db", trial))
		if err := os.WriteFile(path, baseBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		// The first trial runs to completion and times both phases; the
		// others are killed at a random moment: the even ones of the
		// batches, the odd ones of Commit.
		done := trials.RunPhase(path, trial%2)
		verifySpillKill(t, path, done, old, want)
	}
	t.Logf("%d killed (%d inside Commit), %d completed; build %v, commit %v", trials.Killed, trials.KilledAfterMark, trials.Completed, trials.MarkAt(), trials.Full()-trials.MarkAt())
}

func verifySpillKill(t *testing.T, path string, done bool, old, want []query.Record) {
	t.Helper()
	db, err := query.Open(path, query.Options{}) // read-write: drops a leftover stage
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if got := collectionKeys(t, db, "c"); !reflect.DeepEqual(got, keysOf(old)) {
		t.Fatalf("collection c has %d keys, want the old %d", len(got), len(old))
	}
	names, _ := db.Collections()
	if !reflect.DeepEqual(names, []string{"c", "fresh"}) {
		if done || !reflect.DeepEqual(names, []string{"c"}) {
			t.Fatalf("collections %q after a killed build (done %v)", names, done)
		}
		return
	}
	if got := collectionKeys(t, db, "fresh"); !reflect.DeepEqual(got, keysOf(want)) {
		t.Fatalf("fresh has %d keys in insertion order, want %d", len(got), len(want))
	}
	c, err := db.Collection(ctx, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		g, err := c.Get(ctx, r.Key)
		if err != nil || !reflect.DeepEqual(g.Vector, r.Vector) || string(g.Metadata) != string(r.Metadata) {
			t.Fatalf("record %q: %v %s, %v", r.Key, g.Vector, g.Metadata, err)
		}
	}
}
