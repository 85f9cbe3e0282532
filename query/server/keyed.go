package server

import (
	"fmt"
	"net/http"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// similar answers gensim's KeyedVectors queries: most_similar_to_given
// with among, similar_by_vector with a vector, most_similar_cosmul with
// cosmul, most_similar otherwise. Each costs what its query method costs.
func (s *Server) similar(w http.ResponseWriter, r *http.Request) error {
	var req api.SimilarRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.checkBatch("keys", len(req.Positive)+len(req.Negative)+len(req.Among)); err != nil {
		return err
	}
	k, err := s.kOrDefault(req.K)
	if err != nil {
		return err
	}
	switch {
	case req.Vector != nil && (req.Positive != nil || req.Negative != nil || req.Among != nil || req.CosMul):
		return fmt.Errorf("%w: vector does not mix with keys, among or cosmul", api.ErrBadRequest)
	case req.Among != nil && (len(req.Positive) != 1 || req.Negative != nil || req.CosMul):
		return fmt.Errorf("%w: among takes exactly one positive key, and no negative or cosmul", api.ErrBadRequest)
	case req.Vector == nil && len(req.Positive)+len(req.Negative) == 0:
		return fmt.Errorf("%w: give positive or negative keys, or a vector", api.ErrBadRequest)
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	if req.Among != nil {
		best, err := c.MostSimilarToGiven(r.Context(), req.Positive[0], req.Among)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, api.SimilarResponse{Hits: []api.Hit{}, Best: best})
		return nil
	}
	so := query.SimilarOptions{Exact: req.Exact, Ef: req.Ef, Restrict: req.Restrict}
	var res []query.Result
	switch {
	case req.Vector != nil:
		res, err = c.SimilarByVector(r.Context(), req.Vector, k, so)
	case req.CosMul:
		res, err = c.MostSimilarCosmul(r.Context(), req.Positive, req.Negative, k, so)
	default:
		res, err = c.MostSimilar(r.Context(), req.Positive, req.Negative, k, so)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SimilarResponse{Hits: api.FromResults(res)})
	return nil
}

// similarity answers gensim's similarity (one key each) or n_similarity
// (sets): O(dim) per key.
func (s *Server) similarity(w http.ResponseWriter, r *http.Request) error {
	var req api.SimilarityRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.checkBatch("keys", len(req.A)+len(req.B)); err != nil {
		return err
	}
	if !req.Sets && (len(req.A) != 1 || len(req.B) != 1) {
		return fmt.Errorf("%w: a and b hold one key each unless sets is true", api.ErrBadRequest)
	}
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	var sim float32
	if req.Sets {
		sim, err = c.NSimilarity(r.Context(), req.A, req.B)
	} else {
		sim, err = c.Similarity(r.Context(), req.A[0], req.B[0])
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SimilarityResponse{Similarity: sim})
	return nil
}
