package main

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// vectorArg formats v for --vector or a --batch line, with sep between
// components.
func vectorArg(v []float32, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = f32(x)
	}
	return strings.Join(s, sep)
}

// widestGap returns the index i in [lo, hi) where want[i-1].score -
// want[i].score is largest, and the threshold halfway across that gap, so
// that a threshold search for it is not decided by rounding.
func widestGap(t *testing.T, want []scored, lo, hi int) (int, float64) {
	t.Helper()
	best, gap := lo, -1.0
	for i := lo; i < hi; i++ {
		if g := want[i-1].score - want[i].score; g > gap {
			best, gap = i, g
		}
	}
	if gap < 1e-3 {
		t.Fatalf("scores %d..%d too close together for a robust threshold", lo, hi)
	}
	return best, (want[best-1].score + want[best].score) / 2
}

func fmtThreshold(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func TestSearchThreshold(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(200, 16, 21)
	importRecords(t, db, recs)
	q := recs[17].vec
	vec := vectorArg(q, ",")

	// By vector: every record at least S similar, the query's own record
	// first, exact and over the graph.
	want := bruteForce(recs, func(v []float32) float64 { return cosine(q, v) })
	n, s := widestGap(t, want, 8, 16)
	out := ok(t, "--db", db, "search", "--vector", vec, "--threshold", fmtThreshold(s), "--exact", "--json")
	checkResults(t, out, want, n)
	var wj withinJSON
	if err := json.Unmarshal([]byte(out), &wj); err != nil || math.Abs(float64(wj.Threshold)-s) > 1e-6 || wj.Limit != 0 {
		t.Errorf("--json threshold %v limit %d (%v), want %v and none", wj.Threshold, wj.Limit, err, s)
	}
	checkResults(t, ok(t, "--db", db, "search", "--vector", vec, "--threshold", fmtThreshold(s), "--ef", "200", "--json"), want, n)
	// --limit caps the answer.
	checkResults(t, ok(t, "--db", db, "search", "--vector", vec, "--threshold", fmtThreshold(s), "--limit", "3", "--exact", "--json"), want, 3)

	// By key: the key itself left out.
	want = bruteForce(recs, func(v []float32) float64 { return cosine(q, v) }, recs[17].key)
	n, s = widestGap(t, want, 3, 12)
	checkResults(t, ok(t, "--db", db, "search", "--key", recs[17].key, "--threshold", fmtThreshold(s), "--exact", "--json"), want, n)
	checkResults(t, ok(t, "--db", db, "search", "--key", recs[17].key, "--threshold", fmtThreshold(s), "--json"), want, n)
	// With a filter: records with i < 50 only.
	want = bruteForce(recs[:50], func(v []float32) float64 { return cosine(q, v) }, recs[17].key)
	n, s = widestGap(t, want, 2, 8)
	checkResults(t, ok(t, "--db", db, "search", "--key", recs[17].key, "--threshold", fmtThreshold(s), "--filter", "i < 50", "--json"), want, n)
	// Nothing that similar: an empty answer, not an error.
	checkResults(t, ok(t, "--db", db, "search", "--key", recs[17].key, "--threshold", "1.5", "--json"), nil, 0)
	if out := ok(t, "--db", db, "search", "--key", recs[17].key, "--threshold", "1.5"); len(lines(out)) != 1 {
		t.Errorf("empty table:\n%s", out)
	}

	// Errors.
	for _, tc := range []struct {
		code int
		args []string
		want []string
	}{
		{exitUsage, []string{"--key", "w001", "--threshold", "0.5", "-k", "3"}, []string{"-k", "--limit"}},
		{exitUsage, []string{"--key", "w001", "--limit", "3"}, []string{"--limit", "--threshold"}},
		{exitUsage, []string{"--key", "w001", "--threshold", "0.5", "--limit", "-1"}, []string{"--limit"}},
		{exitUsage, []string{"--key", "w001", "--threshold", "NaN"}, []string{"finite"}},
		{exitUsage, []string{"--key", "w001", "--threshold", "x"}, []string{"threshold"}},
		{exitUsage, []string{"--expr", "w001", "--threshold", "0.5"}, []string{"--threshold"}},
		{exitNotFound, []string{"--key", "nosuch", "--threshold", "0.5"}, []string{"nosuch"}},
		{exitInvalid, []string{"--vector", "1,2", "--threshold", "0.5"}, []string{"dimension"}},
	} {
		fails(t, tc.code, append([]string{"--db", db, "search"}, tc.args...), tc.want...)
	}
}

// TestSearchThresholdL2 checks that under l2 the threshold is a maximum
// distance, inclusive.
func TestSearchThresholdL2(t *testing.T) {
	db := tempDB(t)
	importRecords(t, db, []rec{
		{key: "origin", vec: []float32{0, 0}},
		{key: "east", vec: []float32{1, 0}},
		{key: "north", vec: []float32{0, 2}},
		{key: "far-away-point", vec: []float32{3, 4}},
	}, "--metric", "l2")
	for _, exact := range []string{"--exact=true", "--exact=false"} {
		out := ok(t, "--db", db, "search", "--vector", "0,0", "--threshold", "2", exact)
		want := "RANK  KEY     DISTANCE\n1     origin  0.0000\n2     east    1.0000\n3     north   2.0000\n"
		if out != want {
			t.Errorf("%s:\n%s\nwant:\n%s", exact, out, want)
		}
	}
	out := ok(t, "--db", db, "search", "--key", "origin", "--threshold", "4.9", "--json")
	var got withinJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 2 || got.Results[0].Key != "east" || got.Results[1].Key != "north" || got.Metric != "l2" {
		t.Errorf("--key origin --threshold 4.9: %+v", got)
	}
}

func TestSearchExpr(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(300, 12, 22)
	importRecords(t, db, recs)
	importRecords(t, db, recs, "-c", "euclid", "--metric", "l2")
	unit := func(v []float32) []float32 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(float64(x) / math.Sqrt(s))
		}
		return out
	}
	// 3CosAdd written out: the signed sum of unit vectors, ranked by
	// cosine, the expression's keys left out.
	a, b, c := unit(recs[4].vec), unit(recs[5].vec), unit(recs[6].vec)
	target := make([]float32, len(a))
	for i := range a {
		target[i] = a[i] - b[i] + c[i]
	}
	expr := "w004 - w005 + w006"
	want := bruteForce(recs, func(v []float32) float64 { return cosine(target, v) }, "w004", "w005", "w006")
	checkResults(t, ok(t, "--db", db, "search", "--expr", expr, "-k", "5", "--exact", "--json"), want, 5)
	checkResults(t, ok(t, "--db", db, "search", "--expr", expr, "-k", "5", "--ef", "300", "--json"), want, 5)
	// The score is cosine whatever the metric.
	checkResults(t, ok(t, "--db", db, "-c", "euclid", "search", "--expr", expr, "-k", "4", "--json"), want, 4)
	// A filter: records with i < 40.
	wantF := bruteForce(recs[:40], func(v []float32) float64 { return cosine(target, v) }, "w004", "w005", "w006")
	checkResults(t, ok(t, "--db", db, "search", "--expr", expr, "-k", "3", "--filter", "i < 40", "--json"), wantF, 3)
	// A single key is a search around it by cosine.
	one := bruteForce(recs, func(v []float32) float64 { return cosine(recs[9].vec, v) }, "w009")
	checkResults(t, ok(t, "--db", db, "search", "--expr", "w009", "-k", "3", "--exact", "--json"), one, 3)

	out := ok(t, "--db", db, "search", "--expr", expr, "-k", "2", "--exact")
	if ls := lines(out); len(ls) != 3 || !strings.Contains(ls[0], "COSINE") || strings.Fields(ls[1])[1] != want[0].key {
		t.Errorf("table:\n%s", out)
	}

	fails(t, exitUsage, []string{"--db", db, "search", "--expr", expr, "--key", "w001"}, "exactly one", "--expr")
	fails(t, exitUsage, []string{"--db", db, "search", "--expr", expr, "--vector", "1"}, "exactly one")
	fails(t, exitInvalid, []string{"--db", db, "search", "--expr", "w001 - * w002"}, "column 8")
	fails(t, exitNotFound, []string{"--db", db, "search", "--expr", "w001 - nosuch"}, "nosuch")
}

