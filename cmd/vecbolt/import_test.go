package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestImportFormats(t *testing.T) {
	recs := randomRecords(40, 7, 1)
	for _, f := range formats {
		for _, gz := range []bool{false, true} {
			name := f.name
			if gz {
				name += "/gzip"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				db := filepath.Join(dir, "t.db")
				data := encode(t, f.name, recs)
				file := "in" + f.ext
				if gz {
					data = gzipBytes(t, data)
					file += ".gz"
				}
				path := writeFile(t, dir, file, data)
				out := ok(t, "--db", db, "import", path, "--metric", "l2")
				if !strings.Contains(out, "imported 40 records") || !strings.Contains(out, "skipped 0") {
					t.Errorf("summary: %q", out)
				}
				sameRecords(t, contents(t, db, "default"), recordsFor(f.name, recs), true, true)
			})
		}
	}
}

// TestImportGzipByContent checks that gzip is recognised by its magic bytes,
// not only by a .gz name.
func TestImportGzipByContent(t *testing.T) {
	recs := randomRecords(5, 3, 2)
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	path := writeFile(t, dir, "words.txt", gzipBytes(t, encode(t, "glove", recs)))
	ok(t, "--db", db, "import", path, "--metric", "dot")
	sameRecords(t, contents(t, db, "default"), stripMeta(recs), true, false)
}

func TestImportStdin(t *testing.T) {
	recs := randomRecords(12, 4, 3)
	db := tempDB(t)
	r := vecbolt(t, string(encode(t, "jsonl", recs)), "--db", db, "-c", "piped", "import", "--format", "jsonl", "-", "--metric", "l2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	sameRecords(t, contents(t, db, "piped"), recs, true, true)

	// Standard input has no name to take the format from.
	r = vecbolt(t, "", "--db", db, "import", "-")
	checkFailure(t, r, exitUsage, []string{"import", "-"}, "--format")
}

func TestImportCreatesCollectionWithFlags(t *testing.T) {
	db := tempDB(t)
	dir := t.TempDir()
	path := writeFile(t, dir, "v.jsonl", encode(t, "jsonl", randomRecords(10, 5, 4)))
	ok(t, "--db", db, "-c", "x", "import", path, "--metric", "dot", "--m", "8", "--ef-construction", "50", "--ef", "20")
	out := ok(t, "--db", db, "-c", "x", "stats", "--json")
	for _, want := range []string{`"records": 10`, `"dim": 5`, `"metric": "dot"`, `"m": 8`, `"ef_construction": 50`, `"ef": 20`} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lacks %s:\n%s", want, out)
		}
	}
	// Importing again with other index parameters is refused.
	fails(t, exitInvalid, []string{"--db", db, "-c", "x", "import", path, "--metric", "l2"}, "Metric")
	// Without them the existing collection's settings apply; keys are replaced.
	if out := ok(t, "--db", db, "-c", "x", "import", path); !strings.Contains(out, "imported 10 records into \"x\"") || !strings.Contains(out, "10 of them replacing") {
		t.Errorf("re-import summary: %q", out)
	}
	if n := statsRecords(t, "--db", db, "-c", "x"); n != 10 {
		t.Errorf("records after re-import: %d, want 10", n)
	}
}

// glove writes GloVe lines for records, by hand.
func gloveLines(recs []rec) []string {
	var out []string
	for _, r := range recs {
		s := r.key
		for _, x := range r.vec {
			s += " " + f32(x)
		}
		out = append(out, s)
	}
	return out
}

func TestImportMalformedChangesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	first := randomRecords(3, 3, 5)
	good := writeFile(t, dir, "good.txt", encode(t, "glove", first))
	ok(t, "--db", db, "import", good)

	more := randomRecords(8, 3, 6)
	for i := range more {
		more[i].key = fmt.Sprintf("new%d", i)
	}
	ls := gloveLines(more)
	cases := []struct {
		name    string
		line    int // 1-based line to replace
		text    string
		wantErr []string
	}{
		{"not a number", 3, "bad 0.1 oops 0.3", []string{"bad.txt:3", "oops"}},
		{"wrong dimension", 5, "short 0.1 0.2", []string{"bad.txt:5", "dimension"}},
		{"zero vector under cosine", 2, "zero 0 0 0", []string{"bad.txt:2", "zero"}},
		{"NaN", 7, "nan 0.1 NaN 0.3", []string{"bad.txt:7"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := append([]string(nil), ls...)
			l[tc.line-1] = tc.text
			bad := writeFile(t, t.TempDir(), "bad.txt", []byte(strings.Join(l, "\n")+"\n"))
			fails(t, exitInvalid, []string{"--db", db, "import", bad}, tc.wantErr...)
			sameRecords(t, contents(t, db, "default"), stripMeta(first), true, false)

			// --skip-invalid imports the rest and reports the line.
			db2 := filepath.Join(t.TempDir(), "t.db")
			out := ok(t, "--db", db2, "import", bad, "--skip-invalid")
			if !strings.Contains(out, "imported 7 records") || !strings.Contains(out, "skipped 1") || !strings.Contains(out, tc.wantErr[0]) {
				t.Errorf("--skip-invalid summary:\n%s", out)
			}
			if n := statsRecords(t, "--db", db2); n != 7 {
				t.Errorf("records after --skip-invalid: %d, want 7", n)
			}
		})
	}

	// A malformed file does not create the collection either.
	l := append([]string(nil), ls...)
	l[1] = "bad 1 2 x"
	bad := writeFile(t, dir, "bad.txt", []byte(strings.Join(l, "\n")+"\n"))
	fails(t, exitInvalid, []string{"--db", db, "-c", "fresh", "import", bad}, "bad.txt:2")
	fails(t, exitNotFound, []string{"--db", db, "-c", "fresh", "stats"}, `no collection "fresh"`)
}

