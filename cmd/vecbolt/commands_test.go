package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestCreatePutGetDelete(t *testing.T) {
	db := tempDB(t)
	out := ok(t, "--db", db, "create", "--dim", "3")
	if !strings.Contains(out, `created "default"`) || !strings.Contains(out, "dim 3, metric cosine, M 16, efConstruction 200, ef 64") {
		t.Errorf("create: %q", out)
	}
	// Same settings again: fine; different: refused.
	if out := ok(t, "--db", db, "create", "--dim", "3"); !strings.Contains(out, "exists") {
		t.Errorf("create again: %q", out)
	}
	fails(t, exitInvalid, []string{"--db", db, "create", "--dim", "4"}, "Dim")
	ok(t, "--db", db, "create", "other", "--dim", "2", "--metric", "l2", "--m", "8", "--ef-construction", "40", "--ef", "10")

	if out := ok(t, "--db", db, "put", "apple", "--vector", "0.1, -0.2, 0.3", "--metadata", `{"color": "red"}`); !strings.Contains(out, `added "apple"`) {
		t.Errorf("put: %q", out)
	}
	ok(t, "--db", db, "put", "pear", "--vector", "[0.2 0.1 0.3]")
	ok(t, "--db", db, "put", "plum", "--vector", "[1e-3,2,-3.5]")
	if out := ok(t, "--db", db, "put", "plum", "--vector", "1,2,3"); !strings.Contains(out, `replaced "plum"`) || !strings.Contains(out, "3 records") {
		t.Errorf("put again: %q", out)
	}

	out = ok(t, "--db", db, "get", "apple")
	for _, want := range []string{"key:       apple", "vector:    [0.1, -0.2, 0.3]", `metadata:  {"color": "red"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("get lacks %q:\n%s", want, out)
		}
	}
	var got recordJSON
	if err := json.Unmarshal([]byte(ok(t, "--db", db, "get", "plum", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Key != "plum" || len(got.Vector) != 3 || math.Abs(float64(got.Vector[2]-3)) > 1e-6 || got.Metadata != nil {
		t.Errorf("get --json: %+v", got)
	}

	// Deleting an unknown key deletes nothing.
	fails(t, exitNotFound, []string{"--db", db, "delete", "apple", "nosuch"}, "nosuch")
	ok(t, "--db", db, "get", "apple")
	if out := ok(t, "--db", db, "delete", "apple", "pear"); !strings.Contains(out, "deleted 2 records") || !strings.Contains(out, "1 left") {
		t.Errorf("delete: %q", out)
	}
	fails(t, exitNotFound, []string{"--db", db, "get", "apple"}, "apple")
	if n := statsRecords(t, "--db", db); n != 1 {
		t.Errorf("records: %d, want 1", n)
	}
	// Collections are separate.
	if n := statsRecords(t, "--db", db, "-c", "other"); n != 0 {
		t.Errorf("records in other: %d, want 0", n)
	}
}

// cosine is the reference cosine similarity, in float64.
func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

type scored struct {
	key   string
	score float64
}

// bruteForce ranks recs by score against q, highest first, leaving out
// the keys in skip.
func bruteForce(recs []rec, score func(v []float32) float64, skip ...string) []scored {
	var out []scored
next:
	for _, r := range recs {
		for _, s := range skip {
			if r.key == s {
				continue next
			}
		}
		out = append(out, scored{r.key, score(r.vec)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

func importRecords(t *testing.T, db string, recs []rec, args ...string) {
	t.Helper()
	path := writeFile(t, t.TempDir(), "v.jsonl", encode(t, "jsonl", recs))
	ok(t, append([]string{"--db", db, "import", path}, args...)...)
}

func checkResults(t *testing.T, out string, want []scored, k int) {
	t.Helper()
	var got searchJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(got.Results) != k {
		t.Fatalf("%d results, want %d", len(got.Results), k)
	}
	for i, r := range got.Results {
		if r.Rank != i+1 || r.Key != want[i].key || math.Abs(float64(r.Score)-want[i].score) > 1e-4 {
			t.Errorf("result %d: %+v, want %s %.5f", i+1, r, want[i].key, want[i].score)
		}
	}
}

func TestSearch(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(200, 16, 9)
	importRecords(t, db, recs)
	q := recs[17].vec

	// By vector, exact: the brute-force ranking.
	var vs []string
	for _, x := range q {
		vs = append(vs, f32(x))
	}
	want := bruteForce(recs, func(v []float32) float64 { return cosine(q, v) })
	checkResults(t, ok(t, "--db", db, "search", "--vector", strings.Join(vs, ", "), "-k", "7", "--exact", "--json"), want, 7)
	// Brackets and spaces only.
	checkResults(t, ok(t, "--db", db, "search", "--vector", "["+strings.Join(vs, " ")+"]", "-k", "3", "--exact", "--json"), want, 3)

	// By key: the key itself is left out. 200 records: the graph finds them.
	want = bruteForce(recs, func(v []float32) float64 { return cosine(q, v) }, recs[17].key)
	checkResults(t, ok(t, "--db", db, "search", "--key", recs[17].key, "-k", "5", "--ef", "100", "--json"), want, 5)

	// Table output: rank, key, score, metadata.
	out := ok(t, "--db", db, "search", "--key", recs[17].key, "-k", "3", "--exact", "--metadata")
	ls := lines(out)
	if len(ls) != 4 || !strings.HasPrefix(ls[0], "RANK  KEY") || !strings.Contains(ls[0], "SIMILARITY") {
		t.Fatalf("table:\n%s", out)
	}
	if f := strings.Fields(ls[1]); f[0] != "1" || f[1] != want[0].key || !strings.HasPrefix(f[3], `{"i":`) {
		t.Errorf("first row %q, want key %s", ls[1], want[0].key)
	}

	// A metadata filter: only records with i < 20 (written as {"i":N}).
	want = bruteForce(recs[:20], func(v []float32) float64 { return cosine(q, v) }, recs[17].key)
	checkResults(t, ok(t, "--db", db, "search", "--key", recs[17].key, "-k", "4", "--filter", "i < 20", "--json"), want, 4)
	checkResults(t, ok(t, "--db", db, "search", "--key", recs[17].key, "-k", "4", "--restrict", "20", "--json"), want, 4)
	fails(t, exitInvalid, []string{"--db", db, "search", "--key", "w001", "--filter", "i <"}, "column")

	// Errors.
	fails(t, exitUsage, []string{"--db", db, "search"}, "--key", "--vector")
	fails(t, exitUsage, []string{"--db", db, "search", "--key", "w001", "--vector", "1"}, "exactly one")
	fails(t, exitInvalid, []string{"--db", db, "search", "--vector", "1, 2, x"}, "component 3")
	fails(t, exitInvalid, []string{"--db", db, "search", "--vector", "1,2,3"}, "dimension")
	fails(t, exitNotFound, []string{"--db", db, "search", "--key", "nosuch"}, "nosuch")
	fails(t, exitUsage, []string{"--db", db, "search", "--key", "w001", "-k", "0"}, "-k")
}

// TestSearchGolden pins the table layout on a tiny L2 collection.
func TestSearchGolden(t *testing.T) {
	db := tempDB(t)
	recs := []rec{
		{key: "origin", vec: []float32{0, 0}},
		{key: "east", vec: []float32{1, 0}},
		{key: "north", vec: []float32{0, 2}},
		{key: "far-away-point", vec: []float32{3, 4}},
	}
	importRecords(t, db, recs, "--metric", "l2")
	out := ok(t, "--db", db, "search", "--vector", "0,0", "-k", "4", "--exact")
	golden(t, "search_l2.golden", out)
}

func TestAnalogy(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(300, 12, 10)
	importRecords(t, db, recs)
	vec := map[string][]float32{}
	for _, r := range recs {
		vec[r.key] = r.vec
	}
	unit := func(v []float32) []float64 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x) / math.Sqrt(s)
		}
		return out
	}
	// 3CosAdd, written out: mean of the unit vectors with signs, compared
	// by cosine, the three keys left out.
	a, b, c := unit(vec["w001"]), unit(vec["w002"]), unit(vec["w003"])
	target := make([]float32, len(a))
	for i := range a {
		target[i] = float32(a[i] - b[i] + c[i])
	}
	want := bruteForce(recs, func(v []float32) float64 { return cosine(target, v) }, "w001", "w002", "w003")
	checkResults(t, ok(t, "--db", db, "analogy", "w001 - w002 + w003", "-k", "5", "--exact", "--json"), want, 5)
	// Unquoted words are joined.
	checkResults(t, ok(t, "--db", db, "analogy", "w001", "-", "w002", "+", "w003", "-k", "2", "--exact", "--json"), want, 2)
	// The graph agrees on a collection this small.
	checkResults(t, ok(t, "--db", db, "analogy", "w001 - w002 + w003", "-k", "3", "--ef", "200", "--json"), want, 3)

	// 3CosMul, written out.
	mul := bruteForce(recs, func(v []float32) float64 {
		s := func(u []float64) float64 {
			var d float64
			uv := unit(v)
			for i := range u {
				d += u[i] * uv[i]
			}
			return (1 + d) / 2
		}
		return s(a) * s(c) / (s(b) + 1e-6)
	}, "w001", "w002", "w003")
	checkResults(t, ok(t, "--db", db, "analogy", "w001 - w002 + w003", "-k", "4", "--exact", "--method", "mul", "--json"), mul, 4)

	// --restrict answers from the first N records only.
	var jr searchJSON
	json.Unmarshal([]byte(ok(t, "--db", db, "analogy", "w001 - w002 + w003", "-k", "5", "--restrict", "20", "--exact", "--json")), &jr)
	for _, r := range jr.Results {
		if r.Key >= "w020" {
			t.Errorf("--restrict 20 answered %s", r.Key)
		}
	}

	// Table output.
	out := ok(t, "--db", db, "analogy", "w001 - w002 + w003", "-k", "2", "--exact")
	if ls := lines(out); len(ls) != 3 || !strings.Contains(ls[0], "COSINE") || strings.Fields(ls[1])[1] != want[0].key {
		t.Errorf("table:\n%s", out)
	}

	// A syntax error shows the column with a caret.
	r := fails(t, exitInvalid, []string{"--db", db, "analogy", "w001 - * w002"}, "column 8", "w001 - * w002")
	if !strings.Contains(r.stderr, "\n         ^") {
		t.Errorf("no caret under column 8:\n%s", r.stderr)
	}
	fails(t, exitNotFound, []string{"--db", db, "analogy", "w001 - nosuch + w003"}, "nosuch")
	fails(t, exitUsage, []string{"--db", db, "analogy", "w001 - w002 + w003", "--method", "div"}, "div")
}

func TestStats(t *testing.T) {
	db := tempDB(t)
	importRecords(t, db, randomRecords(50, 8, 11), "--m", "12")
	var s statsJSON
	if err := json.Unmarshal([]byte(ok(t, "--db", db, "stats", "--json")), &s); err != nil {
		t.Fatal(err)
	}
	if s.Records != 50 || s.Dim != 8 || s.Metric != "cosine" || s.M != 12 || s.EfConstruction != 200 || s.Ef != 64 ||
		s.Parameters != 400 || s.FP32Bytes != 1600 || s.FP16Bytes != 800 || s.INT8Bytes != 400 || s.FileBytes <= 0 {
		t.Errorf("stats --json: %+v", s)
	}
	if g, ok := s.Graph.(map[string]any); !ok || g["nodes"] != float64(50) || g["reachable"] != float64(50) {
		t.Errorf("stats --json graph: %v", s.Graph)
	}
	out := ok(t, "--db", db, "stats")
	for _, want := range []string{"records", "50", "50 of 50 nodes reachable", "dimension", "8", "M 12, efConstruction 200, ef 64", "400 (records x dimension)", "1.6 KiB", "800 B"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
}

func TestHumanUnits(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1600, "1.6 KiB"},
		{50000 * 100 * 4, "19.1 MiB"}, {400_000 * 300 * 2, "228.9 MiB"}, {3 << 30, "3.0 GiB"},
	} {
		if got := humanBytes(tc.n); got != tc.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := humanCount(n); got != want {
			t.Errorf("humanCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseVector(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []float32
	}{
		{"1", []float32{1}},
		{"0.1,-0.2,0.3", []float32{0.1, -0.2, 0.3}},
		{" [0.1, -0.2, 0.3] ", []float32{0.1, -0.2, 0.3}},
		{"0.1 -0.2\t0.3", []float32{0.1, -0.2, 0.3}},
		{"[1e-3 , 2E2]", []float32{1e-3, 200}},
		{"+1.,-.5,1e+2,007", []float32{1, -0.5, 100, 7}},
	} {
		got, err := parseVector(tc.in)
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("parseVector(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("parseVector(%q) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
	for _, in := range []string{"", "[]", "[1,2", "1,,2", ",1", "1,", "a", "1,NaN", "Inf", "1e40",
		"1_0", "0x1p3", "0x10", "0b1", "0o7", "1_000.5", "infinity", "-inf", "nan", ".", "-", "1e", "e3", "1.2.3", "١"} {
		if v, err := parseVector(in); err == nil || exitCode(err) != exitInvalid {
			t.Errorf("parseVector(%q) = %v, %v; want an invalid-input error", in, v, err)
		}
	}
}

func TestDatabaseDefaults(t *testing.T) {
	// Without --db, vecbolt.db in the working directory.
	dir := t.TempDir()
	t.Chdir(dir)
	ok(t, "create", "--dim", "2")
	ok(t, "put", "a", "--vector", "1,0")
	if n := statsRecords(t); n != 1 {
		t.Errorf("records: %d", n)
	}
	if _, err := filepath.Abs(filepath.Join(dir, defaultDB)); err != nil {
		t.Fatal(err)
	}
	out := ok(t, "stats")
	if !strings.Contains(out, defaultDB) || !strings.Contains(out, defaultCollection) {
		t.Errorf("stats:\n%s", out)
	}
}
