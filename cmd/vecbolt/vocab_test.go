package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// gensimDir holds word2vec files written by gensim 4.2's
// save_word2vec_format, with its counts file (bench/gensim/parity.py).
var gensimDir = filepath.Join("..", "..", "query", "format", "testdata", "gensim")

// TestVocabRoundTrip imports gensim's word2vec text file with its counts
// file, checks the counts landed in the metadata, and exports both files
// back: the counts file must equal gensim's byte for byte, and the vectors
// file vecbolt's pinned word2vec text (which gensim reads back exactly).
func TestVocabRoundTrip(t *testing.T) {
	db := tempDB(t)
	dir := t.TempDir()
	vocab := filepath.Join(gensimDir, "gensim.vocab")
	out := ok(t, "--db", db, "import", filepath.Join(gensimDir, "gensim.txt"), "--format", "word2vec", "--vocab", vocab, "--json")
	var sum importSummary
	decode(t, out, &sum)
	want, err := os.ReadFile(vocab)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(want, []byte("\n"))
	if sum.Counts != lines || sum.Records != lines {
		t.Fatalf("import --vocab: %d counts for %d records, want %d of each", sum.Counts, sum.Records, lines)
	}
	var recs []struct {
		Key      string `json:"key"`
		Metadata struct {
			Count int64 `json:"count"`
		} `json:"metadata"`
	}
	decode(t, ok(t, "--db", db, "get", "the", ",", "--json"), &recs)
	if len(recs) != 2 || recs[0].Metadata.Count != 1000 || recs[1].Metadata.Count != 993 {
		t.Fatalf("get the , --json: %+v, want counts 1000 and 993 from %s", recs, vocab)
	}

	vec, voc := filepath.Join(dir, "out.txt"), filepath.Join(dir, "out.vocab")
	ok(t, "--db", db, "export", vec, "--format", "word2vec", "--vocab", voc)
	got, err := os.ReadFile(voc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("export --vocab differs from gensim's counts file:\n%s\nwant:\n%s", got, want)
	}
	gotVec, err := os.ReadFile(vec)
	if err != nil {
		t.Fatal(err)
	}
	wantVec, err := os.ReadFile(filepath.Join(gensimDir, "vecbolt.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotVec, wantVec) {
		t.Error("exported word2vec text differs from the pinned vecbolt.txt")
	}
}

func TestVocabErrors(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(gensimDir, "gensim.txt")

	db := tempDB(t)
	bad := writeFile(t, dir, "bad.vocab", []byte("the 1000\nof\n"))
	fails(t, exitInvalid, []string{"--db", db, "import", txt, "--format", "word2vec", "--vocab", bad}, "bad.vocab:2")
	fails(t, exitNotFound, []string{"--db", db, "import", txt, "--format", "word2vec", "--vocab", filepath.Join(dir, "nope.vocab")}, "nope.vocab")
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a failed import --vocab left a database behind (%v)", err)
	}

	// Records without counts: export --vocab refuses before writing.
	ok(t, "--db", db, "import", txt, "--format", "word2vec")
	vec, voc := filepath.Join(dir, "v.txt"), filepath.Join(dir, "v.vocab")
	fails(t, exitInvalid, []string{"--db", db, "export", vec, "-f", "word2vec", "--vocab", voc}, `no non-negative integer "count"`)
	for _, p := range []string{vec, voc} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s written by a failed export (%v)", p, err)
		}
	}
	fails(t, exitUsage, []string{"--db", db, "export", vec, "-f", "word2vec", "--vocab", vec}, "other than the vector output")
	existing := writeFile(t, dir, "old.vocab", []byte("keep\n"))
	fails(t, exitUsage, []string{"--db", db, "export", vec, "-f", "word2vec", "--vocab", existing}, "old.vocab")
	if b, _ := os.ReadFile(existing); string(b) != "keep\n" {
		t.Errorf("an existing --vocab file was changed: %q", b)
	}
}
