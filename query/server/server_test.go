package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

const dim = 8

// newTestServer opens a fresh database and serves it with opts.
func newTestServer(t testing.TB, opts server.Options) (*httptest.Server, *query.DB) {
	t.Helper()
	db, err := query.Open(filepath.Join(t.TempDir(), "t.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return newHTTPTest(t, server.New(db, opts)), db
}

// newHTTPTest serves h on a loopback port until the test ends.
func newHTTPTest(t testing.TB, h http.Handler) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// randomRecords returns n seeded records of dimension dim with metadata
// {"i": i, "even": i%2==0}.
func randomRecords(n int, seed uint64) []api.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	recs := make([]api.Record, n)
	for i := range recs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		recs[i] = api.Record{Key: fmt.Sprintf("k%03d", i), Vector: v, Metadata: json.RawMessage(fmt.Sprintf(`{"i":%d,"even":%t}`, i, i%2 == 0))}
	}
	return recs
}

// call sends a JSON request with an optional key and decodes a JSON answer
// into out (when not nil). It returns the status and the raw body.
func call(t testing.TB, ts *httptest.Server, key, method, path string, body, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw
}

// errCode returns the error code of an error body, or "".
func errCode(raw []byte) string {
	var b api.ErrorBody
	_ = json.Unmarshal(raw, &b)
	return b.Error.Code
}

// setup creates collection "c" (cosine, dim 8) holding n random records.
func setup(t testing.TB, ts *httptest.Server, key string, n int) []api.Record {
	t.Helper()
	if st, raw := call(t, ts, key, "POST", "/v1/collections", api.CreateCollectionRequest{Name: "c", Config: query.CollectionConfig{Dim: dim, Seed: 1}}, nil); st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, raw)
	}
	recs := randomRecords(n, 7)
	for i := 0; i < n; i += 100 {
		var up api.UpsertResponse
		if st, raw := call(t, ts, key, "POST", "/v1/collections/c/records", api.UpsertRequest{Records: recs[i:min(n, i+100)]}, &up); st != 200 {
			t.Fatalf("upsert: %d %s", st, raw)
		}
	}
	return recs
}

func cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}

