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
	var out api.CollectionList
	err := c.do(ctx, "GET", "/v1/collections", nil, &out)
	return out.Collections, err
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
	req := api.UpsertRequest{Records: make([]api.Record, len(recs))}
	for i, r := range recs {
		req.Records[i] = api.FromRecord(r)
	}
	return cl.c.do(ctx, "POST", collPath(cl.name, "records"), req, &api.UpsertResponse{})
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
	var out api.DeleteResponse
	err := cl.c.do(ctx, "POST", collPath(cl.name, "records", "delete"), api.KeysRequest{Keys: keys}, &out)
	return out.Deleted, err
}

func searchRequest(k int, o query.SearchOptions) api.SearchRequest {
	req := api.SearchRequest{K: k, Exact: o.Exact, Ef: o.Ef, Restrict: o.Restrict, WithMetadata: o.WithMetadata}
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

// SearchWithin returns every record whose score passes threshold, capped
// by limit (0: the server's largest k).
func (cl *Collection) SearchWithin(ctx context.Context, vec []float32, threshold float32, limit int, opts query.SearchOptions) ([]query.Result, error) {
	req := searchRequest(0, opts)
	req.Vector, req.Threshold, req.Limit = vec, &threshold, limit
	return cl.search(ctx, req)
}

// SearchBatch runs one k-nearest search per vector.
func (cl *Collection) SearchBatch(ctx context.Context, vecs [][]float32, k int, opts query.SearchOptions) ([][]query.Result, error) {
	s := searchRequest(k, opts)
	req := api.BatchSearchRequest{Vectors: vecs, K: k, Exact: s.Exact, Ef: s.Ef, Restrict: s.Restrict, Filter: s.Filter, WithMetadata: s.WithMetadata}
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

// DoesntMatch returns the key that does not go with the others.
func (cl *Collection) DoesntMatch(ctx context.Context, keys []string) (string, error) {
	var out api.DoesntMatchResponse
	err := cl.c.do(ctx, "POST", collPath(cl.name, "doesnt_match"), api.KeysRequest{Keys: keys}, &out)
	return out.Key, err
}

// EvaluateAnalogies uploads questions in questions-words.txt format and
// returns the server's report. opts.Workers and opts.Progress are not sent.
func (cl *Collection) EvaluateAnalogies(ctx context.Context, r io.Reader, opts query.AnalogyEvalOptions) (*query.AnalogyReport, error) {
	q := url.Values{}
	q.Set("restrict", strconv.Itoa(opts.Restrict))
	q.Set("method", opts.Method.String())
	q.Set("exact", strconv.FormatBool(opts.Exact))
	q.Set("case_sensitive", strconv.FormatBool(opts.CaseSensitive))
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
