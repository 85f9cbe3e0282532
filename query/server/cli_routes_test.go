package server_test

import (
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// TestCLIRoutes covers the routes `vecbolt --server` needs beyond the
// basic ones: key pages, metadata, delete options, paging, similar,
// similarity and the centrality ranking, each against a reference computed
// here, and each route's bad input.
func TestCLIRoutes(t *testing.T) {
	ts, db := newTestServer(t, server.Options{})
	recs := setup(t, ts, "", 40)
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = r.Key
	}
	sort.Strings(keys)

	// Key pages: every key once, in order, next chaining the pages.
	var got []string
	after := ""
	for {
		var page api.KeysResponse
		if st, raw := call(t, ts, "", "GET", "/v1/collections/c/keys?limit=7&after="+url.QueryEscape(after), nil, &page); st != 200 {
			t.Fatalf("keys: %d %s", st, raw)
		}
		got = append(got, page.Keys...)
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("paged keys %v, want %v", got, keys)
	}
	var page api.KeysResponse
	call(t, ts, "", "GET", "/v1/collections/c/keys?prefix=k00&filter="+url.QueryEscape("even = true"), nil, &page)
	if strings.Join(page.Keys, ",") != "k000,k002,k004,k006,k008" || page.Next != "" {
		t.Errorf("keys with prefix and filter: %+v", page)
	}

	// Metadata only: the vector stays.
	var up api.UpsertResponse
	if st, raw := call(t, ts, "", "PUT", "/v1/collections/c/records/k001/metadata", `{"metadata":{"tag":"x"}}`, &up); st != 200 || up.Records != 40 {
		t.Fatalf("metadata: %d %s", st, raw)
	}
	var rec api.Record
	call(t, ts, "", "GET", "/v1/collections/c/records/k001", nil, &rec)
	if string(rec.Metadata) != `{"tag":"x"}` || !slices.Equal(rec.Vector, recs[1].Vector) {
		t.Errorf("after the metadata write: %s %v", rec.Metadata, rec.Vector)
	}
	// An upsert counts the keys it replaces, once each.
	call(t, ts, "", "POST", "/v1/collections/c/records", api.UpsertRequest{Records: []api.Record{recs[2], recs[2], {Key: "new", Vector: recs[3].Vector}}}, &up)
	if up.Replaced != 1 || up.Records != 41 {
		t.Errorf("upsert answer %+v, want 1 replaced and 41 records", up)
	}
	// Delete: missing_ok skips, a filter deletes its matches.
	var del api.DeleteResponse
	call(t, ts, "", "POST", "/v1/collections/c/records/delete", api.DeleteRequest{Keys: []string{"new", "nosuch"}, MissingOK: true}, &del)
	if del.Deleted != 1 || del.Left != 40 {
		t.Errorf("delete missing_ok: %+v", del)
	}
	call(t, ts, "", "POST", "/v1/collections/c/records/delete", api.DeleteRequest{Filter: "i >= 30"}, &del)
	if del.Deleted != 10 || del.Left != 30 {
		t.Errorf("delete by filter: %+v", del)
	}

	// Paging and vectors: the second page of the exact answer.
	var sr api.SearchResponse
	call(t, ts, "", "POST", "/v1/collections/c/search", api.SearchRequest{Vector: recs[0].Vector, K: 3, Offset: 3, Exact: true, WithVectors: true}, &sr)
	want := bruteForce(recs[:30], recs[0].Vector, 6, nil)[3:]
	if !slices.Equal(hitKeys(sr.Hits), want) || len(sr.Hits[0].Vector) != dim {
		t.Errorf("offset 3: %v, want %v (vector %v)", hitKeys(sr.Hits), want, sr.Hits[0].Vector)
	}

	// similar, similarity and the ranking answer what the collection does.
	c, err := db.Collection(t.Context(), "c")
	if err != nil {
		t.Fatal(err)
	}
	var sim api.SimilarResponse
	call(t, ts, "", "POST", "/v1/collections/c/similar", api.SimilarRequest{Positive: []string{"k001", "k002"}, Negative: []string{"k003"}, K: 4, Exact: true}, &sim)
	ref, _ := c.MostSimilar(t.Context(), []string{"k001", "k002"}, []string{"k003"}, 4, querySimilarExact)
	if !slices.Equal(hitKeys(sim.Hits), resultKeys(ref)) {
		t.Errorf("similar %v, want %v", hitKeys(sim.Hits), resultKeys(ref))
	}
	call(t, ts, "", "POST", "/v1/collections/c/similar", api.SimilarRequest{Positive: []string{"k001"}, Among: []string{"k002", "k003"}}, &sim)
	best, _ := c.MostSimilarToGiven(t.Context(), "k001", []string{"k002", "k003"})
	if sim.Best != best {
		t.Errorf("among: %q, want %q", sim.Best, best)
	}
	var s api.SimilarityResponse
	call(t, ts, "", "POST", "/v1/collections/c/similarity", api.SimilarityRequest{A: []string{"k001"}, B: []string{"k002"}}, &s)
	if w := cosine(recs[1].Vector, recs[2].Vector); abs(float64(s.Similarity)-w) > 1e-5 {
		t.Errorf("similarity %v, want %v", s.Similarity, w)
	}
	var dm api.DoesntMatchResponse
	call(t, ts, "", "POST", "/v1/collections/c/doesnt_match", api.DoesntMatchRequest{Keys: []string{"k001", "k002", "k003", "k004"}, Rank: true}, &dm)
	rank, _ := c.RankByCentrality(t.Context(), []string{"k001", "k002", "k003", "k004"})
	if !slices.Equal(hitKeys(dm.Ranking), resultKeys(rank)) || dm.Key != rank[3].Key {
		t.Errorf("ranking %v odd %q, want %v", hitKeys(dm.Ranking), dm.Key, resultKeys(rank))
	}

	// Bad input: each a 4xx with its code.
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/v1/collections/c/keys?limit=x", nil, 400, "bad_request"},
		{"GET", "/v1/collections/c/keys?limit=-1", nil, 400, "bad_request"},
		{"GET", "/v1/collections/c/keys?path=/etc", nil, 400, "bad_request"},
		{"GET", "/v1/collections/c/keys?prefix=a&prefix=b", nil, 400, "bad_request"},
		{"GET", "/v1/collections/c/keys?filter=" + url.QueryEscape("i <"), nil, 400, "syntax_error"},
		{"GET", "/v1/collections/nosuch/keys", nil, 404, "collection_not_found"},
		{"GET", "/v1/collections/c/keys?prefix=" + strings.Repeat("x", 5000), nil, 400, "limit_exceeded"},
		{"PUT", "/v1/collections/c/records/k001/metadata", `{}`, 400, "bad_request"},
		{"PUT", "/v1/collections/c/records/k001/metadata", `{"metadata":[1]}`, 400, "invalid_metadata"},
		{"PUT", "/v1/collections/c/records/nosuch/metadata", `{"metadata":null}`, 404, "key_not_found"},
		{"POST", "/v1/collections/c/records/delete", api.DeleteRequest{Keys: []string{"k001"}, Filter: "i > 1"}, 400, "bad_request"},
		{"POST", "/v1/collections/c/records/delete", api.DeleteRequest{Filter: "i >"}, 400, "syntax_error"},
		{"POST", "/v1/collections/c/records/delete", api.DeleteRequest{Keys: []string{"nosuch"}}, 404, "key_not_found"},
		{"POST", "/v1/collections/c/search", api.SearchRequest{Key: "k001", Offset: -1}, 400, "limit_exceeded"},
		{"POST", "/v1/collections/c/search", api.SearchRequest{Expr: "k001 + k002", Offset: 1}, 400, "bad_request"},
		{"POST", "/v1/collections/c/similar", api.SimilarRequest{Positive: []string{"k001"}, Vector: recs[0].Vector}, 400, "bad_request"},
		{"POST", "/v1/collections/c/similar", api.SimilarRequest{Positive: []string{"k001", "k002"}, Among: []string{"k003"}}, 400, "bad_request"},
		{"POST", "/v1/collections/c/similar", api.SimilarRequest{}, 400, "bad_request"},
		{"POST", "/v1/collections/c/similar", api.SimilarRequest{Positive: []string{"nosuch"}}, 404, "key_not_found"},
		{"POST", "/v1/collections/c/similar", api.SimilarRequest{Vector: []float32{1, 2}}, 422, "dimension_mismatch"},
		{"POST", "/v1/collections/c/similarity", api.SimilarityRequest{A: []string{"k001", "k002"}, B: []string{"k003"}}, 400, "bad_request"},
		{"POST", "/v1/collections/c/similarity", api.SimilarityRequest{A: []string{}, B: []string{"k003"}, Sets: true}, 400, "empty_query"},
		{"POST", "/v1/collections/c/doesnt_match", api.DoesntMatchRequest{Keys: []string{"k001", "nosuch"}, Rank: true}, 404, "key_not_found"},
		{"POST", "/v1/collections/c/eval/analogies?ef=-3", ": s\n", 400, "bad_request"},
	} {
		st, raw := call(t, ts, "", tc.method, tc.path, tc.body, nil)
		if st != tc.status || errCode(raw) != tc.code {
			t.Errorf("%s %s %v: %d %s, want %d %s", tc.method, tc.path, tc.body, st, raw, tc.status, tc.code)
		}
	}
}

var querySimilarExact = query.SimilarOptions{Exact: true}

func resultKeys(rs []query.Result) []string {
	ks := make([]string, len(rs))
	for i, r := range rs {
		ks[i] = r.Key
	}
	return ks
}

func abs(x float64) float64 { return math.Abs(x) }
