// Package client is the Go client of vecbolt's HTTP API (query/server).
//
// It speaks in the embedded API's types where they can be shared:
// query.Record, query.Result, query.SearchOptions (its Filter sent in the
// text form of Filter.String), query.AnalogyOptions, query.Stats and the
// evaluation reports. Every call takes a context. An error the server
// answers is an *api.Error that unwraps to the same sentinel the embedded
// API returns, so errors.Is(err, query.ErrKeyNotFound) works here as it
// does in process; transport errors are returned as net/http gives them.
//
// A Client is safe for concurrent use. Each call is one HTTP request; its
// cost is the server's (see query/server) plus a round trip and JSON
// encoding, O(size of the request and answer).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// ErrCheck is returned by Check when the server's check found problems;
// the error's message lists them.
var ErrCheck = errors.New("client: check found problems")

// Options configures a Client. The zero value sends no API key and uses
// http.DefaultClient.
type Options struct {
	APIKey     string       // sent as "Authorization: Bearer APIKey"
	HTTPClient *http.Client // nil: http.DefaultClient
}

// Client talks to one vecbolt server.
type Client struct {
	base string
	key  string
	hc   *http.Client
}

// New returns a client for the server at baseURL ("http://127.0.0.1:7070").
// It sends no request.
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q is not http(s)://host[:port]", baseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimSuffix(baseURL, "/"), key: opts.APIKey, hc: hc}, nil
}

// do sends one request. body is JSON-encoded unless it is an io.Reader,
// sent as text. out, when not nil, receives the JSON answer.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: %s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// send sends one request and returns a successful response, whose body the
// caller closes, or the server's error as an *api.Error.
func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd, ctype = b, "text/plain; charset=utf-8"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("client: encoding the request: %w", err)
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var eb api.ErrorBody
	if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
		return nil, &api.Error{Status: resp.StatusCode, Code: "http", Message: fmt.Sprintf("client: %s %s: %s", method, path, strings.TrimSpace(string(raw)))}
	}
	return nil, &api.Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
}

func collPath(name string, rest ...string) string {
	p := "/v1/collections/" + url.PathEscape(name)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// Ready reports nil when the server is ready to answer (GET /readyz).
func (c *Client) Ready(ctx context.Context) error { return c.do(ctx, "GET", "/readyz", nil, nil) }

// Collections lists the collections the key may read.
func (c *Client) Collections(ctx context.Context) ([]api.CollectionInfo, error) {
	out, err := c.List(ctx)
	return out.Collections, err
}

// List lists the collections the key may read, with the database file's
// size. O(collections) on the server.
func (c *Client) List(ctx context.Context) (api.CollectionList, error) {
	var out api.CollectionList
	err := c.do(ctx, "GET", "/v1/collections", nil, &out)
	return out, err
}

// CreateCollection creates a collection, or returns the existing one of
// the same configuration, and returns a handle on it.
func (c *Client) CreateCollection(ctx context.Context, name string, cfg query.CollectionConfig) (*Collection, error) {
	if err := c.do(ctx, "POST", "/v1/collections", api.CreateCollectionRequest{Name: name, Config: cfg}, &api.CollectionInfo{}); err != nil {
		return nil, err
	}
	return c.Collection(name), nil
}

// DropCollection deletes a collection and everything in it.
func (c *Client) DropCollection(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", collPath(name), nil, nil)
}

// Check verifies the whole database; problems found give an error
// wrapping ErrCheck.
func (c *Client) Check(ctx context.Context) error { return c.check(ctx, "/v1/check") }

// CheckReport verifies the whole database and returns the server's
// answer: ok, or the problems found, one per line. O(file size) on the
// server.
func (c *Client) CheckReport(ctx context.Context) (api.CheckResponse, error) {
	var out api.CheckResponse
	err := c.do(ctx, "GET", "/v1/check", nil, &out)
	return out, err
}

func (c *Client) check(ctx context.Context, path string) error {
	var out api.CheckResponse
	if err := c.do(ctx, "GET", path, nil, &out); err != nil {
		return err
	}
	if !out.OK {
		return fmt.Errorf("%w: %s", ErrCheck, out.Problems)
	}
	return nil
}

// Backup streams a hot backup of the database into w and returns the
// bytes written. A copy cut short gives an error, never a short nil.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	resp, err := c.send(ctx, "GET", "/v1/backup", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("client: backup: %w", err)
	}
	return n, nil
}

