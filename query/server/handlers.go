package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

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
	{Method: "POST", Path: "/v1/collections/{name}/records/get", Scope: Read, Summary: "Get a batch of records by key; unknown keys are listed in missing.", Request: api.KeysRequest{}, Response: api.GetResponse{}, handle: (*Server).getRecords},
	{Method: "GET", Path: "/v1/collections/{name}/records/{key}", Scope: Read, Summary: "Get one record (404 key_not_found when absent).", Response: api.Record{}, handle: (*Server).getRecord},
	{Method: "POST", Path: "/v1/collections/{name}/records/delete", Scope: Write, Summary: "Delete a batch of records in one transaction; every key must exist.", Request: api.KeysRequest{}, Response: api.DeleteResponse{}, handle: (*Server).deleteRecords},
	{Method: "DELETE", Path: "/v1/collections/{name}/records/{key}", Scope: Write, Summary: "Delete one record.", Response: api.DeleteResponse{}, handle: (*Server).deleteRecord},
	{Method: "POST", Path: "/v1/collections/{name}/search", Scope: Read, Summary: "k nearest neighbours (or every record within a threshold) of a vector, a key or an expression. Search by text answers 422 no_embedder: text embedding is not served yet.", Request: api.SearchRequest{}, Response: api.SearchResponse{}, handle: (*Server).search},
	{Method: "POST", Path: "/v1/collections/{name}/search/batch", Scope: Read, Summary: "One k-nearest search per vector or per key.", Request: api.BatchSearchRequest{}, Response: api.BatchSearchResponse{}, handle: (*Server).searchBatch},
	{Method: "POST", Path: "/v1/collections/{name}/analogy", Scope: Read, Summary: "Analogy (3CosAdd or 3CosMul): positive - negative, the query keys left out.", Request: api.AnalogyRequest{}, Response: api.SearchResponse{}, handle: (*Server).analogy},
	{Method: "POST", Path: "/v1/collections/{name}/doesnt_match", Scope: Read, Summary: "The key that does not go with the others.", Request: api.KeysRequest{}, Response: api.DoesntMatchResponse{}, handle: (*Server).doesntMatch},
	{Method: "POST", Path: "/v1/collections/{name}/eval/analogies", Scope: Read, Summary: "Evaluate analogies in questions-words.txt format sent as the body (never a server path).", RequestText: "text/plain", Response: query.AnalogyReport{}, Query: []param{{"restrict", "integer", "vocabulary size; 0 means 300000"}, {"method", "string", "3cosadd or 3cosmul"}, {"exact", "boolean", "scan instead of the graph"}, {"case_sensitive", "boolean", "match words as written"}}, handle: (*Server).evalAnalogies},
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

func (s *Server) upsert(w http.ResponseWriter, r *http.Request) error {
	var req api.UpsertRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.checkBatch("records", len(req.Records)); err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	recs := make([]query.Record, len(req.Records))
	for i, rec := range req.Records {
		recs[i] = rec.ToRecord()
	}
	if err := c.UpsertBatch(r.Context(), recs, query.BatchOptions{}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.UpsertResponse{Upserted: len(recs)})
	return nil
}

func (s *Server) keysBody(r *http.Request) ([]string, error) {
	var req api.KeysRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.checkBatch("keys", len(req.Keys)); err != nil {
		return nil, err
	}
	return req.Keys, nil
}

func (s *Server) getRecords(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.keysBody(r)
	if err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	out := api.GetResponse{Records: []api.Record{}, Missing: []string{}}
	for _, k := range keys {
		rec, err := c.Get(r.Context(), k)
		switch {
		case errors.Is(err, query.ErrKeyNotFound):
			out.Missing = append(out.Missing, k)
		case err != nil:
			return err
		default:
			out.Records = append(out.Records, api.FromRecord(rec))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	rec, err := c.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.FromRecord(rec))
	return nil
}

func (s *Server) deleteRecords(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.keysBody(r)
	if err != nil {
		return err
	}
	return s.deleteKeys(w, r, keys)
}

func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	return s.deleteKeys(w, r, []string{r.PathValue("key")})
}

func (s *Server) deleteKeys(w http.ResponseWriter, r *http.Request, keys []string) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	n, err := c.Delete(r.Context(), keys...)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.DeleteResponse{Deleted: n})
	return nil
}

// searchOptions builds query.SearchOptions, parsing the filter.
func (s *Server) searchOptions(exact bool, ef, restrict int, filter string, withMeta bool) (query.SearchOptions, error) {
	so := query.SearchOptions{Exact: exact, Ef: ef, Restrict: restrict, WithMetadata: withMeta}
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
	so, err := s.searchOptions(req.Exact, req.Ef, req.Restrict, req.Filter, req.WithMetadata)
	if err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	var res []query.Result
	switch {
	case req.Text != "":
		return fmt.Errorf("%w: collection %q", api.ErrNoEmbedder, c.Name())
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
	so, err := s.searchOptions(req.Exact, req.Ef, req.Restrict, req.Filter, req.WithMetadata)
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
	so, err := s.searchOptions(req.Exact, req.Ef, req.Restrict, req.Filter, req.WithMetadata)
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
	keys, err := s.keysBody(r)
	if err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	key, err := c.DoesntMatch(r.Context(), keys)
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
		case "restrict":
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 0 {
				return nil, nil, nil, fmt.Errorf("%w: restrict %q is not a non-negative integer", api.ErrBadRequest, v)
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
	ints, bools, strs, err := queryParams(r, "restrict", "method", "exact", "case_sensitive")
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
