package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// routes is the route table: the mux and /openapi.json are both built from
// it, so they cannot drift. Paths use net/http's patterns; {name} is
// always a collection and is checked against the caller's key.
var routes = []*route{
	{Method: "GET", Path: "/healthz", Scope: Public, Summary: "Liveness: the process answers.", Response: api.StatusResponse{}, handle: (*Server).health},
	{Method: "GET", Path: "/readyz", Scope: Public, Summary: "Readiness: the database is open and the server is not draining (503 otherwise).", Response: api.StatusResponse{}, handle: (*Server).ready},
	{Method: "GET", Path: "/ui/", Scope: Public, Summary: "The web page: search, analogies, a PCA picture of a neighbourhood (uses this API).", ResponseType: "text/html", handle: (*Server).webIndex},
	{Method: "GET", Path: "/ui/app.js", Scope: Public, Summary: "The web page's script.", ResponseType: "text/javascript", handle: (*Server).webApp},
	{Method: "GET", Path: "/openapi.json", Scope: Public, Summary: "This description.", ResponseType: "application/json", handle: (*Server).openAPI},
	{Method: "GET", Path: "/metrics", Scope: Read, Summary: "Prometheus metrics: requests, errors and latency by route, records by collection.", ResponseType: "text/plain", handle: (*Server).metricsHandler},
	{Method: "GET", Path: "/v1/collections", Scope: Read, Summary: "List the collections the key may read, with their record counts and configurations.", Response: api.CollectionList{}, handle: (*Server).listCollections},
	{Method: "POST", Path: "/v1/collections", Scope: Write, Summary: "Create a collection (or return the existing one of the same configuration).", Request: api.CreateCollectionRequest{}, Response: api.CollectionInfo{}, handle: (*Server).createCollection},
	{Method: "GET", Path: "/v1/collections/{name}", Scope: Read, Summary: "A collection's statistics: records, configuration, sizes, graph shape.", Response: query.Stats{}, handle: (*Server).stats},
	{Method: "DELETE", Path: "/v1/collections/{name}", Scope: Write, Summary: "Drop a collection and everything in it.", handle: (*Server).dropCollection},
	{Method: "POST", Path: "/v1/collections/{name}/records", Scope: Write, Summary: "Upsert a batch of records in one transaction, all or none.", Request: api.UpsertRequest{}, Response: api.UpsertResponse{}, handle: (*Server).upsert},
	{Method: "POST", Path: "/v1/collections/{name}/documents", Scope: Write, Summary: "Add documents: texts embedded by the collection's embedder (422 no_embedder without one), chunked when chunk_tokens is set, stored with their vectors and BM25 postings in one transaction, all or none.", Request: api.DocumentsRequest{}, Response: api.DocumentsResponse{}, handle: (*Server).addDocuments},
	{Method: "POST", Path: "/v1/collections/{name}/records/get", Scope: Read, Summary: "Get a batch of records by key; unknown keys are listed in missing.", Request: api.KeysRequest{}, Response: api.GetResponse{}, handle: (*Server).getRecords},
	{Method: "GET", Path: "/v1/collections/{name}/records/{key}", Scope: Read, Summary: "Get one record (404 key_not_found when absent).", Response: api.Record{}, handle: (*Server).getRecord},
	{Method: "POST", Path: "/v1/collections/{name}/records/delete", Scope: Write, Summary: "Delete records in one transaction: by keys (every key must exist unless missing_ok) or by a metadata filter.", Request: api.DeleteRequest{}, Response: api.DeleteResponse{}, handle: (*Server).deleteRecords},
	{Method: "PUT", Path: "/v1/collections/{name}/records/{key}/metadata", Scope: Write, Summary: "Replace one record's metadata (null clears it); the vector is kept and no graph work is done.", Request: api.MetadataRequest{}, Response: api.UpsertResponse{}, handle: (*Server).setMetadata},
	{Method: "GET", Path: "/v1/collections/{name}/keys", Scope: Read, Summary: "A page of keys in ascending byte order, without loading the graph unless a filter is given.", Response: api.KeysResponse{}, Query: []param{{"prefix", "string", "only keys that start with this"}, {"after", "string", "only keys after this one: the next value of the previous page"}, {"limit", "integer", "at most this many keys (0 or beyond 10000: 10000)"}, {"filter", "string", "only keys whose metadata matches this filter"}}, handle: (*Server).listKeys},
	{Method: "DELETE", Path: "/v1/collections/{name}/records/{key}", Scope: Write, Summary: "Delete one record.", Response: api.DeleteResponse{}, handle: (*Server).deleteRecord},
	{Method: "POST", Path: "/v1/collections/{name}/search", Scope: Read, Summary: "k nearest neighbours (or every record within a threshold) of a vector, a key or an expression, or the k best documents for a text (vector, keyword BM25 or hybrid; vector and hybrid need the collection's embedder, 422 no_embedder without).", Request: api.SearchRequest{}, Response: api.SearchResponse{}, handle: (*Server).search},
	{Method: "POST", Path: "/v1/collections/{name}/search/batch", Scope: Read, Summary: "One k-nearest search per vector or per key.", Request: api.BatchSearchRequest{}, Response: api.BatchSearchResponse{}, handle: (*Server).searchBatch},
	{Method: "POST", Path: "/v1/collections/{name}/analogy", Scope: Read, Summary: "Analogy (3CosAdd or 3CosMul): positive - negative, the query keys left out.", Request: api.AnalogyRequest{}, Response: api.SearchResponse{}, handle: (*Server).analogy},
	{Method: "POST", Path: "/v1/collections/{name}/doesnt_match", Scope: Read, Summary: "The key that does not go with the others; with rank, every key ranked by centrality.", Request: api.DoesntMatchRequest{}, Response: api.DoesntMatchResponse{}, handle: (*Server).doesntMatch},
	{Method: "POST", Path: "/v1/collections/{name}/similar", Scope: Read, Summary: "gensim's most_similar, most_similar_cosmul, similar_by_vector and most_similar_to_given.", Request: api.SimilarRequest{}, Response: api.SimilarResponse{}, handle: (*Server).similar},
	{Method: "POST", Path: "/v1/collections/{name}/similarity", Scope: Read, Summary: "Cosine similarity of two keys, or of the means of two sets of keys (gensim's similarity and n_similarity).", Request: api.SimilarityRequest{}, Response: api.SimilarityResponse{}, handle: (*Server).similarity},
	{Method: "POST", Path: "/v1/collections/{name}/eval/analogies", Scope: Read, Summary: "Evaluate analogies in questions-words.txt format sent as the body (never a server path).", RequestText: "text/plain", Response: query.AnalogyReport{}, Query: []param{{"restrict", "integer", "vocabulary size; 0 means 300000"}, {"method", "string", "3cosadd or 3cosmul"}, {"exact", "boolean", "scan instead of the graph"}, {"case_sensitive", "boolean", "match words as written"}, {"ef", "integer", "HNSW search beam width; 0 means the collection's"}, {"candidates", "integer", "3CosAdd candidates 3CosMul re-ranks; 0 means the default"}}, handle: (*Server).evalAnalogies},
	{Method: "POST", Path: "/v1/collections/{name}/eval/similarity", Scope: Read, Summary: "Correlate similarities with human scores, word pairs sent as the body (never a server path).", RequestText: "text/plain", Response: query.PairsReport{}, Query: []param{{"restrict", "integer", "vocabulary size; 0 means 300000"}, {"case_sensitive", "boolean", "match words as written"}, {"delimiter", "string", "field separator; default a tab"}}, handle: (*Server).evalSimilarity},
	{Method: "GET", Path: "/v1/collections/{name}/check", Scope: Read, Summary: "Verify one collection: graph invariants and agreement with the stored records. O(n·dim).", Response: api.CheckResponse{}, handle: (*Server).checkCollection},
	{Method: "GET", Path: "/v1/check", Scope: Admin, Summary: "Verify the whole database.", Response: api.CheckResponse{}, handle: (*Server).checkDB},
	{Method: "GET", Path: "/v1/backup", Scope: Admin, Summary: "A consistent hot backup of the database file, streamed as the response. Takes no parameters: the copy is never written on the server.", ResponseType: "application/octet-stream", handle: (*Server).backup},
}