// Collection returns a handle on a named collection; it sends no request.
func (c *Client) Collection(name string) *Collection { return &Collection{c: c, name: name} }

// Collection is a handle on one collection of the server. It is safe for
// concurrent use.
type Collection struct {
	c    *Client
	name string
}

// Name returns the collection's name.
func (cl *Collection) Name() string { return cl.name }

// Stats returns the collection's statistics.
func (cl *Collection) Stats(ctx context.Context) (query.Stats, error) {
	var s query.Stats
	err := cl.c.do(ctx, "GET", collPath(cl.name), nil, &s)
	return s, err
}

// Upsert writes records in one transaction: all or none.
func (cl *Collection) Upsert(ctx context.Context, recs ...query.Record) error {
	_, err := cl.UpsertBatch(ctx, recs)
	return err
}

// UpsertBatch writes records in one transaction, all or none, and returns
// the server's answer: how many keys existed before and the record count
// after.
func (cl *Collection) UpsertBatch(ctx context.Context, recs []query.Record) (api.UpsertResponse, error) {
	req := api.UpsertRequest{Records: make([]api.Record, len(recs))}
	for i, r := range recs {
		req.Records[i] = api.FromRecord(r)
	}
	var out api.UpsertResponse
	err := cl.c.do(ctx, "POST", collPath(cl.name, "records"), req, &out)
	return out, err
}

// SetMetadata replaces the metadata of the record under key (a JSON
// object, or null to clear it), keeping its vector, and returns the record
// count.
func (cl *Collection) SetMetadata(ctx context.Context, key string, meta json.RawMessage) (int, error) {
	var out api.UpsertResponse
	err := cl.c.do(ctx, "PUT", collPath(cl.name, "records", url.PathEscape(key), "metadata"), api.MetadataRequest{Metadata: meta}, &out)
	return out.Records, err
}

// Keys returns a page of at most limit keys (0: the server's page size)
// in ascending byte order, starting after after, that start with prefix
// and, when filter is not empty, whose metadata matches it; next is the
// after of the next page, "" at the end.
func (cl *Collection) Keys(ctx context.Context, prefix, after, filter string, limit int) (keys []string, next string, err error) {
	q := url.Values{}
	for k, v := range map[string]string{"prefix": prefix, "after": after, "filter": filter} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := collPath(cl.name, "keys")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out api.KeysResponse
	err = cl.c.do(ctx, "GET", path, nil, &out)
	return out.Keys, out.Next, err
}

// Get returns one record; a missing key gives an error matching
// query.ErrKeyNotFound.
func (cl *Collection) Get(ctx context.Context, key string) (query.Record, error) {
	var r api.Record
	if err := cl.c.do(ctx, "GET", collPath(cl.name, "records", url.PathEscape(key)), nil, &r); err != nil {
		return query.Record{}, err
	}
	return r.ToRecord(), nil
}

// GetBatch returns the records found, in request order, and the keys that
// were not.
func (cl *Collection) GetBatch(ctx context.Context, keys []string) ([]query.Record, []string, error) {
	var out api.GetResponse
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "records", "get"), api.KeysRequest{Keys: keys}, &out); err != nil {
		return nil, nil, err
	}
	recs := make([]query.Record, len(out.Records))
	for i, r := range out.Records {
		recs[i] = r.ToRecord()
	}
	return recs, out.Missing, nil
}

// Delete removes records in one transaction; every key must exist.
func (cl *Collection) Delete(ctx context.Context, keys ...string) (int, error) {
	out, err := cl.DeleteRequest(ctx, api.DeleteRequest{Keys: keys})
	return out.Deleted, err
}

