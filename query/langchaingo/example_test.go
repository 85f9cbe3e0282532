package langchaingo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tmc/langchaingo/schema"
	"github.com/tmc/langchaingo/vectorstores"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/langchaingo"
)

func Example() {
	dir, _ := os.MkdirTemp("", "lc-example-")
	defer os.RemoveAll(dir)
	db, err := query.Open(filepath.Join(dir, "rag.db"), query.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	// Any langchaingo embeddings.Embedder: an OpenAI or Ollama client in
	// an application, a deterministic one here.
	st, err := langchaingo.New(db, &hashEmbedder{}, langchaingo.Options{Collection: "notes"})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	_, err = st.AddDocuments(ctx, []schema.Document{
		{PageContent: "The lamp in the kitchen is orange.", Metadata: map[string]any{"room": "kitchen", "size": 100}},
		{PageContent: "The lamp on the patio is yellow.", Metadata: map[string]any{"room": "patio", "size": 800}},
		{PageContent: "The chair in the kitchen is red.", Metadata: map[string]any{"room": "kitchen", "size": 100}},
	})
	if err != nil {
		panic(err)
	}
	docs, err := st.SimilaritySearch(ctx, "the orange lamp in the kitchen", 3,
		vectorstores.WithFilters(map[string]any{"size": map[string]any{"$lt": 500}}),
		vectorstores.WithScoreThreshold(0.5))
	if err != nil {
		panic(err)
	}
	for _, d := range docs {
		fmt.Printf("%.2f %s %v\n", d.Score, d.PageContent, d.Metadata["room"])
	}
	// Output:
	// 0.95 The lamp in the kitchen is orange. kitchen
	// 0.70 The chair in the kitchen is red. kitchen
}
