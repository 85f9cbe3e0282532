package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server/api"
	"github.com/vecbolt/vecbolt/query/text"
)

// The record routes: upsert, metadata, key pages, get and delete.

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
	seen := make(map[string]bool, len(recs))
	replaced := 0
	for i, rec := range req.Records {
		recs[i] = rec.ToRecord()
		if !seen[rec.Key] {
			seen[rec.Key] = true
			if c.Has(rec.Key) {
				replaced++
			}
		}
	}
	if err := c.UpsertBatch(r.Context(), recs, query.BatchOptions{}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.UpsertResponse{Upserted: len(recs), Replaced: replaced, Records: c.Len()})
	return nil
}

func (s *Server) setMetadata(w http.ResponseWriter, r *http.Request) error {
	var req api.MetadataRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Metadata == nil {
		return fmt.Errorf("%w: give metadata, a JSON object or null", api.ErrBadRequest)
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	if err := c.SetMetadata(r.Context(), r.PathValue("key"), req.Metadata); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.UpsertResponse{Upserted: 1, Replaced: 1, Records: c.Len()})
	return nil
}

// maxKeysPage caps a page of /keys.
const maxKeysPage = 10000

// listKeys answers a page of keys: from the key index in one read transaction
// (O(log n + page)), or with a filter from the parsed metadata in memory
// (O(n) filter tests and a sort of the matches).
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for name, vs := range q {
		switch name {
		case "prefix", "after", "limit", "filter":
		default:
			return fmt.Errorf("%w: unknown parameter %q", api.ErrBadRequest, name)
		}
		if len(vs) != 1 {
			return fmt.Errorf("%w: repeated parameter %q", api.ErrBadRequest, name)
		}
		if err := s.checkLen(name, vs[0]); err != nil {
			return err
		}
	}
	limit := maxKeysPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: limit %q is not a non-negative integer", api.ErrBadRequest, v)
		}
		if n > 0 && n < maxKeysPage {
			limit = n
		}
	}
	prefix, after := q.Get("prefix"), q.Get("after")
	name := r.PathValue("name")
	out := api.KeysResponse{Keys: []string{}}
	if fs := q.Get("filter"); fs != "" {
		f, err := query.ParseFilter(fs)
		if err != nil {
			return err
		}
		c, err := s.collection(r)
		if err != nil {
			return err
		}
		all, err := c.KeysWhere(r.Context(), f)
		if err != nil {
			return err
		}
		slices.Sort(all)
		for _, k := range all {
			if !strings.HasPrefix(k, prefix) || (after != "" && k <= after) {
				continue
			}
			if len(out.Keys) == limit {
				out.Next = out.Keys[len(out.Keys)-1]
				break
			}
			out.Keys = append(out.Keys, k)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	if _, _, err := s.db.CollectionInfo(name); err != nil {
		return err
	}
	sc := s.db.Scan(r.Context(), name, query.ScanOptions{Prefix: prefix, After: after, Limit: limit + 1})
	for k := range sc.Keys() {
		if len(out.Keys) == limit {
			out.Next = out.Keys[len(out.Keys)-1]
			break
		}
		out.Keys = append(out.Keys, k)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
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
	var req api.DeleteRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.checkBatch("keys", len(req.Keys)); err != nil {
		return err
	}
	if req.Filter == "" {
		return s.deleteKeys(w, r, req.Keys, req.MissingOK)
	}
	if req.Keys != nil || req.MissingOK {
		return fmt.Errorf("%w: give keys (and missing_ok) or a filter, not both", api.ErrBadRequest)
	}
	so, err := s.searchOptions(false, 0, 0, req.Filter, false, 0)
	if err != nil {
		return err
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	n, err := c.DeleteWhere(r.Context(), so.Filter)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.DeleteResponse{Deleted: n, Left: c.Len()})
	return nil
}

func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	return s.deleteKeys(w, r, []string{r.PathValue("key")}, false)
}

func (s *Server) deleteKeys(w http.ResponseWriter, r *http.Request, keys []string, missingOK bool) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	// A chunked document's key stands for its chunk records, as in the CLI.
	if keys, err = c.ExpandDocuments(r.Context(), keys, true); err != nil {
		return err
	}
	n, err := c.DeleteKeys(r.Context(), keys, query.DeleteOptions{MissingOK: missingOK})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.DeleteResponse{Deleted: n, Left: c.Len()})
	return nil
}

// addDocuments embeds and stores a batch of documents (query.AddDocuments):
// O(total text + documents·M·efConstruction), plus the embedder's calls.
func (s *Server) addDocuments(w http.ResponseWriter, r *http.Request) error {
	var req api.DocumentsRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.Documents) == 0 {
		return fmt.Errorf("%w: give documents, a list of {key, text, metadata}", api.ErrBadRequest)
	}
	if err := s.checkBatch("documents", len(req.Documents)); err != nil {
		return err
	}
	if req.ChunkTokens != 0 || req.ChunkOverlap != 0 {
		if _, err := text.Chunks(nil, text.ChunkOptions{Tokens: req.ChunkTokens, Overlap: req.ChunkOverlap}); err != nil {
			return fmt.Errorf("%w: chunk_tokens %d, chunk_overlap %d: %w", api.ErrBadRequest, req.ChunkTokens, req.ChunkOverlap, err)
		}
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	docs := make([]query.Document, len(req.Documents))
	for i, d := range req.Documents {
		docs[i] = query.Document{Key: d.Key, Text: d.Text, Metadata: d.Metadata}
	}
	rep, err := c.AddDocuments(r.Context(), docs, query.DocumentOptions{ChunkTokens: req.ChunkTokens, ChunkOverlap: req.ChunkOverlap})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.DocumentsResponse{
		Documents: rep.Documents, Written: rep.Records, Keys: rep.Keys, Words: rep.Words,
		OOV: rep.OOV, OOVWords: rep.OOVWords, Fitted: rep.Fitted, Records: c.Len(),
	})
	return nil
}