var notFoundRoute = &route{Path: "unmatched", Scope: Public, handle: func(s *Server, w http.ResponseWriter, r *http.Request) error {
	return fmt.Errorf("%w: %s %s", api.ErrNotFound, r.Method, r.URL.Path)
}}

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, api.StatusResponse{Status: "ok"})
	return nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if s.draining.Load() {
		return api.ErrUnavailable
	}
	if _, err := s.db.Collections(); err != nil {
		return fmt.Errorf("%w: %w", api.ErrUnavailable, err)
	}
	writeJSON(w, http.StatusOK, api.StatusResponse{Status: "ready"})
	return nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(s.doc)
	return err
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) error {
	names, err := s.db.Collections()
	if err != nil {
		return err
	}
	p := caller(r)
	out := api.CollectionList{Collections: []api.CollectionInfo{}}
	for _, n := range names {
		if !p.allows(n) {
			continue
		}
		cfg, cnt, err := s.db.CollectionInfo(n)
		if err != nil {
			return err
		}
		out.Collections = append(out.Collections, api.CollectionInfo{Name: n, Records: cnt, Config: cfg})
	}
	if out.FileBytes, err = s.db.FileSize(); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateCollectionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.checkLen("name", req.Name); err != nil {
		return err
	}
	if !caller(r).allows(req.Name) {
		return fmt.Errorf("%w: collection %q", api.ErrForbidden, req.Name)
	}
	c, err := s.db.CreateCollection(r.Context(), req.Name, req.Config)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.CollectionInfo{Name: c.Name(), Records: c.Len(), Config: c.Config()})
	return nil
}

