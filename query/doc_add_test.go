package query_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
	"github.com/vecbolt/vecbolt/store"
)

// wordVecs is a tiny vocabulary: animals near the first axis, vehicles
// near the second, function words near the third.
var wordVecs = []struct {
	w string
	v []float32
}{
	{"the", []float32{0.1, 0.1, 1, 0}},
	{"a", []float32{0.1, 0.2, 0.9, 0.1}},
	{"cat", []float32{1, 0.1, 0, 0.2}},
	{"dog", []float32{0.9, 0.2, 0.1, 0.3}},
	{"fish", []float32{0.8, 0, 0.2, -0.3}},
	{"pet", []float32{1, 0, 0.1, 0}},
	{"car", []float32{0.1, 1, 0, 0.2}},
	{"road", []float32{0, 0.9, 0.2, -0.1}},
	{"engine", []float32{0.2, 0.8, 0, 0.4}},
	{"runs", []float32{0.3, 0.3, 0.3, 0.3}},
	{"swims", []float32{0.5, -0.2, 0.3, -0.4}},
}

// textDB creates a words collection and a docs collection embedding with
// spec over it.
func textDB(t testing.TB, spec string) (*query.DB, *query.Collection, string) {
	t.Helper()
	db, path := openTemp(t)
	words, err := db.CreateCollection(ctx, "words", query.CollectionConfig{Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]query.Record, len(wordVecs))
	for i, wv := range wordVecs {
		recs[i] = query.Record{Key: wv.w, Vector: wv.v}
	}
	if err := words.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	docs, err := db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 4, Embedder: spec})
	if err != nil {
		t.Fatal(err)
	}
	return db, docs, path
}

// meanOf pools the vectors of the known words of s by plain mean, in
// float64, split on spaces: the reference for words:…?pool=mean.
func meanOf(s string) []float32 {
	sum := make([]float64, 4)
	n := 0
	for _, w := range strings.Fields(strings.ToLower(s)) {
		for _, wv := range wordVecs {
			if wv.w == w {
				for i, x := range wv.v {
					sum[i] += float64(x)
				}
				n++
			}
		}
	}
	out := make([]float32, 4)
	for i := range out {
		out[i] = float32(sum[i] / float64(n))
	}
	return out
}

