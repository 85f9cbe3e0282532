package server_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// setupInt8 creates collection "q" (cosine, dim 8, int8 codes) holding n
// random records, and returns them with the in-process collection.
func setupInt8(t *testing.T, call func(method, path string, body, out any) (int, []byte), db *query.DB, n int) ([]api.Record, *query.Collection) {
	t.Helper()
	cfg := query.CollectionConfig{Dim: dim, Seed: 1, M: 4, EfConstruction: 16, Quantize: "int8"}
	if st, raw := call("POST", "/v1/collections", api.CreateCollectionRequest{Name: "q", Config: cfg}, nil); st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, raw)
	}
	recs := randomRecords(n, 7)
	for i := 0; i < n; i += 500 {
		if st, raw := call("POST", "/v1/collections/q/records", api.UpsertRequest{Records: recs[i:min(n, i+500)]}, nil); st != 200 {
			t.Fatalf("upsert: %d %s", st, raw)
		}
	}
	c, err := db.Collection(context.Background(), "q")
	if err != nil {
		t.Fatal(err)
	}
	return recs, c
}

// TestSearchOversample: a search request's oversample reaches the search.
// On an int8 collection with a narrow beam, oversample 1 (re-rank only the
// k best by code distance) misses true neighbours that oversample 40
// finds: the brute-force answer. Over HTTP, single and batch searches
// answer exactly as the in-process search with the same oversample, and
// scores are exact. Bad values are refused with 400 naming the field.
func TestSearchOversample(t *testing.T) {
	ts, db := newTestServer(t, server.Options{})
	do := func(method, path string, body, out any) (int, []byte) {
		t.Helper()
		return call(t, ts, "", method, path, body, out)
	}
	const k, ef = 10, 10
	recs, c := setupInt8(t, do, db, 2000)
	ctx := context.Background()
	differ := 0
	for qi := 0; qi < 20; qi++ {
		q := recs[qi*97].Vector
		want := bruteForce(recs, q, k, nil)
		for _, over := range []float64{0, 1, 40} {
			local, err := c.Search(ctx, q, k, query.SearchOptions{Ef: ef, Oversample: over})
			if err != nil {
				t.Fatal(err)
			}
			var got api.SearchResponse
			if st, raw := do("POST", "/v1/collections/q/search", api.SearchRequest{Vector: q, K: k, Ef: ef, Oversample: over}, &got); st != 200 {
				t.Fatalf("oversample %v: %d %s", over, st, raw)
			}
			if !reflect.DeepEqual(got.Hits, api.FromResults(local)) {
				t.Errorf("query %d, oversample %v: over HTTP %v, in process %v", qi, over, hitKeys(got.Hits), hitKeys(api.FromResults(local)))
			}
			var batch api.BatchSearchResponse
			if st, raw := do("POST", "/v1/collections/q/search/batch", api.BatchSearchRequest{Vectors: [][]float32{q}, K: k, Ef: ef, Oversample: over}, &batch); st != 200 {
				t.Fatalf("batch, oversample %v: %d %s", over, st, raw)
			}
			if len(batch.Batch) != 1 || !reflect.DeepEqual(batch.Batch[0], got.Hits) {
				t.Errorf("query %d, oversample %v: batch %v, single %v", qi, over, batch.Batch, hitKeys(got.Hits))
			}
			for _, h := range got.Hits {
				if exact := cosine(q, recs[keyIndex(t, h.Key)].Vector); abs(float64(h.Score)-exact) > 1e-5 {
					t.Errorf("query %d, oversample %v: %s scores %v, exactly %v", qi, over, h.Key, h.Score, exact)
				}
			}
			switch keys := hitKeys(got.Hits); {
			case over == 40 && !reflect.DeepEqual(keys, want):
				t.Errorf("query %d, oversample 40: %v, brute force %v", qi, keys, want)
			case over == 1 && !reflect.DeepEqual(keys, want):
				differ++
			}
		}
	}
	if differ == 0 {
		t.Error("oversample 1 found the brute-force answer of all 20 queries: the test cannot tell whether oversample reaches the search")
	}
	t.Logf("oversample 1 missed true neighbours in %d of 20 queries, oversample 40 in none", differ)

	for _, tc := range []struct {
		name, path string
		body       any
		code, msg  string
	}{
		{"negative", "/v1/collections/q/search", api.SearchRequest{Key: "k001", Oversample: -1}, "bad_request", "oversample is -1, it must be in [0, 100]"},
		{"beyond the limit", "/v1/collections/q/search", api.SearchRequest{Key: "k001", Oversample: api.MaxOversample + 0.5}, "limit_exceeded", "oversample is 100.5, it must be in [0, 100]"},
		{"batch negative", "/v1/collections/q/search/batch", api.BatchSearchRequest{Keys: []string{"k001"}, Oversample: -0.5}, "bad_request", "oversample is -0.5"},
		{"batch beyond the limit", "/v1/collections/q/search/batch", api.BatchSearchRequest{Keys: []string{"k001"}, Oversample: 1e9}, "limit_exceeded", "oversample is 1e+09"},
		{"threshold negative", "/v1/collections/q/search", api.SearchRequest{Key: "k001", Threshold: new(float32), Oversample: -2}, "bad_request", "oversample is -2"},
		{"a string", "/v1/collections/q/search", `{"key":"k001","oversample":"3"}`, "bad_request", "oversample"},
		{"overflowing", "/v1/collections/q/search", `{"key":"k001","oversample":1e400}`, "bad_request", "oversample"},
	} {
		st, raw := do("POST", tc.path, tc.body, nil)
		if st != http.StatusBadRequest || errCode(raw) != tc.code || !strings.Contains(string(raw), tc.msg) {
			t.Errorf("%s: %d %s, want 400 %s naming %q", tc.name, st, raw, tc.code, tc.msg)
		}
	}
}

// keyIndex returns i for key "k%03d".
func keyIndex(t *testing.T, key string) int {
	t.Helper()
	i := 0
	for _, c := range strings.TrimPrefix(key, "k") {
		if c < '0' || c > '9' {
			t.Fatalf("key %q", key)
		}
		i = 10*i + int(c-'0')
	}
	return i
}