// DeleteRequest removes records in one transaction, by keys (with
// MissingOK, absent keys are skipped) or by a metadata filter, and returns
// how many it removed and how many are left.
func (cl *Collection) DeleteRequest(ctx context.Context, req api.DeleteRequest) (api.DeleteResponse, error) {
	var out api.DeleteResponse
	err := cl.c.do(ctx, "POST", collPath(cl.name, "records", "delete"), req, &out)
	return out, err
}

func searchRequest(k int, o query.SearchOptions) api.SearchRequest {
	req := api.SearchRequest{K: k, Exact: o.Exact, Ef: o.Ef, Restrict: o.Restrict, WithMetadata: o.WithMetadata,
		WithVectors: o.WithVectors, Offset: o.Offset, WithText: o.WithText, Oversample: o.Oversample}
	if !o.Filter.IsZero() {
		req.Filter = o.Filter.String()
	}
	return req
}

func (cl *Collection) search(ctx context.Context, req api.SearchRequest) ([]query.Result, error) {
	var out api.SearchResponse
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "search"), req, &out); err != nil {
		return nil, err
	}
	return api.ToResults(out.Hits), nil
}

// Search returns the k records nearest to vec, as query.Collection.Search.
func (cl *Collection) Search(ctx context.Context, vec []float32, k int, opts query.SearchOptions) ([]query.Result, error) {
	req := searchRequest(k, opts)
	req.Vector = vec
	return cl.search(ctx, req)
}

// SearchKey returns the k records nearest to the record under key, the
// key itself left out.
func (cl *Collection) SearchKey(ctx context.Context, key string, k int, opts query.SearchOptions) ([]query.Result, error) {
	req := searchRequest(k, opts)
	req.Key = key
	return cl.search(ctx, req)
}

// SearchExpr returns the k records nearest to an expression such as
// "king - man + woman" (3CosAdd), its keys left out.
func (cl *Collection) SearchExpr(ctx context.Context, expr string, k int, opts query.SearchOptions) ([]query.Result, error) {
	req := searchRequest(k, opts)
	req.Expr = expr
	return cl.search(ctx, req)
}

// SearchText returns the k best documents for a text, as
// query.Collection.SearchText: vector and hybrid modes embed it with the
// collection's embedder on the server (an error matching
// query.ErrNoEmbedder when the collection has none), keyword mode ranks by
// BM25. opts.Embedder and opts.RRFK are not sent (the server uses the
// collection's embedder and RRF's k of 60); the threshold travels as a
// float32.
func (cl *Collection) SearchText(ctx context.Context, text string, k int, opts query.TextSearchOptions) ([]query.TextResult, error) {
	req := searchRequest(k, opts.SearchOptions)
	req.Text, req.Mode, req.Fusion, req.Weight, req.Candidates, req.Chunks = text, opts.Mode, opts.Fusion, opts.Weight, opts.Candidates, opts.Chunks
	if opts.Threshold != nil {
		t := float32(*opts.Threshold)
		req.Threshold = &t
	}
	var out api.SearchResponse
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "search"), req, &out); err != nil {
		return nil, err
	}
	return api.ToTextResults(out.Hits), nil
}

// SearchWithin returns every record whose score passes threshold, capped
// by limit (0: the server's largest k).
func (cl *Collection) SearchWithin(ctx context.Context, vec []float32, threshold float32, limit int, opts query.SearchOptions) ([]query.Result, error) {
	req := searchRequest(0, opts)
	req.Vector, req.Threshold, req.Limit = vec, &threshold, limit
	return cl.search(ctx, req)
}

// SearchKeyWithin is SearchWithin around the record under key, the key
// itself left out.
func (cl *Collection) SearchKeyWithin(ctx context.Context, key string, threshold float32, limit int, opts query.SearchOptions) ([]query.Result, error) {
	req := searchRequest(0, opts)
	req.Key, req.Threshold, req.Limit = key, &threshold, limit
	return cl.search(ctx, req)
}

