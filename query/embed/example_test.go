package embed_test

import (
	"context"
	"fmt"

	"github.com/vecbolt/vecbolt/query/embed"
)

func ExampleParseSpec() {
	s, _ := embed.ParseSpec("words:glove?pool=sif")
	fmt.Println(s)
	s, _ = embed.ParseSpec("ollama:nomic-embed-text:latest")
	fmt.Println(s.Provider, s.Model)
	// Output:
	// words:glove?a=0.001&p=zipf&pc=1&pieces=none&pool=sif
	// ollama nomic-embed-text:latest
}

func ExampleNewWords() {
	vocab := newMapVocab(2).add("king", 0, 1).add("queen", 1, 1)
	w, _ := embed.NewWords(vocab, embed.WordsOptions{Collection: "glove"})
	es, _ := w.Embed(context.Background(), []string{"The King and the Queen"})
	fmt.Println(es[0].Vector, es[0].OOV)
	// Output:
	// [0.5 1] [the and the]
}
