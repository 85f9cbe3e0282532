package server_test

import (
	"errors"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/client"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// TestSearchText serves text search: over HTTP the answers are the
// collection's own (the same keys, scores and ranks in every mode), a
// document about coffee comes first for a question about coffee, keyword
// search works on text written through the API, and vector search on a
// collection without an embedder is 422 no_embedder, which the client
// reports as query.ErrNoEmbedder.
func TestSearchText(t *testing.T) {
	db, _ := sampleDBWith(t, 1000, "espresso", "coffee", "brewed", "forcing", "hot", "water", "ground", "beans", "team", "scored", "late",
		"goal", "win", "football", "match", "heavy", "rain", "strong", "wind", "expected", "across", "north", "tonight", "shares", "fell",
		"investors", "worried", "bank", "interest", "rates")
	ctx := t.Context()
	docs, err := db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 100, Embedder: "words:words"})
	if err != nil {
		t.Fatal(err)
	}
	corpus := []query.Document{
		{Key: "coffee", Text: "espresso is strong coffee brewed by forcing hot water through ground beans"},
		{Key: "football", Text: "the team scored a late goal to win the football match"},
		{Key: "rain", Text: "heavy rain and strong wind are expected across the north tonight"},
		{Key: "stocks", Text: "shares fell as investors worried about the bank and interest rates"},
	}
	if _, err := docs.AddDocuments(ctx, corpus, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(db, server.Options{}))
	defer ts.Close()
	cl, err := client.New(ts.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := "espresso coffee"
	for _, mode := range []string{query.ModeVector, query.ModeKeyword, query.ModeHybrid} {
		opts := query.TextSearchOptions{Mode: mode, SearchOptions: query.SearchOptions{WithText: true}}
		want, err := docs.SearchText(ctx, q, 3, opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cl.Collection("docs").SearchText(ctx, q, 3, opts)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if len(got) != len(want) || len(got) == 0 || got[0].Key != "coffee" || got[0].Text != corpus[0].Text {
			t.Fatalf("%s: %+v, want coffee first (in process: %+v)", mode, got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Key != w.Key || g.Chunk != w.Chunk || float32(g.Score) != float32(w.Score) ||
				g.VectorRank != w.VectorRank || g.KeywordRank != w.KeywordRank || g.KeywordScore != w.KeywordScore {
				t.Errorf("%s #%d: over HTTP %+v, in process %+v", mode, i, g, w)
			}
		}
	}

	// A collection without an embedder: keyword search over text written
	// through the API, vector search refused.
	plain := cl.Collection("plain")
	if _, err := cl.CreateCollection(ctx, "plain", query.CollectionConfig{Dim: 2}); err != nil {
		t.Fatal(err)
	}
	if err := plain.Upsert(ctx, query.Record{Key: "a", Vector: []float32{1, 0}, Text: "red apples"}, query.Record{Key: "b", Vector: []float32{0, 1}, Text: "green pears"}); err != nil {
		t.Fatal(err)
	}
	res, err := plain.SearchText(ctx, "pears", 5, query.TextSearchOptions{Mode: query.ModeKeyword})
	if err != nil || len(res) != 1 || res[0].Key != "b" {
		t.Fatalf("keyword search without an embedder: %+v %v", res, err)
	}
	_, err = plain.SearchText(ctx, "pears", 5, query.TextSearchOptions{})
	var ae *api.Error
	if !errors.Is(err, query.ErrNoEmbedder) || !errors.As(err, &ae) || ae.Status != 422 || ae.Code != "no_embedder" {
		t.Fatalf("vector search without an embedder: %v", err)
	}
	rec, err := plain.Get(ctx, "a")
	if err != nil || rec.Text != "red apples" {
		t.Fatalf("text did not round-trip: %+v %v", rec, err)
	}

	// Bad input.
	for _, tc := range []struct {
		req    api.SearchRequest
		status int
		code   string
	}{
		{api.SearchRequest{Text: "coffee", Mode: "psychic"}, 400, "invalid_mode"},
		{api.SearchRequest{Text: "coffee", Mode: "hybrid", Weight: 2}, 400, "bad_request"},
		{api.SearchRequest{Text: "coffee", Candidates: 1 << 20}, 400, "limit_exceeded"},
		{api.SearchRequest{Text: "zzqx qqzx"}, 422, "no_known_words"},
		{api.SearchRequest{Key: "coffee", Mode: "keyword"}, 400, "bad_request"},
		{api.SearchRequest{Text: "coffee", WithVectors: true}, 400, "bad_request"},
	} {
		st, raw := call(t, ts, "", "POST", "/v1/collections/docs/search", tc.req, nil)
		if st != tc.status || errCode(raw) != tc.code {
			t.Errorf("%+v: %d %s, want %d %s", tc.req, st, raw, tc.status, tc.code)
		}
	}
	_ = slices.Equal[[]string]
}