func (s *Server) collection(r *http.Request) (*query.Collection, error) {
	return s.db.Collection(r.Context(), r.PathValue("name"))
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c.Stats())
	return nil
}

func (s *Server) dropCollection(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.DropCollection(r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// searchOptions builds query.SearchOptions, parsing the filter and
// checking oversample (0, the default, up to api.MaxOversample).
func (s *Server) searchOptions(exact bool, ef, restrict int, filter string, withMeta bool, oversample float64) (query.SearchOptions, error) {
	so := query.SearchOptions{Exact: exact, Ef: ef, Restrict: restrict, WithMetadata: withMeta, Oversample: oversample}
	switch {
	case oversample < 0 || math.IsNaN(oversample):
		return so, fmt.Errorf("%w: oversample is %v, it must be in [0, %d] (0 means the default, %g)", api.ErrBadRequest, oversample, api.MaxOversample, index.DefaultOversample)
	case oversample > api.MaxOversample:
		return so, fmt.Errorf("%w: oversample is %v, it must be in [0, %d] (0 means the default, %g)", api.ErrLimit, oversample, api.MaxOversample, index.DefaultOversample)
	}
	if filter == "" {
		return so, nil
	}
	if err := s.checkLen("filter", filter); err != nil {
		return so, err
	}
	f, err := query.ParseFilter(filter)
	if err != nil {
		return so, err
	}
	so.Filter = f
	return so, nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	var req api.SearchRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	modes := 0
	for _, set := range []bool{req.Vector != nil, req.Key != "", req.Expr != "", req.Text != ""} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return fmt.Errorf("%w: give exactly one of vector, key, expr and text", api.ErrBadRequest)
	}
	k, err := s.kOrDefault(req.K)
	if err != nil {
		return err
	}
	for _, f := range [][2]string{{"expr", req.Expr}, {"text", req.Text}} {
		if err := s.checkLen(f[0], f[1]); err != nil {
			return err
		}
	}
	so, err := s.searchOptions(req.Exact, req.Ef, req.Restrict, req.Filter, req.WithMetadata, req.Oversample)
	if err != nil {
		return err
	}
	if req.Offset < 0 || req.Offset > s.lim.MaxK {
		return fmt.Errorf("%w: offset is %d, it must be in 0..%d", api.ErrLimit, req.Offset, s.lim.MaxK)
	}
	if req.Offset > 0 && (req.Expr != "" || req.Threshold != nil && req.Text == "") || req.WithVectors && req.Vector == nil && req.Key == "" {
		return fmt.Errorf("%w: offset goes with a k-nearest search by vector, key or text, with_vectors with one by vector or key", api.ErrBadRequest)
	}
	if req.Text == "" && (req.Mode != "" || req.Fusion != "" || req.Weight != 0 || req.Candidates != 0 || req.Chunks) {
		return fmt.Errorf("%w: mode, fusion, weight, candidates and chunks go with a text query", api.ErrBadRequest)
	}
	so.Offset, so.WithVectors, so.WithText = req.Offset, req.WithVectors, req.WithText
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	var res []query.Result
	switch {
	case req.Text != "":
		return s.searchText(w, r, c, req, k, so)
	case req.Threshold != nil:
		limit := req.Limit
		if limit == 0 {
			limit = s.lim.MaxK
		}
		if limit < 0 || limit > s.lim.MaxK {
			return fmt.Errorf("%w: limit is %d, it must be in 1..%d", api.ErrLimit, limit, s.lim.MaxK)
		}
		switch {
		case req.Vector != nil:
			res, err = c.SearchWithin(r.Context(), req.Vector, *req.Threshold, limit, so)
		case req.Key != "":
			res, err = c.SearchKeyWithin(r.Context(), req.Key, *req.Threshold, limit, so)
		default:
			return fmt.Errorf("%w: threshold goes with vector or key, not expr", api.ErrBadRequest)
		}
	case req.Vector != nil:
		res, err = c.Search(r.Context(), req.Vector, k, so)
	case req.Key != "":
		res, err = c.SearchKey(r.Context(), req.Key, k, so)
	default:
		var e query.Expr
		if e, err = query.ParseExpr(req.Expr); err != nil {
			return err
		}
		res, err = c.Analogy(r.Context(), e, k, query.AnalogyOptions{
			Method: query.CosAdd, Exact: so.Exact, Ef: so.Ef, Restrict: so.Restrict, Filter: so.Filter, WithMetadata: so.WithMetadata,
		})
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SearchResponse{Hits: api.FromResults(res)})
	return nil
}

// searchText answers a text query with query.Collection.SearchText: the
// collection's embedder for vector and hybrid modes (ErrNoEmbedder, 422,
// when it has none), its BM25 postings for keyword mode.
func (s *Server) searchText(w http.ResponseWriter, r *http.Request, c *query.Collection, req api.SearchRequest, k int, so query.SearchOptions) error {
	if req.Weight < 0 || req.Weight > 1 {
		return fmt.Errorf("%w: weight is %v, it must be in [0, 1]", api.ErrBadRequest, req.Weight)
	}
	if req.Candidates < 0 || req.Candidates > 10*s.lim.MaxK {
		return fmt.Errorf("%w: candidates is %d, it must be in 0..%d", api.ErrLimit, req.Candidates, 10*s.lim.MaxK)
	}
	opts := query.TextSearchOptions{SearchOptions: so, Mode: req.Mode, Fusion: req.Fusion, Weight: req.Weight,
		Candidates: req.Candidates, Chunks: req.Chunks}
	if req.Threshold != nil {
		t := float64(*req.Threshold)
		opts.Threshold = &t
	}
	res, err := c.SearchText(r.Context(), req.Text, k, opts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SearchResponse{Hits: api.FromTextResults(res)})
	return nil
}

func (s *Server) searchBatch(w http.ResponseWriter, r *http.Request) error {
	var req api.BatchSearchRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if (req.Vectors == nil) == (req.Keys == nil) {
		return fmt.Errorf("%w: give exactly one of vectors and keys", api.ErrBadRequest)
	}
	if err := s.checkBatch("queries", len(req.Vectors)+len(req.Keys)); err != nil {
		return err
	}
	k, err := s.kOrDefault(req.K)
	if err != nil {
		return err
	}
	so, err := s.searchOptions(req.Exact, req.Ef, req.Restrict, req.Filter, req.WithMetadata, req.Oversample)
	if err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	out := api.BatchSearchResponse{Batch: [][]api.Hit{}}
	if req.Vectors != nil {
		res, err := c.SearchBatch(r.Context(), req.Vectors, k, so)
		if err != nil {
			return err
		}
		for _, rs := range res {
			out.Batch = append(out.Batch, api.FromResults(rs))
		}
	}
	for _, key := range req.Keys {
		rs, err := c.SearchKey(r.Context(), key, k, so)
		if err != nil {
			return err
		}
		out.Batch = append(out.Batch, api.FromResults(rs))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) analogy(w http.ResponseWriter, r *http.Request) error {
	var req api.AnalogyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	k, err := s.kOrDefault(req.K)
	if err != nil {
		return err
	}
	var e query.Expr
	switch {
	case req.Expr != "" && (req.Positive != nil || req.Negative != nil):
		return fmt.Errorf("%w: give expr or positive/negative, not both", api.ErrBadRequest)
	case req.Expr != "":
		if err := s.checkLen("expr", req.Expr); err != nil {
			return err
		}
		if e, err = query.ParseExpr(req.Expr); err != nil {
			return err
		}
	default:
		if err := s.checkBatch("terms", len(req.Positive)+len(req.Negative)); err != nil {
			return err
		}
		for _, p := range req.Positive {
			e.Terms = append(e.Terms, query.Term{Weight: 1, Key: p})
		}
		for _, n := range req.Negative {
			e.Terms = append(e.Terms, query.Term{Weight: -1, Key: n})
		}
	}
	m, err := query.ParseMethod(req.Method)
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrBadRequest, err)
	}
	so, err := s.searchOptions(req.Exact, req.Ef, req.Restrict, req.Filter, req.WithMetadata, 0)
	if err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	res, err := c.Analogy(r.Context(), e, k, query.AnalogyOptions{
		Method: m, Exact: so.Exact, Ef: so.Ef, Restrict: so.Restrict, Filter: so.Filter, WithMetadata: so.WithMetadata, Candidates: req.Candidates,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SearchResponse{Hits: api.FromResults(res)})
	return nil
}

func (s *Server) doesntMatch(w http.ResponseWriter, r *http.Request) error {
	var req api.DoesntMatchRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.checkBatch("keys", len(req.Keys)); err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	if req.Rank {
		rank, err := c.RankByCentrality(r.Context(), req.Keys)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, api.DoesntMatchResponse{Key: rank[len(rank)-1].Key, Ranking: api.FromResults(rank)})
		return nil
	}
	key, err := c.DoesntMatch(r.Context(), req.Keys)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.DoesntMatchResponse{Key: key})
	return nil
}

