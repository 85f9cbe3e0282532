package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/query"
)

// TestMain lets the test binary stand in for the vecbolt executable: 'vecbolt
// bench' re-executes itself for the open probe, and under 'go test' itself
// is this binary. With VECBOLT_TEST_AS_CLI=1 it runs the command line it was
// given instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("VECBOLT_TEST_AS_CLI") == "1" {
		os.Exit(execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// benchFixture writes a small synthetic split as fvecs: 2,000 base rows and
// 50 queries of dimension 16.
func benchFixture(t *testing.T) (dir, base, queries string) {
	t.Helper()
	dir = t.TempDir()
	m, err := bench.Synthetic(bench.SynthOptions{N: 2050, Dim: 16, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	s, err := bench.HoldOut(m, 50, 42)
	if err != nil {
		t.Fatal(err)
	}
	base, queries = filepath.Join(dir, "base.fvecs"), filepath.Join(dir, "queries.fvecs")
	if err := bench.WriteFvecs(base, s.Base); err != nil {
		t.Fatal(err)
	}
	if err := bench.WriteFvecs(queries, s.Queries); err != nil {
		t.Fatal(err)
	}
	return dir, base, queries
}

func TestBenchEndToEnd(t *testing.T) {
	t.Setenv("VECBOLT_TEST_AS_CLI", "1") // for the probe's child process
	dir, base, queries := benchFixture(t)
	jsonOut, csvOut := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.csv")
	stdout := ok(t, "bench", "--base", base, "--queries", queries, "--metric", "l2", "--m", "8", "--ef-construction", "32",
		"--ef", "16,64", "--runs", "1", "--threads", "2", "--search-threads", "2", "--inserts", "5",
		"--commit", "test-commit", "--work-dir", dir, "--out", jsonOut, "--out", csvOut)
	for _, want := range []string{"recall@10", "QPS", "p99 µs", "dist/query", "open + first query", "bytes/vector"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	// Without --truth, the truth is computed and cached beside the base.
	ids, dists, side := bench.TruthFiles(filepath.Join(dir, "base.truth-l2.ivecs"))
	for _, f := range []string{ids, dists, side} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("truth cache: %v", err)
		}
	}
	doc, err := bench.ReadResultFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Machine.Cores <= 0 || doc.Machine.VecboltCommit != "test-commit" || len(doc.Notes) == 0 {
		t.Errorf("machine %+v, notes %q", doc.Machine, doc.Notes)
	}
	if len(doc.Rows) != 2 {
		t.Fatalf("%d rows", len(doc.Rows))
	}
	for i, r := range doc.Rows {
		if r.System != "vecbolt" || r.Dataset != "base" || r.Metric != bench.L2 || r.N != 2000 || r.Dim != 16 || r.Queries != 50 ||
			r.K != 10 || r.M != 8 || r.EfConstruction != 32 || r.Ef != []int{16, 64}[i] || r.Threads != 2 || r.BuildThreads != 2 || r.Runs != 1 {
			t.Errorf("row %d descriptive fields: %+v", i, r)
		}
		if r.Recall < 0 || r.Recall > 1 {
			t.Errorf("row %d recall %v", i, r.Recall)
		}
		for name, v := range map[string]float64{"qps_single": r.QPSSingle, "qps_multi": r.QPSMulti, "p50": r.P50Micros,
			"build_seconds": r.BuildSeconds, "inserts_per_second": r.InsertsPerSecond, "import_seconds": r.ImportSeconds,
			"open_seconds": r.OpenSeconds, "distances": r.DistancesPerQuery, "bytes_per_vector": r.BytesPerVector,
			"rss_after_build": float64(r.RSSAfterBuild), "heap_after_build": float64(r.HeapAfterBuild),
			"rss_after_open": float64(r.RSSAfterOpen), "heap_after_open": float64(r.HeapAfterOpen), "file_bytes": float64(r.FileBytes)} {
			if !(v > 0) {
				t.Errorf("row %d: %s = %v, want > 0", i, name, v)
			}
		}
		if r.P50Micros > r.P95Micros || r.P95Micros > r.P99Micros {
			t.Errorf("row %d percentiles %v %v %v", i, r.P50Micros, r.P95Micros, r.P99Micros)
		}
	}
	// 2,000 clustered points at ef 64: close to exact (not a speed).
	if doc.Rows[1].Recall < 0.9 {
		t.Errorf("recall@10 at ef 64 = %.3f", doc.Rows[1].Recall)
	}
	f, err := os.Open(csvOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 3 || !slices.Equal(recs[0], bench.CSVHeader()) {
		t.Fatalf("csv: %v, %d lines, header %v", err, len(recs), recs[0])
	}
	// The work directory is cleaned up.
	if m, _ := filepath.Glob(filepath.Join(dir, "vecbolt-bench-*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}

	// The same files with the cached truth given explicitly, k=1.
	out := ok(t, "bench", "--base", base, "--queries", queries, "--truth", ids, "--metric", "l2", "--m", "4", "--ef-construction", "8",
		"--ef", "32", "-k", "1", "--runs", "1", "--inserts", "0", "--import=false", "--search-threads", "1", "--work-dir", dir)
	if !strings.Contains(out, "recall@1") {
		t.Errorf("k=1 table:\n%s", out)
	}
}

func TestBenchDatasetAndSynthetic(t *testing.T) {
	t.Setenv("VECBOLT_TEST_AS_CLI", "1")
	dir := t.TempDir()
	// A GloVe text file: word, then the components.
	m, _ := bench.Synthetic(bench.SynthOptions{N: 300, Dim: 8, Seed: 4})
	var b strings.Builder
	for i := 0; i < m.Rows; i++ {
		fmt.Fprintf(&b, "w%d", i)
		for _, x := range m.Row(i) {
			fmt.Fprintf(&b, " %g", x)
		}
		b.WriteByte('\n')
	}
	glove := writeFile(t, dir, "words.txt", []byte(b.String()))
	out := filepath.Join(dir, "g.json")
	ok(t, "bench", "--dataset", glove, "--holdout", "20", "--seed", "7", "--m", "8", "--ef-construction", "32",
		"--ef", "10,40", "--runs", "1", "--inserts", "3", "--work-dir", dir, "--out", out)
	doc, err := bench.ReadResultFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Rows[0]
	if r.Dataset != "words" || r.N != 280 || r.Queries != 20 || r.Dim != 8 || r.ImportSeconds <= 0 || r.Metric != bench.Cosine {
		t.Errorf("dataset row %+v", r)
	}
	if _, err := os.Stat(glove + ".holdout-20-7.truth-cosine.ivecs"); err != nil {
		t.Errorf("truth cache beside the dataset: %v", err)
	}

	out = filepath.Join(dir, "s.json")
	ok(t, "bench", "--synthetic", "300,8", "--holdout", "20", "--metric", "dot", "--m", "8", "--ef-construction", "32",
		"--ef", "20", "--runs", "1", "--inserts", "0", "--work-dir", dir, "--out", out)
	doc, err = bench.ReadResultFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r = doc.Rows[0]
	if r.Dataset != "synthetic-300x8-seed42" || r.N != 300 || r.Queries != 20 || r.ImportSeconds != 0 || r.InsertsPerSecond != 0 || r.Recall < 0 || r.Recall > 1 {
		t.Errorf("synthetic row %+v", r)
	}
}

// TestBenchQuantize: each encoding is its own curve (Row.Config), searched
// with rescoring, and 'bench plot' keeps them apart.
func TestBenchQuantize(t *testing.T) {
	t.Setenv("VECBOLT_TEST_AS_CLI", "1")
	dir := t.TempDir()
	var files []string
	for _, tc := range []struct {
		args   []string
		config string
	}{
		{[]string{"--quantize", "none"}, ""},
		{[]string{"--quantize", "fp16"}, "quantize=fp16"},
		{[]string{"--quantize", "int8", "--oversample", "3"}, "quantize=int8 oversample=3"},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(tc.config, " ", "_")+"x.json")
		args := append([]string{"bench", "--synthetic", "3000,8", "--holdout", "20", "--metric", "l2", "--m", "8",
			"--ef-construction", "32", "--ef", "16", "--runs", "1", "--inserts", "0", "--work-dir", dir, "--out", out}, tc.args...)
		ok(t, args...)
		doc, err := bench.ReadResultFile(out)
		if err != nil {
			t.Fatal(err)
		}
		// 3,000 points at ef 16: recall well above 0.8 quantized or not
		// (rescored), if the INT8 parameters were trained on the data
		// (quant.Default clips components beyond ±1 under l2).
		if r := doc.Rows[0]; r.Config != tc.config || r.Recall < 0.8 || r.RSSAfterOpen <= 0 {
			t.Errorf("%v: row %+v", tc.args, r)
		}
		files = append(files, out)
	}
	got := ok(t, append([]string{"bench", "plot", "--out", filepath.Join(dir, "q.svg")}, files...)...)
	for _, want := range []string{"vecbolt M=8 efC=32 ", "vecbolt M=8 efC=32 quantize=fp16", "vecbolt M=8 efC=32 quantize=int8 oversample=3"} {
		if !strings.Contains(got, want) {
			t.Errorf("bench plot output lacks the curve %q:\n%s", want, got)
		}
	}
}

func TestBenchProbeOpen(t *testing.T) {
	path := tempDB(t)
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := db.CreateCollection(ctx, "v", query.CollectionConfig{Dim: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertBatch(ctx, []query.Record{{Key: "a", Vector: []float32{1, 0, 0}}, {Key: "b", Vector: []float32{0, 1, 0}},
		{Key: "c", Vector: []float32{0, 0, 1}}}, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	stdout := ok(t, "--db", path, "-c", "v", "bench", "probe-open", "--query", "1,0.5,0", "-k", "2")
	var r probeResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if r.OpenSeconds <= 0 || r.RSS <= 0 || r.Heap <= 0 || r.Results != 2 {
		t.Errorf("probe %+v", r)
	}
	fails(t, exitNotFound, []string{"--db", filepath.Join(t.TempDir(), "none.db"), "bench", "probe-open", "--query", "1,0,0"}, "none.db")
	fails(t, exitNotFound, []string{"--db", path, "-c", "nope", "bench", "probe-open", "--query", "1,0,0"}, "nope")
	fails(t, exitUsage, []string{"--db", path, "-c", "v", "bench", "probe-open", "--query", "1,x"}, "--query")
	fails(t, exitInvalid, []string{"--db", path, "-c", "v", "bench", "probe-open", "--query", "1,0"}, "dimension")
}

func TestBenchPlot(t *testing.T) {
	dir := t.TempDir()
	mk := func(system string, scale float64) string {
		var rows []bench.Row
		for i, ef := range []int{10, 32, 128, 512} {
			rows = append(rows, bench.Row{System: system, Dataset: "d", Metric: bench.Cosine, K: 10, M: 16, EfConstruction: 200,
				Ef: ef, Recall: []float64{0.8, 0.93, 0.98, 0.995}[i], QPSSingle: scale * []float64{20000, 9000, 3000, 900}[i],
				BuildSeconds: 3, BuildThreads: 2, OpenSeconds: 0.2, RSSAfterOpen: 50 << 20, FileBytes: 30 << 20, BytesPerVector: 600})
		}
		doc := bench.NewDocument(bench.CollectMachine("x"), rows...)
		p := filepath.Join(dir, system+".json")
		if err := doc.WriteFile(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := mk("hnswlib", 1), mk("vecbolt", 0.9)
	pngOut, svgOut := filepath.Join(dir, "c.png"), filepath.Join(dir, "c.svg")
	stdout := ok(t, "bench", "plot", a, b, "--out", pngOut, "--out", svgOut)
	for _, want := range []string{"QPS@0.90", "QPS@0.99", "vecbolt M=16 efC=200", "(0.90×)", "bytes/vector"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	f, err := os.Open(pngOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("png: %v", err)
	}
	sv, err := os.ReadFile(svgOut)
	if err != nil {
		t.Fatal(err)
	}
	if !isSVG(t, sv) {
		t.Errorf("no <svg> element in %s", svgOut)
	}
	md := ok(t, "bench", "plot", "--markdown", a, b, "--out", svgOut)
	if !strings.Contains(md, "| --- |") {
		t.Errorf("markdown:\n%s", md)
	}
	fails(t, exitUsage, []string{"bench", "plot", a, "--out", filepath.Join(dir, "c.gif")}, ".png or .svg")
	fails(t, exitUsage, []string{"bench", "plot", a}, "out")
	notResult := writeFile(t, dir, "x.json", []byte(`{"format": "something else"}`))
	fails(t, exitInvalid, []string{"bench", "plot", notResult, "--out", pngOut}, "x.json", "format")
	fails(t, exitNotFound, []string{"bench", "plot", filepath.Join(dir, "missing.json"), "--out", pngOut}, "missing.json")
}

// isSVG reports whether data is well-formed XML with an <svg> element.
func isSVG(t *testing.T, data []byte) bool {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	found := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return found
		}
		if err != nil {
			t.Errorf("svg is not well-formed XML: %v", err)
			return false
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "svg" {
			found = true
		}
	}
}

func TestBenchBadInputs(t *testing.T) {
	dir, base, queries := benchFixture(t)
	good, _ := bench.ReadFvecs(base)
	full, _ := os.ReadFile(base)
	truncated := writeFile(t, dir, "trunc.fvecs", full[:len(full)-6])
	wide := bench.NewMatrix(5, 8)
	for i := range wide.Data {
		wide.Data[i] = float32(i + 1)
	}
	widePath := filepath.Join(dir, "wide.fvecs")
	if err := bench.WriteFvecs(widePath, wide); err != nil {
		t.Fatal(err)
	}
	shortTruth := filepath.Join(dir, "short.ivecs")
	if err := bench.WriteIvecs(shortTruth, bench.NewIntMatrix(3, 10)); err != nil {
		t.Fatal(err)
	}
	badTruth := bench.NewIntMatrix(50, 10)
	badTruth.Data[7] = int32(good.Rows)
	badTruthPath := filepath.Join(dir, "bad.ivecs")
	if err := bench.WriteIvecs(badTruthPath, badTruth); err != nil {
		t.Fatal(err)
	}
	zeroTruth := filepath.Join(dir, "zero.ivecs")
	if err := bench.WriteIvecs(zeroTruth, bench.NewIntMatrix(50, 10)); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.fvecs")
	if err := os.Mkdir(filepath.Join(dir, "d.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		code int
		args []string
		want []string
	}{
		{"no input", exitUsage, nil, []string{"--base", "--dataset", "--synthetic"}},
		{"base without queries", exitUsage, []string{"--base", base}, []string{"--queries"}},
		{"missing base", exitNotFound, []string{"--base", missing, "--queries", queries}, []string{"missing.fvecs"}},
		{"missing queries", exitNotFound, []string{"--base", base, "--queries", missing}, []string{"missing.fvecs"}},
		{"truncated base", exitInvalid, []string{"--base", truncated, "--queries", queries}, []string{"trunc.fvecs", "truncated", "vector 1999"}},
		{"dimensions differ", exitInvalid, []string{"--base", base, "--queries", widePath}, []string{"dimension 16", "wide.fvecs has 8"}},
		{"truth rows differ", exitInvalid, []string{"--base", base, "--queries", queries, "--truth", shortTruth}, []string{"short.ivecs has 3 rows", "50 queries"}},
		{"truth outside base", exitInvalid, []string{"--base", base, "--queries", queries, "--truth", badTruthPath}, []string{"bad.ivecs", "base row 2000"}},
		{"k deeper than truth", exitUsage, []string{"--base", base, "--queries", queries, "--truth", zeroTruth, "-k", "11"}, []string{"-k 11"}},
		{"unknown metric", exitUsage, []string{"--synthetic", "100,4", "--metric", "hamming"}, []string{"unknown metric", "hamming"}},
		{"unknown extension", exitUsage, []string{"--base", filepath.Join(dir, "x.txt"), "--queries", queries}, []string{"x.txt", ".fvecs"}},
		{"bad synthetic", exitUsage, []string{"--synthetic", "100"}, []string{"N,DIM"}},
		{"unknown encoding", exitUsage, []string{"--synthetic", "100,4", "--quantize", "int4"}, []string{"--quantize", "int4"}},
		{"negative oversample", exitUsage, []string{"--synthetic", "100,4", "--quantize", "int8", "--oversample", "-1"}, []string{"--oversample"}},
		{"bad ef", exitUsage, []string{"--synthetic", "100,4", "--ef", "10,0"}, []string{"--ef"}},
		{"bad out", exitUsage, []string{"--synthetic", "100,4", "--out", "r.txt"}, []string{".json or .csv"}},
		{"holdout too large", exitUsage, []string{"--dataset", writeFile(t, dir, "tiny.txt", []byte("a 1 2\nb 3 4\n")), "--holdout", "5"}, []string{"hold out 5 of 2"}},
		{"malformed dataset", exitInvalid, []string{"--dataset", writeFile(t, dir, "bad.txt", []byte("a 1 2\nb 3 x\n")), "--holdout", "1"}, []string{"bad.txt:2"}},
		{"out in a missing directory", exitNotFound, []string{"--synthetic", "100,4", "--out", filepath.Join(dir, "nope", "r.json")}, []string{"directory " + filepath.Join(dir, "nope") + " does not exist"}},
		{"out is a directory", exitUsage, []string{"--synthetic", "100,4", "--out", filepath.Join(dir, "d.json")}, []string{"is a directory"}},
		{"second out in a missing directory", exitNotFound, []string{"--synthetic", "100,4", "--out", filepath.Join(dir, "ok.json"), "--out", filepath.Join(dir, "nope", "r.csv")}, []string{"nope"}},
		{"two inputs", exitUsage, []string{"--synthetic", "100,4", "--base", base, "--queries", queries}, []string{"synthetic"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fails(t, tc.code, append([]string{"bench", "--work-dir", dir}, tc.args...), tc.want...)
			if strings.Contains(r.stderr, "bench: building") {
				t.Errorf("the benchmark ran before the error:\n%s", r.stderr)
			}
		})
	}
	// Bench plot checks its outputs before reading its inputs, and the
	// work directory is checked before any data is loaded.
	fails(t, exitNotFound, []string{"bench", "plot", missing, "--out", filepath.Join(dir, "nope", "p.png")}, "directory "+filepath.Join(dir, "nope")+" does not exist")
	fails(t, exitNotFound, []string{"bench", "--synthetic", "100,4", "--work-dir", filepath.Join(dir, "nope")}, "--work-dir")
	if _, err := os.Stat(filepath.Join(dir, "ok.json")); err == nil {
		t.Error("a failed bench wrote ok.json")
	}
}