// bruteForce returns the keys of the k records most cosine-similar to q,
// skipping those for which skip is true.
func bruteForce(recs []api.Record, q []float32, k int, skip func(api.Record) bool) []string {
	type ks struct {
		key string
		s   float64
	}
	var all []ks
	for _, r := range recs {
		if skip != nil && skip(r) {
			continue
		}
		all = append(all, ks{r.Key, cosine(q, r.Vector)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	var out []string
	for _, a := range all[:min(k, len(all))] {
		out = append(out, a.key)
	}
	return out
}

func hitKeys(hs []api.Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Key)
	}
	return out
}

func TestAPIRoundTrip(t *testing.T) {
	ts, _ := newTestServer(t, server.Options{})
	recs := setup(t, ts, "", 300)

	var list api.CollectionList
	call(t, ts, "", "GET", "/v1/collections", nil, &list)
	if len(list.Collections) != 1 || list.Collections[0].Records != 300 || list.Collections[0].Config.Dim != dim {
		t.Fatalf("list: %+v", list)
	}
	var stats query.Stats
	call(t, ts, "", "GET", "/v1/collections/c", nil, &stats)
	if stats.Records != 300 || stats.Name != "c" {
		t.Fatalf("stats: %+v", stats)
	}

	var got api.GetResponse
	call(t, ts, "", "POST", "/v1/collections/c/records/get", api.KeysRequest{Keys: []string{"k005", "nope", "k010"}}, &got)
	if len(got.Records) != 2 || got.Records[0].Key != "k005" || got.Records[1].Key != "k010" || len(got.Missing) != 1 || got.Missing[0] != "nope" {
		t.Fatalf("get batch: %+v", got)
	}
	if fmt.Sprint(got.Records[0].Vector) != fmt.Sprint(recs[5].Vector) || string(got.Records[0].Metadata) != string(recs[5].Metadata) {
		t.Fatalf("get: %+v, want %+v", got.Records[0], recs[5])
	}
	var one api.Record
	call(t, ts, "", "GET", "/v1/collections/c/records/k007", nil, &one)
	if one.Key != "k007" || fmt.Sprint(one.Vector) != fmt.Sprint(recs[7].Vector) {
		t.Fatalf("get one: %+v", one)
	}

	// Exact search against brute force.
	q := recs[42].Vector
	var sr api.SearchResponse
	call(t, ts, "", "POST", "/v1/collections/c/search", api.SearchRequest{Vector: q, K: 5, Exact: true}, &sr)
	if want := bruteForce(recs, q, 5, nil); fmt.Sprint(hitKeys(sr.Hits)) != fmt.Sprint(want) {
		t.Fatalf("search vector: %v, want %v", hitKeys(sr.Hits), want)
	}
	if math.Abs(float64(sr.Hits[0].Score)-1) > 1e-5 {
		t.Fatalf("self score %v", sr.Hits[0].Score)
	}
	// By key: the key itself is left out.
	call(t, ts, "", "POST", "/v1/collections/c/search", api.SearchRequest{Key: "k042", K: 5, Exact: true}, &sr)
	if want := bruteForce(recs, q, 5, func(r api.Record) bool { return r.Key == "k042" }); fmt.Sprint(hitKeys(sr.Hits)) != fmt.Sprint(want) {
		t.Fatalf("search key: %v, want %v", hitKeys(sr.Hits), want)
	}
	// Filter.
	call(t, ts, "", "POST", "/v1/collections/c/search", api.SearchRequest{Vector: q, K: 5, Exact: true, Filter: "even = false", WithMetadata: true}, &sr)
	odd := func(r api.Record) bool { return !strings.Contains(string(r.Metadata), `"even":false`) }
	if want := bruteForce(recs, q, 5, odd); fmt.Sprint(hitKeys(sr.Hits)) != fmt.Sprint(want) {
		t.Fatalf("search filter: %v, want %v", hitKeys(sr.Hits), want)
	}
	if !strings.Contains(string(sr.Hits[0].Metadata), `"even":false`) {
		t.Fatalf("metadata: %s", sr.Hits[0].Metadata)
	}
	// Threshold: every record with cosine >= 0.5.
	th := float32(0.5)
	call(t, ts, "", "POST", "/v1/collections/c/search", api.SearchRequest{Vector: q, Threshold: &th, Exact: true}, &sr)
	wantN := 0
	for _, r := range recs {
		if cosine(q, r.Vector) >= 0.5 {
			wantN++
		}
	}
	if len(sr.Hits) != wantN {
		t.Fatalf("threshold: %d hits, want %d", len(sr.Hits), wantN)
	}
	// Batch by vectors and keys.
	var br api.BatchSearchResponse
	call(t, ts, "", "POST", "/v1/collections/c/search/batch", api.BatchSearchRequest{Vectors: [][]float32{recs[1].Vector, recs[2].Vector}, K: 3, Exact: true}, &br)
	if len(br.Batch) != 2 || fmt.Sprint(hitKeys(br.Batch[1])) != fmt.Sprint(bruteForce(recs, recs[2].Vector, 3, nil)) {
		t.Fatalf("batch: %+v", br)
	}
	// Expression search and analogy leave the query keys out.
	call(t, ts, "", "POST", "/v1/collections/c/search", api.SearchRequest{Expr: "k001 - k002 + k003", K: 3, Exact: true}, &sr)
	var an api.SearchResponse
	call(t, ts, "", "POST", "/v1/collections/c/analogy", api.AnalogyRequest{Positive: []string{"k001", "k003"}, Negative: []string{"k002"}, K: 3, Exact: true}, &an)
	if len(an.Hits) != 3 || fmt.Sprint(hitKeys(an.Hits)) != fmt.Sprint(hitKeys(sr.Hits)) {
		t.Fatalf("analogy %v, expr %v", hitKeys(an.Hits), hitKeys(sr.Hits))
	}
	for _, h := range an.Hits {
		if h.Key == "k001" || h.Key == "k002" || h.Key == "k003" {
			t.Fatalf("analogy returned a query key: %v", hitKeys(an.Hits))
		}
	}
	// doesnt_match: an outlier among near-copies.
	near := api.UpsertRequest{Records: []api.Record{
		{Key: "a1", Vector: []float32{1, 0.1, 0, 0, 0, 0, 0, 0}},
		{Key: "a2", Vector: []float32{1, 0, 0.1, 0, 0, 0, 0, 0}},
		{Key: "a3", Vector: []float32{1, 0, 0, 0.1, 0, 0, 0, 0}},
		{Key: "out", Vector: []float32{0, 0, 0, 0, 0, 0, 0, 1}},
	}}
	call(t, ts, "", "POST", "/v1/collections/c/records", near, nil)
	var dm api.DoesntMatchResponse
	call(t, ts, "", "POST", "/v1/collections/c/doesnt_match", api.KeysRequest{Keys: []string{"a1", "out", "a2", "a3"}}, &dm)
	if dm.Key != "out" {
		t.Fatalf("doesnt_match: %q", dm.Key)
	}
	// Delete, batch and single.
	var del api.DeleteResponse
	call(t, ts, "", "POST", "/v1/collections/c/records/delete", api.KeysRequest{Keys: []string{"a1", "a2"}}, &del)
	if del.Deleted != 2 {
		t.Fatalf("delete: %+v", del)
	}
	call(t, ts, "", "DELETE", "/v1/collections/c/records/a3", nil, &del)
	if st, raw := call(t, ts, "", "GET", "/v1/collections/c/records/a3", nil, nil); st != 404 || errCode(raw) != "key_not_found" {
		t.Fatalf("deleted record: %d %s", st, raw)
	}
	var chk api.CheckResponse
	call(t, ts, "", "GET", "/v1/collections/c/check", nil, &chk)
	if !chk.OK {
		t.Fatalf("check: %+v", chk)
	}
	call(t, ts, "", "GET", "/v1/check", nil, &chk)
	if !chk.OK {
		t.Fatalf("db check: %+v", chk)
	}
	if st, raw := call(t, ts, "", "DELETE", "/v1/collections/c", nil, nil); st != 204 {
		t.Fatalf("drop: %d %s", st, raw)
	}
	if st, raw := call(t, ts, "", "GET", "/v1/collections/c", nil, nil); st != 404 || errCode(raw) != "collection_not_found" {
		t.Fatalf("dropped: %d %s", st, raw)
	}
}

func TestErrorStatuses(t *testing.T) {
	ts, _ := newTestServer(t, server.Options{Limits: server.Limits{MaxK: 50, MaxBatch: 100, MaxExprLen: 64}})
	setup(t, ts, "", 100)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown collection", "POST", "/v1/collections/zz/search", api.SearchRequest{Key: "k001"}, 404, "collection_not_found"},
		{"unknown key", "POST", "/v1/collections/c/search", api.SearchRequest{Key: "zz"}, 404, "key_not_found"},
		{"unknown route", "GET", "/v2/nothing", nil, 404, "route_not_found"},
		{"dimension", "POST", "/v1/collections/c/search", api.SearchRequest{Vector: []float32{1, 2}}, 422, "dimension_mismatch"},
		{"zero vector", "POST", "/v1/collections/c/records", api.UpsertRequest{Records: []api.Record{{Key: "z", Vector: make([]float32, dim)}}}, 422, "zero_vector"},
		{"exists", "POST", "/v1/collections", api.CreateCollectionRequest{Name: "c", Config: query.CollectionConfig{Dim: 3}}, 409, "collection_exists"},
		{"bad config", "POST", "/v1/collections", api.CreateCollectionRequest{Name: "d", Config: query.CollectionConfig{Dim: -1}}, 400, "invalid_config"},
		{"empty key", "POST", "/v1/collections/c/records", api.UpsertRequest{Records: []api.Record{{Key: "", Vector: make([]float32, dim)}}}, 400, "empty_key"},
		{"metadata", "POST", "/v1/collections/c/records", `{"records":[{"key":"m","vector":[1,0,0,0,0,0,0,0],"metadata":[1]}]}`, 400, "invalid_metadata"},
		{"negative k", "POST", "/v1/collections/c/search", api.SearchRequest{Key: "k001", K: -1}, 400, "invalid_k"},
		{"k beyond limit", "POST", "/v1/collections/c/search", api.SearchRequest{Key: "k001", K: 51}, 400, "limit_exceeded"},
		{"batch beyond limit", "POST", "/v1/collections/c/records/get", api.KeysRequest{Keys: make([]string, 101)}, 400, "limit_exceeded"},
		{"search batch beyond limit", "POST", "/v1/collections/c/search/batch", api.BatchSearchRequest{Keys: make([]string, 101)}, 400, "limit_exceeded"},
		{"upsert beyond limit", "POST", "/v1/collections/c/records", api.UpsertRequest{Records: make([]api.Record, 101)}, 400, "limit_exceeded"},
		{"expr too long", "POST", "/v1/collections/c/search", api.SearchRequest{Expr: strings.Repeat("a+", 40)}, 400, "limit_exceeded"},
		{"filter too long", "POST", "/v1/collections/c/search", api.SearchRequest{Key: "k001", Filter: strings.Repeat("x", 65)}, 400, "limit_exceeded"},
		{"expr syntax", "POST", "/v1/collections/c/search", api.SearchRequest{Expr: "k001 + + "}, 400, "syntax_error"},
		{"filter syntax", "POST", "/v1/collections/c/search", api.SearchRequest{Key: "k001", Filter: "i >"}, 400, "syntax_error"},
		{"two modes", "POST", "/v1/collections/c/search", api.SearchRequest{Key: "k001", Vector: []float32{1}}, 400, "bad_request"},
		{"no mode", "POST", "/v1/collections/c/search", api.SearchRequest{}, 400, "bad_request"},
		{"text", "POST", "/v1/collections/c/search", api.SearchRequest{Text: "hello"}, 422, "no_embedder"},
		{"unknown field", "POST", "/v1/collections/c/search", `{"key":"k001","path":"/etc/passwd"}`, 400, "bad_request"},
		{"malformed", "POST", "/v1/collections/c/search", `{"key":`, 400, "bad_request"},
		{"trailing", "POST", "/v1/collections/c/search", `{"key":"k001"} {}`, 400, "bad_request"},
		{"deep nesting", "POST", "/v1/collections/c/records", `{"records":[{"key":"n","vector":[1,0,0,0,0,0,0,0],"metadata":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}]}`, 400, "bad_request"},
		{"delete unknown", "POST", "/v1/collections/c/records/delete", api.KeysRequest{Keys: []string{"k001", "zz"}}, 404, "key_not_found"},
		{"method", "POST", "/v1/collections/c/analogy", api.AnalogyRequest{Positive: []string{"k001"}, Method: "sum"}, 400, "bad_request"},
		{"eval param", "POST", "/v1/collections/c/eval/similarity?path=/etc/passwd", "a\tb\t1\n", 400, "bad_request"},
		{"eval no pairs", "POST", "/v1/collections/c/eval/similarity", "", 422, "eval_input"},
		{"backup path", "GET", "/v1/backup?dest=/tmp/x.db", nil, 400, "bad_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, raw := call(t, ts, "", tc.method, tc.path, tc.body, nil)
			if st != tc.status || errCode(raw) != tc.code {
				t.Fatalf("got %d %s, want %d %s", st, raw, tc.status, tc.code)
			}
		})
	}
}