// queryParams reads the integer, boolean and string parameters of the eval
// routes; anything unparsable or unknown is a bad request.
func queryParams(r *http.Request, allowed ...string) (ints map[string]int, bools map[string]bool, strs map[string]string, err error) {
	ints, bools, strs = map[string]int{}, map[string]bool{}, map[string]string{}
	q := r.URL.Query()
	for name, vs := range q {
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known || len(vs) != 1 {
			return nil, nil, nil, fmt.Errorf("%w: unknown or repeated parameter %q", api.ErrBadRequest, name)
		}
		v := vs[0]
		switch name {
		case "restrict", "ef", "candidates":
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 0 {
				return nil, nil, nil, fmt.Errorf("%w: %s %q is not a non-negative integer", api.ErrBadRequest, name, v)
			}
			ints[name] = n
		case "exact", "case_sensitive":
			b, perr := strconv.ParseBool(v)
			if perr != nil {
				return nil, nil, nil, fmt.Errorf("%w: %s %q is not a boolean", api.ErrBadRequest, name, v)
			}
			bools[name] = b
		default:
			if len(v) > 16 {
				return nil, nil, nil, fmt.Errorf("%w: %s is too long", api.ErrBadRequest, name)
			}
			strs[name] = v
		}
	}
	return ints, bools, strs, nil
}