func TestAddDocumentsMean(t *testing.T) {
	db, docs, _ := textDB(t, "words:words")
	in := []query.Document{
		{Key: "d1", Text: "The cat runs", Metadata: []byte(`{"kind":"pet"}`)},
		{Key: "d2", Text: "a car road engine"},
		{Key: "d3", Text: "the fish swims zzz qqq zzz"},
	}
	rep, err := docs.AddDocuments(ctx, in, query.DocumentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents != 3 || rep.Records != 3 || rep.OOV != 3 || fmt.Sprint(rep.OOVWords) != "[qqq zzz]" || rep.Words != 3+4+6 {
		t.Fatalf("report %+v", rep)
	}
	for _, d := range in {
		r, err := docs.Get(ctx, d.Key)
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != d.Text {
			t.Errorf("%s: text %q", d.Key, r.Text)
		}
		want := meanOf(d.Text)
		for i := range want {
			if math.Abs(float64(r.Vector[i]-want[i])) > 1e-6 {
				t.Fatalf("%s: vector %v, want the mean %v", d.Key, r.Vector, want)
			}
		}
	}
	res, err := docs.SearchText(ctx, "pet dog", 3, query.TextSearchOptions{SearchOptions: query.SearchOptions{WithText: true, WithMetadata: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Key != "d1" || res[0].Text != "The cat runs" || string(res[0].Metadata) != `{"kind":"pet"}` || res[0].VectorRank != 1 {
		t.Fatalf("vector search: %+v", res)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// failing is an embedder that matches "ollama:fake" and fails or returns
// vectors of the wrong dimension.
type failing struct {
	dim int
	err error
}

func (f failing) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = make([]float32, f.dim)
		out[i][0] = 1
	}
	return out, nil
}

func (f failing) EmbedQuery(ctx context.Context, s string) ([]float32, error) {
	v, err := f.EmbedDocuments(ctx, []string{s})
	if err != nil {
		return nil, err
	}
	return v[0], nil
}
func (f failing) Spec() embed.Spec { return embed.Spec{Provider: "ollama", Model: "fake"} }
func (f failing) Dim() int         { return 0 }

func TestAddDocumentsErrors(t *testing.T) {
	db, docs, _ := textDB(t, "words:words")
	if _, err := docs.AddDocuments(ctx, []query.Document{{Key: "ok", Text: "cat"}}, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("cat ", 11)
	for _, tc := range []struct {
		name string
		doc  query.Document
		opts query.DocumentOptions
		is   []error
		msg  string
	}{
		{"empty", query.Document{Key: "e", Text: "  ...  "}, query.DocumentOptions{}, []error{query.ErrInvalidText, query.ErrEmptyText}, ""},
		{"utf8", query.Document{Key: "u", Text: "cat \xff"}, query.DocumentOptions{}, []error{query.ErrInvalidText, text.ErrInvalidUTF8}, ""},
		{"unknown", query.Document{Key: "n", Text: "zzz qqq"}, query.DocumentOptions{}, []error{embed.ErrNoKnownTokens}, "zzz"},
		{"huge", query.Document{Key: "h", Text: long}, query.DocumentOptions{MaxTokens: 10}, []error{query.ErrTooManyTokens}, "limit is 10"},
		{"exists-chunked", query.Document{Key: "ok", Text: long}, query.DocumentOptions{ChunkTokens: 4}, []error{query.ErrDocumentExists}, ""},
		{"overlap", query.Document{Key: "o", Text: long}, query.DocumentOptions{ChunkTokens: 4, ChunkOverlap: 4}, []error{text.ErrOption}, ""},
		{"server", query.Document{Key: "s", Text: "cat"}, query.DocumentOptions{Embedder: failing{err: embed.ErrUnavailable}}, []error{embed.ErrSpecMismatch}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			batch := []query.Document{{Key: "fine", Text: "the dog"}, tc.doc}
			_, err := docs.AddDocuments(ctx, batch, tc.opts)
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Fatalf("err = %v, want %v", err, target)
				}
			}
			if !strings.Contains(fmt.Sprint(err), tc.msg) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.msg)
			}
			var te *query.TextError
			if tc.name != "server" && tc.name != "exists-chunked" && tc.name != "overlap" && (!errors.As(err, &te) || te.Index != 1 || te.Key != tc.doc.Key) {
				t.Fatalf("err = %v, want a *query.TextError naming document 1", err)
			}
			if docs.Len() != 1 || docs.Has("fine") {
				t.Fatalf("a failed AddDocuments wrote records (%d)", docs.Len())
			}
		})
	}
	// A server embedder that fails or answers with the wrong dimension
	// writes nothing.
	srv, err := db.CreateCollection(ctx, "srv", query.CollectionConfig{Dim: 4, Embedder: "ollama:fake"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []failing{{err: fmt.Errorf("down: %w", embed.ErrUnavailable)}, {dim: 3}} {
		_, err := srv.AddDocuments(ctx, []query.Document{{Key: "a", Text: "cat"}}, query.DocumentOptions{Embedder: f})
		if !errors.Is(err, embed.ErrUnavailable) && !errors.Is(err, embed.ErrDimension) {
			t.Fatalf("server failure: err = %v", err)
		}
		if srv.Len() != 0 {
			t.Fatal("a failed embedder wrote records")
		}
	}
	// No embedder; an embedder of another dimension.
	plain, _ := db.CreateCollection(ctx, "plain", query.CollectionConfig{Dim: 4})
	if _, err := plain.AddDocuments(ctx, []query.Document{{Key: "a", Text: "cat"}}, query.DocumentOptions{}); !errors.Is(err, query.ErrNoEmbedder) {
		t.Fatalf("no embedder: %v", err)
	}
	if _, err := db.CreateCollection(ctx, "wide", query.CollectionConfig{Dim: 5, Embedder: "words:words"}); !errors.Is(err, embed.ErrDimension) {
		t.Fatalf("create with a words collection of another dimension: %v", err)
	}
	if _, err := db.CreateCollection(ctx, "self", query.CollectionConfig{Dim: 5, Embedder: "words:self"}); err == nil {
		t.Fatal("a collection that is its own vocabulary was created")
	}
	// The words collection may come later; its dimension is checked then.
	late, err := db.CreateCollection(ctx, "late", query.CollectionConfig{Dim: 5, Embedder: "words:later"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := late.AddDocuments(ctx, []query.Document{{Key: "a", Text: "cat"}}, query.DocumentOptions{}); !errors.Is(err, query.ErrUnknownCollection) {
		t.Fatalf("missing words collection: %v", err)
	}
	if _, err := db.CreateCollection(ctx, "later", query.CollectionConfig{Dim: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := late.AddDocuments(ctx, []query.Document{{Key: "a", Text: "cat"}}, query.DocumentOptions{}); !errors.Is(err, embed.ErrDimension) {
		t.Fatalf("dimension: %v", err)
	}
	// SIF's component needs two texts in the first call.
	sif, err := db.CreateCollection(ctx, "sif", query.CollectionConfig{Dim: 4, Embedder: "words:words?pool=sif"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sif.AddDocuments(ctx, []query.Document{{Key: "a", Text: "the cat"}}, query.DocumentOptions{}); !errors.Is(err, query.ErrTooFewToFit) {
		t.Fatalf("one text for SIF: %v", err)
	}
	// A plain record is replaced by a document of the same key.
	if err := docs.UpsertBatch(ctx, []query.Record{{Key: "rec", Vector: []float32{1, 2, 3, 4}, Metadata: []byte(`{"x":1}`), Text: "old text"}}, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := docs.AddDocuments(ctx, []query.Document{{Key: "rec", Text: "the road"}}, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, err := docs.Get(ctx, "rec"); err != nil || r.Text != "the road" || r.Metadata != nil || r.Vector[1] != meanOf("the road")[1] {
		t.Fatalf("replaced record: %+v, %v", r, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAddDocumentsChunks(t *testing.T) {
	db, docs, _ := textDB(t, "words:words")
	long := "the cat runs the dog runs a fish swims the car runs"
	rep, err := docs.AddDocuments(ctx, []query.Document{
		{Key: "long", Text: long, Metadata: []byte(`{"n":1}`)},
		{Key: "short", Text: "a road engine"},
	}, query.DocumentOptions{ChunkTokens: 4, ChunkOverlap: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 12 words, chunks of 4 advancing by 3: 0-3, 3-6, 6-9, 9-11.
	wantKeys := []string{"long#0", "long#1", "long#2", "long#3", "short"}
	if fmt.Sprint(rep.Keys) != fmt.Sprint(wantKeys) {
		t.Fatalf("keys %v, want %v", rep.Keys, wantKeys)
	}
	wantText := []string{"the cat runs the", "the dog runs a", "a fish swims the", "the car runs"}
	for i, w := range wantText {
		r, err := docs.Get(ctx, wantKeys[i])
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != w || string(r.Metadata) != `{"n":1}` {
			t.Fatalf("%s: text %q meta %s, want %q", wantKeys[i], r.Text, r.Metadata, w)
		}
	}
	res, err := docs.SearchText(ctx, "fish swims", 2, query.TextSearchOptions{SearchOptions: query.SearchOptions{WithText: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Key != "long" || res[0].Chunk != "long#2" || res[0].Text != "a fish swims the" || res[1].Key != "short" {
		t.Fatalf("merged: %+v", res)
	}
	res, err = docs.SearchText(ctx, "fish swims", 2, query.TextSearchOptions{Chunks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Key != "long#2" || !strings.HasPrefix(res[1].Key, "long#") {
		t.Fatalf("chunks: %+v", res)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := docs.DeleteDocuments(ctx, "long")
	if err != nil || n != 4 {
		t.Fatalf("DeleteDocuments = %d, %v", n, err)
	}
	if docs.Len() != 1 {
		t.Fatalf("%d records left", docs.Len())
	}
	// The key is free again, chunked or not.
	if _, err := docs.AddDocuments(ctx, []query.Document{{Key: "long", Text: long}}, query.DocumentOptions{ChunkTokens: 6}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAddDocumentsSIF: the first AddDocuments fits the component and
// stores it; it survives a reopen, is applied to queries (a document's own
// text finds it with similarity 1) and to later documents, and Reembed
// refits it to the same vectors when nothing changed.
func TestAddDocumentsSIF(t *testing.T) {
	db, docs, path := textDB(t, "words:words?pool=sif")
	texts := []string{"the cat runs", "a dog swims", "the car road", "a fish swims", "engine runs the road"}
	var in []query.Document
	for i, s := range texts {
		in = append(in, query.Document{Key: fmt.Sprint("d", i), Text: s})
	}
	rep, err := docs.AddDocuments(ctx, in[:4], query.DocumentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Fitted {
		t.Fatal("first AddDocuments did not fit the component")
	}
	rep, err = docs.AddDocuments(ctx, in[4:], query.DocumentOptions{})
	if err != nil || rep.Fitted {
		t.Fatalf("second AddDocuments: fitted %t, %v", rep.Fitted, err)
	}
	before, err := docs.GetMany(ctx, []string{"d0", "d1", "d2", "d3", "d4"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	docs, err = db.Collection(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		res, err := docs.SearchText(ctx, s, 1, query.TextSearchOptions{SearchOptions: query.SearchOptions{Exact: true}})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Key != fmt.Sprint("d", i) || math.Abs(res[0].Score-1) > 1e-5 {
			t.Fatalf("query %q: %+v, want d%d with similarity 1", s, res[0], i)
		}
	}
	rr, err := docs.Reembed(ctx, query.ReembedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rr.Fitted || rr.Records != 5 {
		t.Fatalf("reembed: %+v", rr)
	}
	after, err := rr.Collection.GetMany(ctx, []string{"d0", "d1", "d2", "d3", "d4"})
	if err != nil {
		t.Fatal(err)
	}
	// Refitted on all five texts now, not the first four: close to, not
	// equal to, the vectors before.
	changed := false
	for i := range before {
		if after[i].Text != before[i].Text {
			t.Fatalf("reembed changed %s's text", before[i].Key)
		}
		for j := range before[i].Vector {
			if before[i].Vector[j] != after[i].Vector[j] {
				changed = true
			}
		}
	}
	if !changed {
		t.Fatal("reembed on a larger sample left every vector unchanged")
	}
	if _, err := docs.SearchText(ctx, "cat", 1, query.TextSearchOptions{}); !errors.Is(err, query.ErrClosed) {
		t.Fatalf("old handle after reembed: %v", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEmbedderMismatch(t *testing.T) {
	_, docs, _ := textDB(t, "words:words")
	err := docs.UseEmbedder(failing{dim: 4})
	var me *embed.MismatchError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "words:words") {
		t.Fatalf("UseEmbedder(other spec) = %v, want a *embed.MismatchError naming both", err)
	}
	if _, err := docs.SearchText(ctx, "cat", 1, query.TextSearchOptions{Embedder: failing{dim: 4}}); !errors.Is(err, embed.ErrSpecMismatch) {
		t.Fatalf("SearchText with another embedder: %v", err)
	}
	if _, err := docs.SearchText(ctx, "zzz", 1, query.TextSearchOptions{}); !errors.Is(err, embed.ErrNoKnownTokens) {
		t.Fatalf("query with no known word: %v", err)
	}
	if _, err := docs.SearchText(ctx, "cat", 1, query.TextSearchOptions{Mode: "fuzzy"}); !errors.Is(err, query.ErrTextMode) {
		t.Fatalf("bad mode: %v", err)
	}
}

// TestCheckFindsWrongTerms: terms stored behind query's back that are not
// those of the text are reported by Check.
func TestCheckFindsWrongTerms(t *testing.T) {
	db, docs, _ := textDB(t, "words:words")
	if _, err := docs.AddDocuments(ctx, []query.Document{{Key: "a", Text: "the cat"}}, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Store().Update(func(tx *store.Tx) error {
		sc, err := tx.Collection("docs")
		if err != nil {
			return err
		}
		id, _ := sc.ID("a")
		return sc.PutText(id, &store.Text{Text: "the cat", Terms: []store.TermFreq{{Term: "dog", Freq: 1}}, Len: 2})
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), "BM25 terms") {
		t.Fatalf("Check = %v, want the wrong terms reported", err)
	}
}

// TestAddDocumentsTooLarge: a document over text.MaxTextBytes is refused
// naming the limit, chunked or not.
func TestAddDocumentsTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 16 MiB text")
	}
	_, docs, _ := textDB(t, "words:words")
	huge := strings.Repeat("cat ", text.MaxTextBytes/4+1)
	for _, o := range []query.DocumentOptions{{}, {ChunkTokens: 100}} {
		_, err := docs.AddDocuments(ctx, []query.Document{{Key: "h", Text: huge}}, o)
		var tl *text.TooLargeError
		if !errors.As(err, &tl) || tl.Limit != text.MaxTextBytes || !errors.Is(err, query.ErrInvalidText) {
			t.Fatalf("chunk %d: err = %v, want a *text.TooLargeError naming the limit", o.ChunkTokens, err)
		}
	}
}

// TestTextConcurrent: documents added while others search; run under
// -race.
func TestTextConcurrent(t *testing.T) {
	db, docs, _ := textDB(t, "words:words")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				d := query.Document{Key: fmt.Sprintf("w%d-%d", w, i), Text: wordVecs[(w+i)%len(wordVecs)].w + " cat road runs the dog"}
				if _, err := docs.AddDocuments(ctx, []query.Document{d}, query.DocumentOptions{ChunkTokens: 3, ChunkOverlap: 1}); err != nil {
					errs <- err
					return
				}
				for _, m := range []string{query.ModeVector, query.ModeKeyword, query.ModeHybrid} {
					if _, err := docs.SearchText(ctx, "cat road", 3, query.TextSearchOptions{Mode: m}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEmbedQueryReportsOOV(t *testing.T) {
	_, docs, _ := textDB(t, "words:words")
	v, rep, err := docs.EmbedQuery(ctx, "The cat zzz and qqq", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Words != 5 || fmt.Sprint(rep.OOV) != "[zzz and qqq]" {
		t.Fatalf("report %+v", rep)
	}
	want := meanOf("the cat")
	for i := range want {
		if math.Abs(float64(v[i]-want[i])) > 1e-6 {
			t.Fatalf("vector %v, want %v", v, want)
		}
	}
}
