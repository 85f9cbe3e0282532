package text_test

import (
	"context"
	"fmt"

	"github.com/vecbolt/vecbolt/query/text"
)

func ExampleTokenize() {
	toks, _ := text.Tokenize("The café’s 2 croissants, please!")
	for _, t := range toks {
		fmt.Printf("%q [%d:%d]\n", t.Text, t.Start, t.End)
	}
	// Output:
	// "the" [0:3]
	// "café's" [4:13]
	// "2" [14:15]
	// "croissants" [16:26]
	// "please" [28:34]
}

func ExampleChunkText() {
	s := "one two three four five six seven"
	chunks, _, _ := text.ChunkText(s, text.ChunkOptions{Tokens: 3, Overlap: 1})
	for _, c := range chunks {
		fmt.Printf("%q\n", s[c.Start:c.End])
	}
	// Output:
	// "one two three"
	// "three four five"
	// "five six seven"
}

func ExampleSearch() {
	ix := text.NewIndex()
	for id, doc := range []string{"the cat sat on the mat", "the dog sat", "cat cat dog"} {
		toks, _ := text.Tokenize(doc)
		ix.Put(uint64(id), text.Terms(toks))
	}
	hits, _ := text.Search(context.Background(), ix, text.DefaultBM25(), []string{"cat", "sat"}, 2, nil)
	for _, h := range hits {
		fmt.Printf("doc %d %.4f\n", h.Doc, h.Score)
	}
	// Output:
	// doc 0 0.3547
	// doc 2 0.3160
}

func ExampleRRF() {
	vector := []text.Scored[string]{{ID: "a", Score: 0.91}, {ID: "b", Score: 0.85}}
	keyword := []text.Scored[string]{{ID: "b", Score: 7.2}, {ID: "c", Score: 3.1}}
	fused, _ := text.RRF([][]text.Scored[string]{vector, keyword}, text.FuseOptions{})
	for _, f := range fused {
		fmt.Printf("%s %.5f\n", f.ID, f.Score)
	}
	// Output:
	// b 0.03252
	// a 0.01639
	// c 0.01613
}