// SearchKeyBatch runs one k-nearest search per key, each key left out of
// its own answer.
func (cl *Collection) SearchKeyBatch(ctx context.Context, keys []string, k int, opts query.SearchOptions) ([][]query.Result, error) {
	s := searchRequest(k, opts)
	return cl.searchBatch(ctx, api.BatchSearchRequest{Keys: keys, K: k, Exact: s.Exact, Ef: s.Ef, Restrict: s.Restrict, Filter: s.Filter, Oversample: s.Oversample, WithMetadata: s.WithMetadata})
}

// SearchBatch runs one k-nearest search per vector.
func (cl *Collection) SearchBatch(ctx context.Context, vecs [][]float32, k int, opts query.SearchOptions) ([][]query.Result, error) {
	s := searchRequest(k, opts)
	return cl.searchBatch(ctx, api.BatchSearchRequest{Vectors: vecs, K: k, Exact: s.Exact, Ef: s.Ef, Restrict: s.Restrict, Filter: s.Filter, Oversample: s.Oversample, WithMetadata: s.WithMetadata})
}

func (cl *Collection) searchBatch(ctx context.Context, req api.BatchSearchRequest) ([][]query.Result, error) {
	var out api.BatchSearchResponse
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "search", "batch"), req, &out); err != nil {
		return nil, err
	}
	res := make([][]query.Result, len(out.Batch))
	for i, hs := range out.Batch {
		res[i] = api.ToResults(hs)
	}
	return res, nil
}

// Analogy answers positive - negative (gensim's most_similar), the query
// keys left out.
func (cl *Collection) Analogy(ctx context.Context, positive, negative []string, k int, opts query.AnalogyOptions) ([]query.Result, error) {
	req := api.AnalogyRequest{Positive: positive, Negative: negative, K: k, Method: opts.Method.String(), Exact: opts.Exact,
		Ef: opts.Ef, Restrict: opts.Restrict, WithMetadata: opts.WithMetadata, Candidates: opts.Candidates}
	if !opts.Filter.IsZero() {
		req.Filter = opts.Filter.String()
	}
	var out api.SearchResponse
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "analogy"), req, &out); err != nil {
		return nil, err
	}
	return api.ToResults(out.Hits), nil
}

// AnalogyExpr answers an expression such as "king - man + woman" or
// "0.5*tokyo + 0.5*seoul - japan" (query.ParseExpr syntax), its keys left
// out.
func (cl *Collection) AnalogyExpr(ctx context.Context, expr string, k int, opts query.AnalogyOptions) ([]query.Result, error) {
	req := api.AnalogyRequest{Expr: expr, K: k, Method: opts.Method.String(), Exact: opts.Exact,
		Ef: opts.Ef, Restrict: opts.Restrict, WithMetadata: opts.WithMetadata, Candidates: opts.Candidates}
	if !opts.Filter.IsZero() {
		req.Filter = opts.Filter.String()
	}
	var out api.SearchResponse
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "analogy"), req, &out); err != nil {
		return nil, err
	}
	return api.ToResults(out.Hits), nil
}

// DoesntMatch returns the key that does not go with the others.
func (cl *Collection) DoesntMatch(ctx context.Context, keys []string) (string, error) {
	var out api.DoesntMatchResponse
	err := cl.c.do(ctx, "POST", collPath(cl.name, "doesnt_match"), api.DoesntMatchRequest{Keys: keys}, &out)
	return out.Key, err
}

// RankByCentrality ranks keys by the cosine similarity of their unit
// vectors to the normalised mean, most central first, as
// query.Collection.RankByCentrality.
func (cl *Collection) RankByCentrality(ctx context.Context, keys []string) ([]query.Result, error) {
	var out api.DoesntMatchResponse
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "doesnt_match"), api.DoesntMatchRequest{Keys: keys, Rank: true}, &out); err != nil {
		return nil, err
	}
	return api.ToResults(out.Ranking), nil
}

