package server_test

import (
	"errors"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/client"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// TestAddDocumentsHTTP adds documents through POST .../documents: the
// server embeds them with the collection's embedder, so the stored vectors
// equal those of the same documents added in process; long documents are
// chunked into KEY#i records; deleting the document's key over HTTP
// deletes its chunks; and every bad request is refused with its code,
// writing nothing.
func TestAddDocumentsHTTP(t *testing.T) {
	db, _ := sampleDBWith(t, 1000, "espresso", "coffee", "brewed", "hot", "water", "ground", "beans", "team", "scored",
		"goal", "win", "football", "match", "heavy", "rain", "strong", "wind")
	ctx := t.Context()
	spec := query.CollectionConfig{Dim: 100, Embedder: "words:words"}
	local, err := db.CreateCollection(ctx, "local", spec)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(db, server.Options{Limits: server.Limits{MaxBatch: 4}}))
	defer ts.Close()
	cl, err := client.New(ts.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateCollection(ctx, "remote", spec); err != nil {
		t.Fatal(err)
	}
	remote := cl.Collection("remote")
	docs := []query.Document{
		{Key: "coffee", Text: "espresso coffee brewed with hot water", Metadata: []byte(`{"topic":"food"}`)},
		{Key: "football", Text: "the team scored a goal to win the match"},
		{Key: "weather", Text: "heavy rain and strong wind"},
	}
	rep, err := remote.AddDocuments(ctx, docs, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents != 3 || rep.Written != 3 || rep.Records != 3 || !slices.Equal(rep.Keys, []string{"coffee", "football", "weather"}) {
		t.Errorf("report %+v", rep)
	}
	if _, err := local.AddDocuments(ctx, docs, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	rc, err := db.Collection(ctx, "remote")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		want, err := local.Get(ctx, d.Key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rc.Get(ctx, d.Key)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Vector, want.Vector) || got.Text != d.Text || string(got.Metadata) != string(want.Metadata) {
			t.Errorf("%s: over HTTP %+v, in process %+v", d.Key, got, want)
		}
	}

	// Chunked: 9 words in chunks of 4 overlapping by 1 start at 0, 3 and 6.
	rep, err = remote.AddDocuments(ctx, []query.Document{{Key: "long", Text: "espresso coffee brewed with hot water for the team"}}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Keys, []string{"long#0", "long#1", "long#2"}) || rep.Records != 6 {
		t.Errorf("chunked report %+v", rep)
	}
	if n, err := remote.Delete(ctx, "long"); err != nil || n != 3 {
		t.Errorf("deleting the chunked document's key: %d records, %v; want its 3 chunks", n, err)
	}

	// Bad requests: each refused with its code, nothing written.
	if _, err := cl.CreateCollection(ctx, "plain", query.CollectionConfig{Dim: 100}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		coll    string
		docs    []query.Document
		tokens  int
		overlap int
		want    error
	}{
		{"no embedder", "plain", docs[:1], 0, 0, query.ErrNoEmbedder},
		{"no documents", "remote", nil, 0, 0, api.ErrBadRequest},
		{"beyond the batch limit", "remote", slices.Repeat(docs[:1], 5), 0, 0, api.ErrLimit},
		{"overlap not below chunk size", "remote", docs[:1], 4, 4, api.ErrBadRequest},
		{"empty text", "remote", []query.Document{{Key: "e", Text: "  "}}, 0, 0, query.ErrInvalidText},
		{"no known word", "remote", []query.Document{{Key: "z", Text: "zzzqx qqqzz"}}, 0, 0, embed.ErrNoKnownTokens},
		{"unknown collection", "nosuch", docs[:1], 0, 0, query.ErrUnknownCollection},
	} {
		before := statsCount(t, db, "remote")
		batch := tc.docs
		if batch != nil && len(batch) < 4 {
			// a good document beside the bad one is not written either
			batch = append([]query.Document{{Key: "fine", Text: "hot coffee"}}, batch...)
		}
		_, err := cl.Collection(tc.coll).AddDocuments(ctx, batch, tc.tokens, tc.overlap)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if after := statsCount(t, db, "remote"); after != before {
			t.Errorf("%s: %d records after a refused add, %d before", tc.name, after, before)
		}
	}
}

// statsCount returns the number of records in a collection of db.
func statsCount(t *testing.T, db *query.DB, name string) int {
	t.Helper()
	c, err := db.Collection(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c.Len()
}