func TestImportSkipInvalidCounts(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	recs := randomRecords(20, 4, 7)
	ls := gloveLines(recs)
	badLines := []int{2, 5, 6, 9, 11, 12, 18} // 1-based
	for _, n := range badLines {
		ls[n-1] = fmt.Sprintf("bad%d 1 2 three 4", n)
	}
	path := writeFile(t, dir, "v.txt", []byte(strings.Join(ls, "\n")+"\n"))
	out := ok(t, "--db", db, "import", path, "--skip-invalid")
	if !strings.Contains(out, "imported 13 records") || !strings.Contains(out, "skipped 7") {
		t.Errorf("summary:\n%s", out)
	}
	// The first few are listed by line, not all of them.
	for i, n := range badLines {
		has := strings.Contains(out, fmt.Sprintf("v.txt:%d:", n))
		if i < maxReported && !has {
			t.Errorf("line %d not reported:\n%s", n, out)
		}
		if i >= maxReported && has {
			t.Errorf("line %d reported beyond the first %d:\n%s", n, maxReported, out)
		}
	}
	if n := statsRecords(t, "--db", db); n != 13 {
		t.Errorf("records: %d, want 13", n)
	}
	// --json reports the same counts.
	out = ok(t, "--db", filepath.Join(dir, "t2.db"), "import", path, "--skip-invalid", "--json")
	for _, want := range []string{`"records": 13`, `"skipped": 7`} {
		if !strings.Contains(out, want) {
			t.Errorf("--json lacks %s:\n%s", want, out)
		}
	}
}

func TestImportTruncatedBinary(t *testing.T) {
	dir := t.TempDir()
	data := encode(t, "fvecs", randomRecords(4, 5, 8))
	path := writeFile(t, dir, "v.fvecs", data[:len(data)-6])
	db := filepath.Join(dir, "t.db")
	fails(t, exitInvalid, []string{"--db", db, "import", path, "--skip-invalid"}, "v.fvecs", "record 4")
	if _, err := os.Stat(db); err == nil {
		fails(t, exitNotFound, []string{"--db", db, "stats"})
	}
}

func TestImportRepeatedKeyKeepsLast(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	path := writeFile(t, dir, "v.txt", []byte("a 1 0\nb 0 1\na 2 3\n"))
	out := ok(t, "--db", db, "import", path, "--metric", "l2")
	if !strings.Contains(out, "imported 2 records") || !strings.Contains(out, "1 repeated keys kept their last record") {
		t.Errorf("summary: %q", out)
	}
	got := contents(t, db, "default")
	sort.Slice(got, func(i, j int) bool { return got[i].key < got[j].key }) // the order of a repeated key is query's business
	sameRecords(t, got, []rec{{key: "a", vec: []float32{2, 3}}, {key: "b", vec: []float32{0, 1}}}, true, false)
}

// TestImportProgressBars calls runImport directly as on a terminal: the
// bar is drawn on stderr (one: the file is streamed), the summary goes to out.
func TestImportProgressBars(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "v.jsonl", encode(t, "jsonl", randomRecords(300, 8, 15)))
	var stderr, out bytes.Buffer
	g := &globalOptions{DB: filepath.Join(dir, "t.db"), Collection: "bars", LockTimeout: time.Second, stderr: &stderr, progress: true}
	opts := &importOptions{globalOptions: g, indexFlags: indexFlags{Metric: "cosine", M: 16, EfConstruction: 100, Ef: 64}, File: path}
	if err := runImport(context.Background(), opts, &out); err != nil {
		t.Fatal(err)
	}
	if s := stderr.String(); !strings.Contains(s, "importing") || !strings.Contains(s, "100%") {
		t.Errorf("stderr:\n%q", s)
	}
	if !strings.Contains(out.String(), "imported 300 records") {
		t.Errorf("out: %q", out.String())
	}
}