func TestBackupStream(t *testing.T) {
	ts, _ := newTestServer(t, server.Options{})
	recs := setup(t, ts, "", 120)
	resp, err := ts.Client().Get(ts.URL + "/v1/backup")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("backup: %d", resp.StatusCode)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		got, err := db.Get(t.Context(), "c", r.Key)
		if err != nil || fmt.Sprint(got.Vector) != fmt.Sprint(r.Vector) {
			t.Fatalf("%s: %v %v", r.Key, got, err)
		}
	}
}

func TestMetrics(t *testing.T) {
	ts, _ := newTestServer(t, server.Options{})
	setup(t, ts, "", 100)
	call(t, ts, "", "GET", "/v1/collections/zz", nil, nil)
	_, raw := call(t, ts, "", "GET", "/metrics", nil, nil)
	for _, want := range []string{
		`vecbolt_records{collection="c"} 100`,
		`vecbolt_http_requests_total{code="200",route="/v1/collections/{name}/records"} 1`,
		`vecbolt_http_errors_total{code="404",route="/v1/collections/{name}"} 1`,
		`vecbolt_http_request_duration_seconds_count{route="/v1/collections"} 1`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestEvalSimilarity(t *testing.T) {
	ts, _ := newTestServer(t, server.Options{})
	recs := setup(t, ts, "", 100)
	body := "k001\tk002\t1\nk001\tk003\t2\nk004\tk005\t3\nk001\tunknown\t1\n"
	var rep query.PairsReport
	if st, raw := call(t, ts, "", "POST", "/v1/collections/c/eval/similarity?case_sensitive=true", body, &rep); st != 200 {
		t.Fatalf("%d %s", st, raw)
	}
	if rep.Pairs != 3 || rep.OOV != 1 {
		t.Fatalf("report %+v", rep)
	}
	_ = recs
}

func TestHealthAndReady(t *testing.T) {
	ts, db := newTestServer(t, server.Options{})
	if st, _ := call(t, ts, "", "GET", "/healthz", nil, nil); st != 200 {
		t.Fatal(st)
	}
	if st, _ := call(t, ts, "", "GET", "/readyz", nil, nil); st != 200 {
		t.Fatal(st)
	}
	_ = db.Close()
	if st, raw := call(t, ts, "", "GET", "/readyz", nil, nil); st != 503 || errCode(raw) != "unavailable" {
		t.Fatalf("closed db: %d %s", st, raw)
	}
	if st, raw := call(t, ts, "", "GET", "/v1/collections/c", nil, nil); st != 503 || errCode(raw) != "closed" {
		t.Fatalf("closed db: %d %s", st, raw)
	}
}
