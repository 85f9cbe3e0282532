package main

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

// writeGloVe writes n synthetic words of dimension dim as gzipped GloVe text.
func writeGloVe(t *testing.T, dir string, n, dim int) (string, *bench.Matrix) {
	t.Helper()
	m, err := bench.Synthetic(bench.SynthOptions{N: n, Dim: dim, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "words.txt.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	for i := 0; i < n; i++ {
		fmt.Fprintf(zw, "w%d", i)
		for _, v := range m.Row(i) {
			fmt.Fprintf(zw, " %g", v)
		}
		fmt.Fprintln(zw)
	}
	zw.Close()
	f.Close()
	return p, m
}

func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	in, m := writeGloVe(t, dir, 300, 8)
	out := filepath.Join(dir, "out")
	if err := run(in, out, "", 30, 42, 10, "cosine", 0); err != nil {
		t.Fatal(err)
	}
	base, err := bench.ReadFvecs(filepath.Join(out, "base.fvecs"))
	if err != nil {
		t.Fatal(err)
	}
	queries, _ := bench.ReadFvecs(filepath.Join(out, "queries.fvecs"))
	truth, err := bench.ReadIvecs(filepath.Join(out, "truth.ivecs"))
	if err != nil {
		t.Fatal(err)
	}
	if base.Rows != 270 || queries.Rows != 30 || truth.Rows != 30 || truth.Dim != 10 || base.Dim != 8 {
		t.Fatalf("shapes: base %d, queries %d, truth %d×%d", base.Rows, queries.Rows, truth.Rows, truth.Dim)
	}
	// The split is bench.HoldOut's with the same seed, and the keys follow it.
	split, _ := bench.HoldOut(m, 30, 42)
	if !slices.Equal(base.Data, split.Base.Data) || !slices.Equal(queries.Data, split.Queries.Data) {
		t.Fatal("written split differs from bench.HoldOut")
	}
	keys, _ := os.ReadFile(filepath.Join(out, "queries.keys"))
	lines := strings.Split(strings.TrimSpace(string(keys)), "\n")
	if len(lines) != 30 || lines[0] != fmt.Sprintf("w%d", split.QueryIdx[0]) {
		t.Fatalf("queries.keys starts %q, want w%d", lines[0], split.QueryIdx[0])
	}
	want, _ := bench.GroundTruth(t.Context(), split.Base, split.Queries, bench.Cosine, 10, 1)
	if !slices.Equal(truth.Data, want.IDs.Data) {
		t.Fatal("truth differs from bench.GroundTruth")
	}
	if _, err := os.Stat(filepath.Join(out, "meta.json")); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("a 1 2\nb 3 x\n"), 0o644)
	if err := run(bad, filepath.Join(dir, "o"), "", 1, 1, 1, "cosine", 0); err == nil || !strings.Contains(err.Error(), "bad.txt") {
		t.Errorf("malformed line: %v", err)
	}
	in, _ := writeGloVe(t, dir, 20, 4)
	if err := run(in, filepath.Join(dir, "o"), "", 1, 1, 1, "hamming", 0); err == nil {
		t.Error("unknown metric accepted")
	}
	if err := run(in, filepath.Join(dir, "o"), "", 20, 1, 1, "cosine", 0); err == nil {
		t.Error("holding out every row accepted")
	}
}

func TestPrepareSynthetic(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	if err := run("synthetic:300,8", out, "", 20, 5, 10, "l2", 0); err != nil {
		t.Fatal(err)
	}
	base, err := bench.ReadFvecs(filepath.Join(out, "base.fvecs"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := bench.Synthetic(bench.SynthOptions{N: 320, Dim: 8, Seed: 5})
	split, _ := bench.HoldOut(m, 20, 5)
	if !slices.Equal(base.Data, split.Base.Data) {
		t.Fatal("synthetic base differs from bench.Synthetic + HoldOut")
	}
	meta, _ := os.ReadFile(filepath.Join(out, "meta.json"))
	if !strings.Contains(string(meta), `"dataset": "synthetic-300x8-seed5"`) || !strings.Contains(string(meta), `"metric": "l2"`) {
		t.Errorf("meta.json: %s", meta)
	}
	if _, err := os.Stat(filepath.Join(out, "base.keys")); err == nil {
		t.Error("synthetic data has no keys, but base.keys was written")
	}
	if err := run("synthetic:300", out, "", 20, 5, 10, "l2", 0); err == nil {
		t.Error("-synthetic without DIM accepted")
	}
}
