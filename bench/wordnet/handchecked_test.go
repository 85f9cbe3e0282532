package wordnet_test

import (
	"context"
	"testing"

	"github.com/vecbolt/vecbolt/bench/wordnet"
)

// Hand-checked cases of the sample (seed 1, 60 synsets, exact search):
// "basin" is the nearest word to its definition once the common component
// is removed, and "additionally" ("in addition, by way of addition;
// furthermore") is found first only by SIF with the component removed:
// plain mean pooling points at frequent words.
func TestReverseDictionaryHandChecked(t *testing.T) {
	loadGloVe(t)
	rep, err := wordnet.ReverseDictionary(context.Background(), sampleSynsets, glove.c, glove.vocab, wordnet.ReverseOptions{Synsets: 60, Seed: 1, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][4]int{ // mean, mean-PC, SIF, SIF-PC
		"basin":        {0, 1, 0, 1},
		"additionally": {0, 20, 72, 1},
	}
	found := 0
	for i, w := range rep.Targets {
		if r, ok := want[w]; ok {
			found++
			got := [4]int{rep.Ranks(0)[i], rep.Ranks(1)[i], rep.Ranks(2)[i], rep.Ranks(3)[i]}
			if got != r {
				t.Errorf("%s: ranks %v, want %v", w, got, r)
			}
		}
	}
	if found != len(want) {
		t.Errorf("%d of the %d hand-checked targets drawn", found, len(want))
	}
}

// Three documents with a known order: the query about a cat finds the cat
// definition first by keyword (the only one with "cat"), by vector and by
// fusion.
func TestGlossRetrievalHandChecked(t *testing.T) {
	loadGloVe(t)
	ss := []wordnet.Synset{
		{Offset: 1, POS: 'n', Lemmas: []string{"car"}, Definition: "a motor car with four wheels", Examples: []string{"he drove his new car to work"}},
		{Offset: 2, POS: 'n', Lemmas: []string{"cat"}, Definition: "a small domesticated cat kept as a pet", Examples: []string{"the cat purred on her lap"}},
		{Offset: 3, POS: 'n', Lemmas: []string{"river"}, Definition: "a large natural river of water", Examples: []string{"they swam across the river"}},
	}
	rep, err := wordnet.GlossRetrieval(context.Background(), ss, glove.vocab, wordnet.GlossOptions{Mean: true, NoPC: true, Exact: true, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queries != 3 {
		t.Fatalf("%d queries, want 3", rep.Queries)
	}
	for m, row := range rep.Rows {
		for q, id := range rep.QueryIDs {
			// keyword: "car", "cat" and "river" each occur in their own
			// definition only; the vector and hybrid rankings agree here.
			if r := rep.Ranks(m)[q]; r != 1 {
				t.Errorf("%s, query %s: rank %d, want 1", row.Mode, id, r)
			}
		}
		if row.R10 != 1 || row.MRR != 1 {
			t.Errorf("%s: recall@10 %v, MRR %v; want 1, 1", row.Mode, row.R10, row.MRR)
		}
	}
}
