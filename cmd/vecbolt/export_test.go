package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportRoundTrip imports a fixture, exports it, imports the export into
// a second collection and checks that both hold the fixture exactly: keys,
// bit-identical vectors and metadata where the format carries them.
func TestExportRoundTrip(t *testing.T) {
	recs := randomRecords(30, 6, 12)
	recs[3].meta = `{"nested":{"a":[1,2,{"b":null}]},"s":"comma, \"quote\"\nnewline"}`
	recs[4].meta = ""
	for _, metric := range []string{"l2", "dot"} {
		for _, f := range formats {
			for _, gz := range []bool{false, true} {
				name := metric + "/" + f.name
				if gz {
					name += "/gzip"
				}
				t.Run(name, func(t *testing.T) {
					dir := t.TempDir()
					db := filepath.Join(dir, "t.db")
					in := writeFile(t, dir, "in"+f.ext, encode(t, f.name, recs))
					ok(t, "--db", db, "-c", "a", "import", in, "--metric", metric)
					out := filepath.Join(dir, "out"+f.ext)
					if gz {
						out += ".gz"
					}
					if s := ok(t, "--db", db, "-c", "a", "export", out); !strings.Contains(s, "exported 30 records") {
						t.Errorf("export summary: %q", s)
					}
					data, err := os.ReadFile(out)
					if err != nil {
						t.Fatal(err)
					}
					if isGz := bytes.HasPrefix(data, []byte{0x1f, 0x8b}); isGz != gz {
						t.Errorf("gzip output: %v, want %v", isGz, gz)
					}
					ok(t, "--db", db, "-c", "b", "import", out, "--metric", metric)
					want := recordsFor(f.name, recs)
					sameRecords(t, contents(t, db, "a"), want, true, true)
					sameRecords(t, contents(t, db, "b"), want, true, true)
				})
			}
		}
	}
}

// TestExportCosine checks that a cosine collection, which searches unit
// vectors, still gives back the vectors exactly as imported.
func TestExportCosine(t *testing.T) {
	recs := randomRecords(50, 10, 13)
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	ok(t, "--db", db, "import", writeFile(t, dir, "in.jsonl", encode(t, "jsonl", recs)))
	out := filepath.Join(dir, "out.jsonl")
	ok(t, "--db", db, "export", out)
	ok(t, "--db", db, "-c", "b", "import", out)
	sameRecords(t, contents(t, db, "default"), recs, true, true)
	sameRecords(t, contents(t, db, "b"), recs, true, true)
}

func TestExportStdout(t *testing.T) {
	recs := randomRecords(10, 3, 14)
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	ok(t, "--db", db, "import", writeFile(t, dir, "in.jsonl", encode(t, "jsonl", recs)), "--metric", "l2")
	r := vecbolt(t, "", "--db", db, "export", "--format", "csv", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "key,v1,v2,v3,metadata\n") || strings.Contains(r.stdout, "exported") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "exported 10 records") || !strings.Contains(r.stderr, "<stdout>") {
		t.Errorf("stderr: %q", r.stderr)
	}
	// Back in through stdin.
	r = vecbolt(t, r.stdout, "--db", db, "-c", "back", "import", "--format", "csv", "-", "--metric", "l2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	sameRecords(t, contents(t, db, "back"), recs, true, true)

	fails(t, exitUsage, []string{"--db", db, "export", "-"}, "--format")
	fails(t, exitUsage, []string{"--db", db, "export", filepath.Join(dir, "out.xyz")}, "out.xyz")
	fails(t, exitUsage, []string{"--db", db, "export", "--format", "parquet", "-"}, "parquet")
}

// TestExportFailureLeavesNoFile checks that a failed export leaves neither
// the target nor a temporary file behind.
func TestExportFailureLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	recs := []rec{{key: "two words", vec: []float32{1, 2}}}
	ok(t, "--db", db, "import", writeFile(t, dir, "in.jsonl", encode(t, "jsonl", recs)))
	outDir := t.TempDir()
	// word2vec binary cannot hold a key with a space.
	fails(t, exitInvalid, []string{"--db", db, "export", filepath.Join(outDir, "out.bin")}, "two words")
	if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}
