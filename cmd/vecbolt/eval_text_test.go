package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench/wordnet"
	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/sample"
)

const wordnetSample = "../../bench/wordnet/testdata/wordnet"

// gloveSampleDB imports the bundled 10k GloVe sample as collection glove.
func gloveSampleDB(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("imports the 10k GloVe sample; skipped with -short")
	}
	db := tempDB(t)
	path := writeFile(t, t.TempDir(), "glove.txt.gz", sample.Compressed())
	ok(t, "--db", db, "import", path, "-c", "glove")
	return db
}

// The command's JSON equals the package's reports for the same options,
// computed here on the same file.
func TestEvalText(t *testing.T) {
	db := gloveSampleDB(t)
	args := []string{"--db", db, "-c", "glove", "eval", "text", "--wordnet", wordnetSample, "--synsets", "60", "--queries", "80", "--seed", "1", "--exact"}
	var got struct {
		Reverse *wordnet.ReverseReport `json:"reverse_dictionary"`
		Gloss   *wordnet.GlossReport   `json:"gloss_retrieval"`
	}
	if err := json.Unmarshal([]byte(ok(t, append(args, "--json")...)), &got); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	qdb, err := query.Open(db, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer qdb.Close()
	c, err := qdb.Collection(ctx, "glove")
	if err != nil {
		t.Fatal(err)
	}
	v, err := query.NewVocabulary(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := wordnet.ReadDir(wordnetSample)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := wordnet.ReverseDictionary(ctx, ss, c, v, wordnet.ReverseOptions{Synsets: 60, Seed: 1, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := wordnet.GlossRetrieval(ctx, ss, v, wordnet.GlossOptions{Queries: 80, Seed: 1, Exact: true, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got.Reverse.Queries != 60 || len(got.Reverse.Rows) != 4 || got.Gloss.Queries != 80 || len(got.Gloss.Rows) != 4 {
		t.Fatalf("reverse %d queries, %d rows; gloss %d queries, %d rows", got.Reverse.Queries, len(got.Reverse.Rows), got.Gloss.Queries, len(got.Gloss.Rows))
	}
	for i, r := range rd.Rows {
		g := got.Reverse.Rows[i]
		if g.Pooling != r.Pooling || g.PC != r.PC || g.R1 != r.R1 || g.R10 != r.R10 || g.R100 != r.R100 || g.MRR != r.MRR {
			t.Errorf("reverse row %d: command %+v, package %+v", i, g, r)
		}
	}
	for i, r := range gr.Rows {
		g := got.Gloss.Rows[i]
		if g.Mode != r.Mode || g.R10 != r.R10 || g.MRR != r.MRR {
			t.Errorf("gloss row %d: command %+v, package %+v", i, g, r)
		}
	}
	if got.Gloss.Embedder != "words:glove?a=0.001&p=zipf&pc=1&pieces=none&pool=sif" && !strings.Contains(got.Gloss.Embedder, "pool=sif") {
		t.Errorf("gloss embedder %q is not SIF", got.Gloss.Embedder)
	}
	out := ok(t, args...)
	for _, want := range []string{"Reverse dictionary: 60 definitions drawn (seed 1)", "POOLING", "sif", "Gloss retrieval:", "hybrid RRF k=60", "hybrid weighted v0.5/k0.5", "Definition within the top 100", "exact search"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestEvalTextErrors(t *testing.T) {
	db := tempDB(t)
	importRecords(t, db, []rec{{key: "cat", vec: []float32{1, 0}}}, "-c", "w")
	empty := t.TempDir()
	bad := t.TempDir()
	writeFile(t, bad, "data.noun", []byte("  1 header\n00000001 00 n 01 cat 0 000 | a cat\n00000002 00 n zz dog 0 000 | a dog\n"))
	base := []string{"--db", db, "-c", "w", "eval", "text"}
	fails(t, exitUsage, base, "--wordnet DIR is required")
	fails(t, exitUsage, append(base, "--wordnet", empty, "--synsets", "0"), "--synsets and --queries must be positive")
	fails(t, exitUsage, append(base, "--wordnet", empty, "--weight", "1"), "--weight must lie in (0, 1)")
	fails(t, exitNotFound, append(base, "--wordnet", empty), "no data files")
	fails(t, exitInvalid, append(base, "--wordnet", bad), "data.noun:3:", "word count")
	fails(t, exitNotFound, []string{"--db", db, "-c", "nosuch", "eval", "text", "--wordnet", wordnetSample}, `no collection "nosuch"`)
}
