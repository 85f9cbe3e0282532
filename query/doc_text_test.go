package query_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
	"github.com/vecbolt/vecbolt/store"
)

// TestRecordText: a record's text is stored with it and comes back from
// Get, GetMany, ForEach, Scan and searches with WithText; "" keeps it, a
// new text replaces it, Delete removes it, and it survives a reopen.
func TestRecordText(t *testing.T) {
	db, path := openTemp(t)
	c, err := db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 3})
	if err != nil {
		t.Fatal(err)
	}
	recs := []query.Record{
		{Key: "a", Vector: []float32{1, 0, 0}, Text: "The quick brown fox"},
		{Key: "b", Vector: []float32{0, 1, 0}, Text: "jumps over the lazy dog"},
		{Key: "c", Vector: []float32{0, 0, 1}},
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "The quick brown fox", "b": "jumps over the lazy dog", "c": ""}
	checkTexts := func(c *query.Collection, want map[string]string) {
		t.Helper()
		for k, w := range want {
			r, err := c.Get(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != w {
				t.Errorf("Get(%q).Text = %q, want %q", k, r.Text, w)
			}
		}
		got, err := c.GetMany(ctx, []string{"a", "b", "c"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			if r.Text != want[r.Key] {
				t.Errorf("GetMany %q: Text %q, want %q", r.Key, r.Text, want[r.Key])
			}
		}
		n := 0
		if err := c.ForEach(ctx, func(r query.Record) error {
			n++
			if r.Text != want[r.Key] {
				t.Errorf("ForEach %q: Text %q, want %q", r.Key, r.Text, want[r.Key])
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		s := c.Scan(ctx, query.ScanOptions{})
		for k, r := range s.All() {
			if r.Text != want[k] {
				t.Errorf("Scan %q: Text %q, want %q", k, r.Text, want[k])
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		res, err := c.Search(ctx, []float32{1, 0.1, 0}, 3, query.SearchOptions{WithText: true, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Text != want[r.Key] {
				t.Errorf("Search %q: Text %q, want %q", r.Key, r.Text, want[r.Key])
			}
		}
		res, err = c.Search(ctx, []float32{1, 0.1, 0}, 3, query.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Text != "" {
				t.Errorf("Search without WithText filled %q's text", r.Key)
			}
		}
		if err := c.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	checkTexts(c, want)

	// "" keeps the text, also when the vector changes; a new text replaces.
	if err := c.Upsert(ctx, "a", []float32{1, 1, 0}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertBatch(ctx, []query.Record{{Key: "b", Vector: []float32{0, 1, 0}, Text: "a lazy cat"}}, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	want["b"] = "a lazy cat"
	checkTexts(c, want)
	if n, err := c.Delete(ctx, "a"); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	delete(want, "a")
	if err := c.Upsert(ctx, "a", []float32{1, 0, 0}, nil); err != nil {
		t.Fatal(err)
	}
	want["a"] = "" // a deleted record's text goes with it
	checkTexts(c, want)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	c, err = db.Collection(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	checkTexts(c, want)
}

// TestRecordTextInvalid: invalid UTF-8 and an oversized text fail the
// whole batch, naming the record, and write nothing.
func TestRecordTextInvalid(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		target     any
	}{
		{"utf8", "ok \xff bad", new(*text.UTF8Error)},
		{"huge", strings.Repeat("a ", text.MaxTextBytes/2+1), new(*text.TooLargeError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.UpsertBatch(ctx, []query.Record{
				{Key: "fine", Vector: []float32{1, 0}, Text: "fine"},
				{Key: "bad", Vector: []float32{0, 1}, Text: tc.text},
			}, query.BatchOptions{})
			var te *query.TextError
			if !errors.As(err, &te) || te.Index != 1 || te.Key != "bad" || !errors.Is(err, query.ErrInvalidText) || !errors.As(err, tc.target) {
				t.Fatalf("err = %v, want a *query.TextError for record 1 wrapping ErrInvalidText and %T", err, tc.target)
			}
			if c.Len() != 0 {
				t.Fatalf("a failed batch wrote %d records", c.Len())
			}
		})
	}
}

// TestCollectionEmbedderSpec: the embedder spec is stored in canonical
// form, survives a reopen, takes part in CreateCollection's comparison,
// and a bad spec is refused.
func TestCollectionEmbedderSpec(t *testing.T) {
	db, path := openTemp(t)
	c, err := db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 4, Embedder: "words:glove?pool=sif"})
	if err != nil {
		t.Fatal(err)
	}
	const canon = "words:glove?a=0.001&p=zipf&pc=1&pieces=none&pool=sif"
	if got := c.Config().Embedder; got != canon {
		t.Fatalf("Embedder = %q, want %q", got, canon)
	}
	if _, err := db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 4, Embedder: canon}); err != nil {
		t.Fatalf("same spec, other spelling: %v", err)
	}
	_, err = db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 4, Embedder: "words:glove"})
	var me *store.ConfigMismatchError
	if !errors.As(err, &me) || me.Field != "Embedder" {
		t.Fatalf("other embedder: err = %v, want a *store.ConfigMismatchError on Embedder", err)
	}
	_, err = db.CreateCollection(ctx, "bad", query.CollectionConfig{Dim: 4, Embedder: "nosuch:model"})
	if !errors.Is(err, embed.ErrSpec) {
		t.Fatalf("bad spec: err = %v, want embed.ErrSpec", err)
	}
	if names, _ := db.Collections(); len(names) != 1 {
		t.Fatalf("a refused spec created a collection: %v", names)
	}
	db.Close()
	db, err = query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg, _, err := db.CollectionInfo("docs")
	if err != nil || cfg.Embedder != canon {
		t.Fatalf("after reopen: Embedder %q, %v", cfg.Embedder, err)
	}
}
