package query_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
)

// TestServerEmbedderFromEnvironment: an openai collection reaches the
// server named by OPENAI_BASE_URL with OPENAI_API_KEY (read through
// Options.Embedder.Getenv), neither of which is written to the file; a
// server that fails writes nothing.
func TestServerEmbedderFromEnvironment(t *testing.T) {
	var fail atomic.Bool
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		if r.URL.Path != "/v1/embeddings" {
			http.NotFound(w, r)
			return
		}
		if fail.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"message":"model overloaded","type":"invalid_request_error","code":null}}`))
			return
		}
		var req struct {
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		type item struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []item
		for i, s := range req.Input {
			data = append(data, item{"embedding", i, []float32{float32(len(s)), 1, float32(strings.Count(s, "a"))}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": "m"})
	}))
	defer srv.Close()
	env := map[string]string{"OPENAI_BASE_URL": srv.URL + "/v1", "OPENAI_API_KEY": "sekrit-key"}
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := query.Open(path, query.Options{NoSync: true, Embedder: query.EmbedderOptions{
		Getenv: func(k string) string { return env[k] },
		Client: embed.ClientOptions{MaxRetries: -1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCollection(ctx, "docs", query.CollectionConfig{Dim: 3, Embedder: "openai:m"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddDocuments(ctx, []query.Document{{Key: "x", Text: "banana bread"}, {Key: "y", Text: "rye"}}, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := auth.Load(); got != "Bearer sekrit-key" {
		t.Fatalf("Authorization %q", got)
	}
	r, err := c.Get(ctx, "x")
	if err != nil || r.Vector[0] != 12 || r.Vector[2] != 4 {
		t.Fatalf("x: %v %v", r.Vector, err)
	}
	fail.Store(true)
	_, err = c.AddDocuments(ctx, []query.Document{{Key: "z", Text: "oat"}}, query.DocumentOptions{})
	var se *embed.ServerError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "model overloaded") || c.Has("z") {
		t.Fatalf("failing server: %v (z stored: %t)", err, c.Has("z"))
	}
	if _, err := c.SearchText(ctx, "oat", 1, query.TextSearchOptions{}); !errors.Is(err, embed.ErrServer) {
		t.Fatalf("query through a failing server: %v", err)
	}
	db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("sekrit-key")) || bytes.Contains(raw, []byte(srv.URL)) {
		t.Fatal("the server's key or URL was written to the file")
	}
	if !bytes.Contains(raw, []byte(`"embedder":"openai:m"`)) {
		t.Fatal("the embedder spec is not in the config")
	}
}
