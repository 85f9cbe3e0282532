package query_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vecbolt/vecbolt/query"
)

// exampleCollection returns a small collection of four words in a fresh
// database, and a function that removes it.
func exampleCollection() (*query.Collection, func()) {
	dir, err := os.MkdirTemp("", "vecbolt-example")
	if err != nil {
		panic(err)
	}
	db, err := query.Open(filepath.Join(dir, "words.db"), query.Options{NoSync: true})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	c, err := db.CreateCollection(ctx, "words", query.CollectionConfig{Dim: 3})
	if err != nil {
		panic(err)
	}
	err = c.UpsertBatch(ctx, []query.Record{
		{Key: "king", Vector: []float32{0.9, 0.8, 0.1}},
		{Key: "queen", Vector: []float32{0.9, 0.1, 0.8}},
		{Key: "man", Vector: []float32{0.1, 0.9, 0.1}},
		{Key: "woman", Vector: []float32{0.1, 0.2, 0.9}},
	}, query.BatchOptions{})
	if err != nil {
		panic(err)
	}
	return c, func() { db.Close(); os.RemoveAll(dir) }
}

func ExampleCollection_Scan() {
	c, done := exampleCollection()
	defer done()
	s := c.Scan(context.Background(), query.ScanOptions{Limit: 3})
	for key, rec := range s.All() {
		fmt.Println(key, rec.Vector)
	}
	if err := s.Err(); err != nil {
		panic(err)
	}
	// The next page starts after the last key of this one.
	for key := range c.Scan(context.Background(), query.ScanOptions{After: "man"}).Keys() {
		fmt.Println("next:", key)
	}
	// Output:
	// king [0.9 0.8 0.1]
	// man [0.1 0.9 0.1]
	// queen [0.9 0.1 0.8]
	// next: queen
	// next: woman
}

func ExampleCollection_MostSimilar() {
	c, done := exampleCollection()
	defer done()
	ctx := context.Background()
	// gensim 4.2 answers the same: kv.most_similar(positive=["king",
	// "woman"], negative=["man"], topn=1) is [("queen", 0.9693...)],
	// kv.similarity("king", "queen") 0.6644 and kv.rank("king", "queen") 2.
	res, err := c.MostSimilar(ctx, []string{"king", "woman"}, []string{"man"}, 1, query.SimilarOptions{Exact: true})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %.4f\n", res[0].Key, res[0].Score)
	sim, _ := c.Similarity(ctx, "king", "queen")
	rank, _ := c.Rank(ctx, "king", "queen")
	fmt.Printf("similarity %.4f, rank %d\n", sim, rank)
	// Output:
	// queen 0.9693
	// similarity 0.6644, rank 2
}
