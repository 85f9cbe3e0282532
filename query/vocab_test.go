package query_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
)

var _ embed.Vocabulary = (*query.Vocabulary)(nil)

func TestVocabularyMatchesRecords(t *testing.T) {
	ctx := context.Background()
	db, err := query.Open(filepath.Join(t.TempDir(), "v.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.CreateCollection(ctx, "w", query.CollectionConfig{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := query.NewVocabulary(ctx, c); !errors.Is(err, query.ErrEmptyVocabulary) {
		t.Fatalf("empty collection: got %v, want ErrEmptyVocabulary", err)
	}
	// Inserted one by one in this order: the rank is the position here,
	// and the vectors are as written (not unit length under cosine).
	words := []string{"the", "of", "cat", "dog", "zebra"}
	vecs := [][]float32{{3, 4}, {1, 0}, {0, 2}, {-1, 1}, {5, -5}}
	for i, w := range words {
		if err := c.Upsert(ctx, w, vecs[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	v, err := query.NewVocabulary(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != len(words) || v.Dim() != 2 {
		t.Fatalf("Len, Dim = %d, %d; want %d, 2", v.Len(), v.Dim(), len(words))
	}
	for i, w := range words {
		vec, rank, ok := v.Lookup(w)
		if !ok || rank != i+1 || !slices.Equal(vec, vecs[i]) {
			t.Errorf("Lookup(%q) = %v, %d, %v; want %v, %d, true", w, vec, rank, ok, vecs[i], i+1)
		}
	}
	if _, _, ok := v.Lookup("Cat"); ok {
		t.Error(`Lookup("Cat") found a word stored as "cat"`)
	}
	// A write after the snapshot is not seen by it.
	if err := c.Upsert(ctx, "new", []float32{1, 1}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := v.Lookup("new"); ok {
		t.Error("the snapshot saw a later write")
	}
	db.Close()
	if _, err := query.NewVocabulary(ctx, c); !errors.Is(err, query.ErrClosed) {
		t.Fatalf("closed: got %v, want ErrClosed", err)
	}
}

// The words embedder over a collection's vocabulary pools the stored
// vectors: the mean of "cat dog" is the mean of their records.
func TestVocabularyWithWordsEmbedder(t *testing.T) {
	ctx := context.Background()
	db, err := query.Open(filepath.Join(t.TempDir(), "v.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.CreateCollection(ctx, "w", query.CollectionConfig{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	for w, vec := range map[string][]float32{"cat": {0, 2}, "dog": {-1, 1}} {
		if err := c.Upsert(ctx, w, vec, nil); err != nil {
			t.Fatal(err)
		}
	}
	v, err := query.NewVocabulary(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	e, err := embed.NewWords(v, embed.WordsOptions{Collection: "w"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.EmbedQuery(ctx, "Cat, DOG!")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{-0.5, 1.5}; !slices.Equal(got, want) {
		t.Fatalf("EmbedQuery = %v, want %v", got, want)
	}
}
