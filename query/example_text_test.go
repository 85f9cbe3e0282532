package query_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vecbolt/vecbolt/query"
)

// Documents embedded offline with a word-vector collection of the same
// database, then found by vector, keyword and hybrid search.
func ExampleCollection_SearchText() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := query.Open(filepath.Join(dir, "docs.db"), query.Options{NoSync: true})
	if err != nil {
		panic(err)
	}
	defer db.Close()

	words, _ := db.CreateCollection(ctx, "words", query.CollectionConfig{Dim: 3})
	_ = words.UpsertBatch(ctx, []query.Record{
		{Key: "cat", Vector: []float32{1, 0, 0}},
		{Key: "kitten", Vector: []float32{0.9, 0.1, 0}},
		{Key: "car", Vector: []float32{0, 1, 0}},
		{Key: "engine", Vector: []float32{0.1, 0.9, 0}},
		{Key: "the", Vector: []float32{0.3, 0.3, 1}},
	}, query.BatchOptions{})

	docs, _ := db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 3, Embedder: "words:words"})
	fmt.Println(docs.Config().Embedder)
	rep, err := docs.AddDocuments(ctx, []query.Document{
		{Key: "pets", Text: "The cat and the kitten"},
		{Key: "cars", Text: "The car engine"},
	}, query.DocumentOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Keys, "out of vocabulary:", rep.OOVWords)

	for _, mode := range []string{query.ModeVector, query.ModeKeyword, query.ModeHybrid} {
		hits, err := docs.SearchText(ctx, "kitten", 2, query.TextSearchOptions{Mode: mode})
		if err != nil {
			panic(err)
		}
		fmt.Print(mode, ":")
		for _, h := range hits {
			fmt.Printf(" %s", h.Key)
		}
		fmt.Println()
	}
	// Output:
	// words:words?pc=0&pieces=none&pool=mean
	// [pets cars] out of vocabulary: [and]
	// vector: pets cars
	// keyword: pets
	// hybrid: pets cars
}