func (s *Server) evalAnalogies(w http.ResponseWriter, r *http.Request) error {
	ints, bools, strs, err := queryParams(r, "restrict", "method", "exact", "case_sensitive", "ef", "candidates")
	if err != nil {
		return err
	}
	m, err := query.ParseMethod(strs["method"])
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrBadRequest, err)
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	rep, err := c.EvaluateAnalogies(r.Context(), r.Body, query.AnalogyEvalOptions{
		Restrict: ints["restrict"], Method: m, Exact: bools["exact"], CaseSensitive: bools["case_sensitive"],
		Ef: ints["ef"], Candidates: ints["candidates"],
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) evalSimilarity(w http.ResponseWriter, r *http.Request) error {
	ints, bools, strs, err := queryParams(r, "restrict", "case_sensitive", "delimiter")
	if err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	rep, err := c.EvaluateWordPairs(r.Context(), r.Body, query.PairsEvalOptions{
		Restrict: ints["restrict"], CaseSensitive: bools["case_sensitive"], Delimiter: strs["delimiter"],
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// checkAnswer turns a check's outcome into a response: problems found are
// a 200 with ok false; a closed database or a cancelled request is an
// error.
func checkAnswer(w http.ResponseWriter, err error) error {
	if errors.Is(err, query.ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	out := api.CheckResponse{OK: err == nil}
	if err != nil {
		out.Problems = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) checkCollection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	return checkAnswer(w, c.Check(r.Context()))
}

func (s *Server) checkDB(w http.ResponseWriter, r *http.Request) error {
	return checkAnswer(w, s.db.Check(r.Context()))
}

// backup streams a hot backup. It takes no parameters at all, so no
// request can name a file on the server. A failure after the first byte
// aborts the connection, so a client never mistakes a truncated copy for
// a whole one.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) error {
	if r.URL.RawQuery != "" {
		return fmt.Errorf("%w: backup takes no parameters; the copy is streamed as the response", api.ErrBadRequest)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="vecbolt-backup.db"`)
	if _, err := s.db.Store().Backup(r.Context(), w); err != nil {
		if sw, ok := w.(*statusWriter); ok && sw.status == 0 {
			return err
		}
		s.logf("vecbolt serve: backup: %v", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}