func TestSearchBatch(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(200, 8, 23)
	// Keys that look like numbers or a bracketed vector.
	for i, k := range []string{"1990", "[UNK]", "1,000"} {
		recs = append(recs, rec{key: k, vec: randomRecords(1, 8, uint64(100+i))[0].vec, meta: `{"i":1000}`})
	}
	importRecords(t, db, recs)
	byKey := map[string][]float32{}
	for _, r := range recs {
		byKey[r.key] = r.vec
	}
	type want struct {
		line  int
		query string
		rank  []scored
	}
	near := func(q []float32, skip ...string) []scored {
		return bruteForce(recs, func(v []float32) float64 { return cosine(q, v) }, skip...)
	}
	input := strings.Join([]string{
		"w003",
		"",
		"[" + vectorArg(recs[5].vec, " ") + "]",
		"  1990  ",
		vectorArg(recs[9].vec, ","),
		"[UNK]",
		"1,000",
		"w003",
		"",
	}, "\n")
	wants := []want{
		{1, "w003", near(byKey["w003"], "w003")},
		{3, formatVector(recs[5].vec), near(recs[5].vec)},
		{4, "1990", near(byKey["1990"], "1990")},
		{5, formatVector(recs[9].vec), near(recs[9].vec)},
		{6, "[UNK]", near(byKey["[UNK]"], "[UNK]")},
		{7, "1,000", near(byKey["1,000"], "1,000")},
		{8, "w003", near(byKey["w003"], "w003")},
	}
	check := func(out string, k int) {
		t.Helper()
		var got []batchJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if len(got) != len(wants) {
			t.Fatalf("%d answers, want %d:\n%s", len(got), len(wants), out)
		}
		for i, w := range wants {
			g := got[i]
			if g.Line != w.line || g.Query != w.query || len(g.Results) != k {
				t.Errorf("answer %d: line %d query %q, %d results; want line %d query %q, %d results", i, g.Line, g.Query, len(g.Results), w.line, w.query, k)
				continue
			}
			for j, r := range g.Results {
				if r.Rank != j+1 || r.Key != w.rank[j].key || math.Abs(float64(r.Score)-w.rank[j].score) > 1e-4 {
					t.Errorf("line %d result %d: %+v, want %s %.5f", w.line, j+1, r, w.rank[j].key, w.rank[j].score)
				}
			}
		}
	}
	dir := t.TempDir()
	file := writeFile(t, dir, "queries.txt", []byte(input))
	check(ok(t, "--db", db, "search", "--batch", file, "-k", "4", "--exact", "--json"), 4)
	// Standard input, over the graph (ef >= the collection: every node).
	args := []string{"--db", db, "search", "--batch", "-", "-k", "3", "--ef", "250", "--json"}
	r := vecbolt(t, input, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	check(r.stdout, 3)

	// The table: one row per result, in input order.
	out := ok(t, "--db", db, "search", "--batch", file, "-k", "2", "--exact")
	ls := lines(out)
	if len(ls) != 1+2*len(wants) || strings.Join(strings.Fields(ls[0]), " ") != "LINE QUERY RANK KEY SIMILARITY" {
		t.Fatalf("table:\n%s", out)
	}
	if f := strings.Fields(ls[1]); f[0] != "1" || f[1] != "w003" || f[2] != "1" || f[3] != wants[0].rank[0].key {
		t.Errorf("first row %q", ls[1])
	}
	if !strings.HasPrefix(ls[3], "3     [") || !strings.Contains(ls[3], ", ...]") {
		t.Errorf("vector row %q: want the line number and the shortened vector", ls[3])
	}

	// A filter applies to every query.
	fq := []scored{}
	for _, s := range near(byKey["w003"], "w003") {
		if n, _ := strconv.Atoi(strings.TrimPrefix(s.key, "w")); strings.HasPrefix(s.key, "w") && n < 30 {
			fq = append(fq, s)
		}
	}
	file2 := writeFile(t, dir, "one.txt", []byte("w003\n"))
	var got []batchJSON
	json.Unmarshal([]byte(ok(t, "--db", db, "search", "--batch", file2, "-k", "3", "--filter", "i < 30", "--json")), &got)
	if len(got) != 1 || len(got[0].Results) != 3 || got[0].Results[0].Key != fq[0].key || got[0].Results[2].Key != fq[2].key {
		t.Errorf("filtered batch: %+v, want %v", got, fq[:3])
	}

	// An empty batch answers nothing.
	if r := vecbolt(t, "\n\n", "--db", db, "search", "--batch", "-", "--json"); r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty batch: exit %d, %q", r.code, r.stdout)
	}

	// Bad lines are named; nothing is printed.
	bad := func(code int, content string, extra []string, wantErr ...string) {
		t.Helper()
		p := writeFile(t, t.TempDir(), "bad.txt", []byte(content))
		r := fails(t, code, append([]string{"--db", db, "search", "--batch", p}, extra...), wantErr...)
		if r.stdout != "" {
			t.Errorf("output despite the error:\n%s", r.stdout)
		}
	}
	bad(exitNotFound, "w001\nnosuch\n", nil, "bad.txt:2:", `"nosuch"`, `"default"`)
	bad(exitNotFound, "1991\n", nil, "bad.txt:1:", `"1991"`)
	bad(exitNotFound, "w001\n\n[1, x]\n", nil, "bad.txt:3:", `"[1, x]"`)
	bad(exitInvalid, "w001\n\n[1, x]\n", []string{"--batch-format", "vector"}, "bad.txt:1:")
	bad(exitInvalid, "[1, 2]\n[1, x]\n", []string{"--batch-format", "vector"}, "bad.txt:1:", "dimension 2")
	bad(exitInvalid, "[1 2 3 4 5 6 7 8]\n[1 x 3 4 5 6 7 8]\n", []string{"--batch-format", "vector"}, "bad.txt:2:", "component 2")
	bad(exitNotFound, "w001\n1 2 3 4 5 6 7 8\n", []string{"--batch-format", "key"}, "bad.txt:2:")
	bad(exitInvalid, "w001\n0 0 0 0 0 0 0 0\n", nil, "bad.txt:2:", "zero")
	fails(t, exitNotFound, []string{"--db", db, "search", "--batch", file + ".missing"}, "missing")
	fails(t, exitUsage, []string{"--db", db, "search", "--batch", file, "--key", "w001"}, "exactly one")
	fails(t, exitUsage, []string{"--db", db, "search", "--batch", file, "--batch-format", "lines"}, "auto, key or vector")
	fails(t, exitUsage, []string{"--db", db, "search", "--key", "w001", "--batch-format", "key"}, "--batch")
	fails(t, exitUsage, []string{"--db", db, "search", "--batch", file, "--threshold", "0.5"}, "--threshold")
	fails(t, exitUsage, []string{"--db", db, "search", "--batch", file, "-k", "0"}, "-k")
}

func TestNumbersOnly(t *testing.T) {
	for s, want := range map[string]bool{
		"0.1 0.2": true, "0.1,0.2": true, "[0.5]": true, "[1 2 3]": true, "-1 2e-3": true, "1e40 1": true,
		"1990": false, "[UNK]": false, "1 a": false, "king": false, "[]": false, "[1, x]": false, "-": false,
	} {
		if got := numbersOnly(s); got != want {
			t.Errorf("numbersOnly(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestBatchFormatCompletion(t *testing.T) {
	out := ok(t, "__complete", "search", "--batch-format", "")
	for _, w := range []string{batchAuto, batchKey, batchVector} {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("__complete search --batch-format lacks %s:\n%s", w, out)
		}
	}
}
