package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// statsEncoding runs stats --json and returns its encoding fields.
func statsEncoding(t *testing.T, args ...string) statsJSON {
	t.Helper()
	var s statsJSON
	out := ok(t, append(args, "stats", "--json")...)
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return s
}

func TestQuantizeCommands(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(300, 8, 21)
	importRecords(t, db, recs, "--quantize", "int8")
	s := statsEncoding(t, "--db", db)
	if s.Encoding != "int8" || s.VectorBytes != 12 || s.EncodingParams != "trained per-dimension" {
		t.Fatalf("after an int8 import: %+v", s)
	}
	if out := ok(t, "--db", db, "stats"); !strings.Contains(out, "int8, 12 bytes a vector in RAM") {
		t.Errorf("stats:\n%s", out)
	}
	// Scores are exact: the brute-force ranking, scores and all.
	q := recs[40].vec
	var vs []string
	for _, x := range q {
		vs = append(vs, f32(x))
	}
	want := bruteForce(recs, func(v []float32) float64 { return cosine(q, v) })
	checkResults(t, ok(t, "--db", db, "search", "--vector", strings.Join(vs, ","), "-k", "5", "--oversample", "4", "--ef", "100", "--json"), want, 5)
	checkResults(t, ok(t, "--db", db, "search", "--vector", strings.Join(vs, ","), "-k", "5", "--exact", "--json"), want, 5)
	// Export is lossless: the exported file, imported into a float32
	// collection, holds the input bit for bit.
	out := filepath.Join(t.TempDir(), "out.jsonl")
	ok(t, "--db", db, "export", out)
	ok(t, "--db", db, "-c", "back", "import", out)
	sameRecords(t, contents(t, db, "back"), recs, true, true)
	sameRecords(t, contents(t, db, "default"), recs, true, true)
	ok(t, "--db", db, "check")

	for _, to := range []string{"fp16", "none", "int8"} {
		out := ok(t, "--db", db, "quantize", "--to", to)
		if !strings.Contains(out, `quantized "default"`) || !strings.Contains(out, "to "+to) {
			t.Fatalf("quantize --to %s: %q", to, out)
		}
		if s := statsEncoding(t, "--db", db); s.Encoding != to {
			t.Fatalf("after quantize --to %s: %+v", to, s)
		}
		checkResults(t, ok(t, "--db", db, "search", "--vector", strings.Join(vs, ","), "-k", "5", "--ef", "100", "--json"), want, 5)
		sameRecords(t, contents(t, db, "default"), recs, true, true)
	}
	ok(t, "--db", db, "check")

	fails(t, exitUsage, []string{"--db", db, "quantize", "--to", "int4"}, "--to")
	fails(t, exitUsage, []string{"--db", db, "quantize"}, "--to")
	fails(t, exitUsage, []string{"--db", db, "search", "--key", "w001", "--oversample", "-1"}, "--oversample")
	fails(t, exitUsage, []string{"--db", db, "create", "x", "--dim", "3", "--quantize", "int4"}, "--quantize")
	r := vecbolt(t, "", "--db", db, "quantize", "nosuch", "--to", "int8")
	if r.code == 0 || !strings.Contains(r.stderr, "nosuch") {
		t.Fatalf("quantize of an unknown collection: %+v", r)
	}
}

func TestCompactRetrainsInt8(t *testing.T) {
	db := tempDB(t)
	if out := ok(t, "--db", db, "create", "--dim", "8", "--metric", "l2", "--quantize", "int8"); !strings.Contains(out, "quantize int8") {
		t.Fatalf("create: %q", out)
	}
	recs := randomRecords(100, 8, 5)
	// A collection that already had a write keeps its default parameters
	// through an import; an empty one is trained by it.
	ok(t, "--db", db, "put", recs[0].key, "--vector", vecString(recs[0].vec), "--metadata", recs[0].meta)
	importRecords(t, db, recs[1:])
	if s := statsEncoding(t, "--db", db); s.EncodingParams != "default symmetric (bound 1)" {
		t.Fatalf("before compact: %+v", s)
	}
	ok(t, "--db", db, "-c", "empty", "create", "--dim", "8", "--metric", "l2", "--quantize", "int8")
	importRecords(t, db, recs, "-c", "empty")
	if s := statsEncoding(t, "--db", db, "-c", "empty"); s.EncodingParams != "trained per-dimension" {
		t.Fatalf("import into an empty int8 collection: %+v", s)
	}
	if out := ok(t, "--db", db, "compact"); !strings.Contains(out, "int8 parameters retrained (default, empty)") {
		t.Fatalf("compact: %q", out)
	}
	if s := statsEncoding(t, "--db", db); s.EncodingParams != "trained per-dimension" || s.Records != 100 {
		t.Fatalf("after compact: %+v", s)
	}
	sameRecords(t, contents(t, db, "default"), recs, true, true)
	ok(t, "--db", db, "check")
}

// vecString formats a vector for --vector.
func vecString(v []float32) string {
	var vs []string
	for _, x := range v {
		vs = append(vs, f32(x))
	}
	return strings.Join(vs, ",")
}
