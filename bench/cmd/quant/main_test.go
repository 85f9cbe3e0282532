package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/index"
)

// fixture writes what bench/cmd/prepare writes, from synthetic data.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	m, err := bench.Synthetic(bench.SynthOptions{N: 1040, Dim: 16, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	s, err := bench.HoldOut(m, 40, 42)
	if err != nil {
		t.Fatal(err)
	}
	for name, mat := range map[string]*bench.Matrix{"base.fvecs": s.Base, "queries.fvecs": s.Queries} {
		if err := bench.WriteFvecs(filepath.Join(dir, name), mat); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := bench.CachedGroundTruth(t.Context(), filepath.Join(dir, "truth.ivecs"), s.Base, s.Queries, bench.L2, 20, 0); err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(map[string]any{"dataset": "synthetic", "metric": "l2"})
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestParseVariant(t *testing.T) {
	for _, tc := range []struct {
		in, name string
		enc      string
		order    index.Order
		reorder  bool
		over     float64
	}{
		{"none", "fp32", "none", index.OrderNone, false, 0},
		{"none/none", "fp32 order=none", "none", index.OrderNone, true, 0},
		{"fp32/bfs", "fp32 order=bfs", "none", index.OrderBFS, true, 0},
		{"int8/rcm@3", "int8 order=rcm oversample=3", "int8", index.OrderRCM, true, 3},
		{"fp16@1", "fp16 oversample=1", "fp16", index.OrderNone, false, 1},
		{"int8/gorder", "int8 order=gorder", "int8", index.OrderGorder, true, 0},
	} {
		v, err := parseVariant(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if v.enc != tc.enc || v.order != tc.order || v.reorder != tc.reorder || v.oversample != tc.over || v.name() != tc.name {
			t.Errorf("%s: got %+v named %q", tc.in, v, v.name())
		}
	}
	for _, bad := range []string{"int4", "int8/random", "int8@0.5", "int8@x", "fp16/bfs@"} {
		if _, err := parseVariant(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRunVariants(t *testing.T) {
	dir := fixture(t)
	out := filepath.Join(t.TempDir(), "r.json")
	c := config{data: dir, out: out, variants: "none,none/bfs,fp16@1,int8/rcm", insert: "shuffle", seed: 3, efs: "32,64",
		m: 8, efc: 64, threads: 2, runs: 2, k: 10, commit: "test"}
	if err := run(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	d, err := bench.ReadResultFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) != 8 || d.Machine.VecboltCommit != "test" {
		t.Fatalf("%d rows, commit %q", len(d.Rows), d.Machine.VecboltCommit)
	}
	recall := map[string]float64{}
	for _, r := range d.Rows {
		// 1,000 points at ef >= 32: near exact, whatever the variant.
		if r.System != "vecbolt-index" || r.N != 1000 || r.Queries != 40 || r.Recall < 0.9 || !(r.QPSSingle > 0) || r.Runs != 2 {
			t.Errorf("row %+v", r)
		}
		if !strings.HasSuffix(r.Config, " insert=shuffle(3)") {
			t.Errorf("config %q does not name the insertion order", r.Config)
		}
		recall[r.Config+"|"+string(rune('0'+r.Ef/32))] = r.Recall
	}
	// A reordered graph is the same graph: the same recall.
	for _, ef := range []string{"1", "2"} {
		if a, b := recall["fp32 insert=shuffle(3)|"+ef], recall["fp32 order=bfs insert=shuffle(3)|"+ef]; a != b {
			t.Errorf("ef %s×32: recall %.4f file order, %.4f BFS order", ef, a, b)
		}
	}
	for _, bad := range []config{
		{data: dir, variants: "int4", efs: "10", insert: "file", runs: 1, k: 10, m: 8, efc: 16},
		{data: dir, variants: "none", efs: "10,x", insert: "file", runs: 1, k: 10, m: 8, efc: 16},
		{data: dir, variants: "none", efs: "10", insert: "sorted", runs: 1, k: 10, m: 8, efc: 16},
		{data: t.TempDir(), variants: "none", efs: "10", insert: "file", runs: 1, k: 10, m: 8, efc: 16},
	} {
		if err := run(t.Context(), bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

func TestBestOf(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rows ...bench.Row) string {
		p := filepath.Join(dir, name)
		if err := bench.NewDocument(bench.Machine{}, rows...).WriteFile(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.json", bench.Row{System: "hnswlib", Ef: 10, Recall: 0.9, QPSSingle: 100, P50Micros: 9, Runs: 3, BuildSeconds: 5},
		bench.Row{System: "hnswlib", Ef: 20, Recall: 0.95, QPSSingle: 50, Runs: 3, BuildSeconds: 5})
	b := write("b.json", bench.Row{System: "hnswlib", Ef: 10, Recall: 0.9, QPSSingle: 120, P50Micros: 8, Runs: 3},
		bench.Row{System: "hnswlib", Ef: 20, Recall: 0.95, QPSSingle: 40, Runs: 3})
	out := filepath.Join(dir, "best.json")
	if err := bestOf([]string{a, b}, out); err != nil {
		t.Fatal(err)
	}
	d, err := bench.ReadResultFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r := d.Rows[0]; r.QPSSingle != 120 || r.P50Micros != 8 || r.Runs != 6 || r.BuildSeconds != 5 {
		t.Errorf("ef 10: %+v, want the second file's speed and the first's build", r)
	}
	if r := d.Rows[1]; r.QPSSingle != 50 {
		t.Errorf("ef 20: QPS %v, want the first file's 50", r.QPSSingle)
	}
	other := write("c.json", bench.Row{System: "hnswlib", Ef: 10, Recall: 0.8, QPSSingle: 1})
	if err := bestOf([]string{a, other}, out); err == nil || !strings.Contains(err.Error(), "not the same index") {
		t.Errorf("different recall: %v", err)
	}
	missing := write("d.json", bench.Row{System: "hnswlib", Ef: 30, Recall: 0.8, QPSSingle: 1})
	if err := bestOf([]string{a, missing}, out); err == nil {
		t.Error("a curve missing from the first file was accepted")
	}
	if err := bestOf(nil, out); err == nil {
		t.Error("no files accepted")
	}
}