// Similar runs one of gensim's KeyedVectors queries (see
// api.SimilarRequest) and returns the hits, or with Among the best key.
func (cl *Collection) Similar(ctx context.Context, req api.SimilarRequest) ([]query.Result, string, error) {
	var out api.SimilarResponse
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "similar"), req, &out); err != nil {
		return nil, "", err
	}
	return api.ToResults(out.Hits), out.Best, nil
}

// Similarity returns the cosine similarity of the keys a and b.
func (cl *Collection) Similarity(ctx context.Context, a, b string) (float32, error) {
	return cl.similarity(ctx, api.SimilarityRequest{A: []string{a}, B: []string{b}})
}

// NSimilarity returns the cosine similarity of the means of the stored
// vectors of as and bs.
func (cl *Collection) NSimilarity(ctx context.Context, as, bs []string) (float32, error) {
	return cl.similarity(ctx, api.SimilarityRequest{A: as, B: bs, Sets: true})
}

func (cl *Collection) similarity(ctx context.Context, req api.SimilarityRequest) (float32, error) {
	var out api.SimilarityResponse
	err := cl.c.do(ctx, "POST", collPath(cl.name, "similarity"), req, &out)
	return out.Similarity, err
}

// EvaluateAnalogies uploads questions in questions-words.txt format and
// returns the server's report. opts.Workers and opts.Progress are not sent
// (the server answers on all its cores).
func (cl *Collection) EvaluateAnalogies(ctx context.Context, r io.Reader, opts query.AnalogyEvalOptions) (*query.AnalogyReport, error) {
	q := url.Values{}
	q.Set("restrict", strconv.Itoa(opts.Restrict))
	q.Set("method", opts.Method.String())
	q.Set("exact", strconv.FormatBool(opts.Exact))
	q.Set("case_sensitive", strconv.FormatBool(opts.CaseSensitive))
	if opts.Ef > 0 {
		q.Set("ef", strconv.Itoa(opts.Ef))
	}
	if opts.Candidates > 0 {
		q.Set("candidates", strconv.Itoa(opts.Candidates))
	}
	var rep query.AnalogyReport
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "eval", "analogies")+"?"+q.Encode(), r, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// EvaluateWordPairs uploads word pairs with human scores and returns the
// server's report.
func (cl *Collection) EvaluateWordPairs(ctx context.Context, r io.Reader, opts query.PairsEvalOptions) (*query.PairsReport, error) {
	q := url.Values{}
	q.Set("restrict", strconv.Itoa(opts.Restrict))
	q.Set("case_sensitive", strconv.FormatBool(opts.CaseSensitive))
	if opts.Delimiter != "" {
		q.Set("delimiter", opts.Delimiter)
	}
	var rep query.PairsReport
	if err := cl.c.do(ctx, "POST", collPath(cl.name, "eval", "similarity")+"?"+q.Encode(), r, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// Check verifies the collection; problems found give an error wrapping
// ErrCheck.
func (cl *Collection) Check(ctx context.Context) error {
	return cl.c.check(ctx, collPath(cl.name, "check"))
}

// AddDocuments sends texts for the server to embed with the collection's
// embedder and store, all or none; chunkTokens, when positive, splits
// longer documents into overlapping chunks (records KEY#i). Errors
// round-trip: errors.Is(err, query.ErrNoEmbedder), query.ErrEmptyText,
// embed.ErrNoKnownTokens, query.ErrDocumentExists and the others of
// api.Codes.
func (cl *Collection) AddDocuments(ctx context.Context, docs []query.Document, chunkTokens, chunkOverlap int) (api.DocumentsResponse, error) {
	req := api.DocumentsRequest{Documents: make([]api.Document, len(docs)), ChunkTokens: chunkTokens, ChunkOverlap: chunkOverlap}
	for i, d := range docs {
		req.Documents[i] = api.Document{Key: d.Key, Text: d.Text, Metadata: d.Metadata}
	}
	var out api.DocumentsResponse
	err := cl.c.do(ctx, "POST", collPath(cl.name, "documents"), req, &out)
	return out, err
}
