package query_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// quantCrashEnv selects the child mode of the test binary for
// TestQuantizeSurvivesSIGKILL: the database path.
const quantCrashEnv = "VECBOLT_QUANT_CRASH"

// TestQuantizeCrashChild is not a test: it is the child process of
// TestQuantizeSurvivesSIGKILL. It quantizes collection "c" to int8.
func TestQuantizeCrashChild(t *testing.T) {
	runCrashChildDB(t, quantCrashEnv, func(db *query.DB) error { return db.Quantize(ctx, "c", "int8") })
}

// TestQuantizeSurvivesSIGKILL kills a child at random moments of a
// Quantize of a float32 collection to int8: afterwards the file opens,
// passes Check, and the collection is either fully float32 or fully int8
// with trained parameters, with every record.
func TestQuantizeSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGKILL trials are long; run without -short")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.db")
	vecs := clustered(12, 3000, 16)
	{
		db, err := query.Open(base, query.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 16, Metric: query.L2, M: 8, EfConstruction: 40})
		if err != nil {
			t.Fatal(err)
		}
		fill(t, c, vecs)
		db.Close()
	}
	baseBytes, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	trials := newKillTrials(t, "TestQuantizeCrashChild", quantCrashEnv, rand.New(rand.NewPCG(11, 11)))
	seen := map[string]int{}
	for trial := 0; trial < 10; trial++ {
		path := filepath.Join(dir, fmt.Sprintf("q-%d.db", trial))
		if err := os.WriteFile(path, baseBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		done := trials.Run(path)
		db, err := query.Open(path, query.Options{}) // read-write: drops a leftover stage
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Check(ctx); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		c, err := db.Collection(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		info := c.Encoding()
		switch {
		case info.Encoding == "int8" && info.Params == "trained per-dimension":
		case info.Encoding == "none" && !done && c.Config().Quantize == "":
		default:
			t.Fatalf("trial %d (done %t): %+v, config %+v", trial, done, info, c.Config())
		}
		seen[info.Encoding]++
		if c.Len() != len(vecs) {
			t.Fatalf("trial %d: %d records, want %d", trial, c.Len(), len(vecs))
		}
		if names, _ := db.Collections(); len(names) != 1 {
			t.Fatalf("trial %d: collections %q", trial, names)
		}
		db.Close()
	}
	t.Logf("outcomes %v, full run %v", seen, trials.Full())
}
