package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

// fixture writes what bench/cmd/prepare writes, from synthetic data.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	m, _ := bench.Synthetic(bench.SynthOptions{N: 600, Dim: 16, Seed: 2})
	s, _ := bench.HoldOut(m, 40, 42)
	bench.WriteFvecs(filepath.Join(dir, "base.fvecs"), s.Base)
	bench.WriteFvecs(filepath.Join(dir, "queries.fvecs"), s.Queries)
	if _, _, err := bench.CachedGroundTruth(t.Context(), filepath.Join(dir, "truth.ivecs"), s.Base, s.Queries, bench.Cosine, 20, 0); err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(map[string]any{"dataset": "synthetic", "metric": "cosine"})
	os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644)
	return dir
}

func TestRunSystems(t *testing.T) {
	dir := fixture(t)
	for _, tc := range []struct {
		system    string
		minRecall float64
	}{
		{"bruteforce", 1},
		{"vecbolt-index", 0.9}, // HNSW on 560 points at ef >= 32: near exact
		{"vecbolt", 0.9},
	} {
		t.Run(tc.system, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			if err := run(dir, tc.system, out, 10, "32,64", 8, 64, 2, 2, 1, "test"); err != nil {
				t.Fatal(err)
			}
			d, err := bench.ReadResultFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Rows) != 2 || d.Machine.VecboltCommit != "test" {
				t.Fatalf("doc %+v", d)
			}
			for _, r := range d.Rows {
				if r.System != tc.system || r.Dataset != "synthetic" || r.N != 560 || r.Queries != 40 || r.Recall < tc.minRecall {
					t.Errorf("row %+v", r)
				}
			}
		})
	}
	if err := run(dir, "nope", "", 10, "10", 8, 64, 1, 1, 1, ""); err == nil {
		t.Error("unknown system accepted")
	}
	if err := run(dir, "bruteforce", "", 10, "10,x", 8, 64, 1, 1, 1, ""); err == nil {
		t.Error("bad ef list accepted")
	}
}
