// Package api holds the wire types of vecbolt's HTTP API and its one error
// table, shared by the server (query/server) and the Go client
// (query/client), so the two cannot disagree on a field name or an error
// code.
//
// Every request and response body is JSON. Field names are snake_case.
// Records and hits convert to and from query.Record and query.Result
// without loss.
package api

import (
	"encoding/json"

	"github.com/vecbolt/vecbolt/query"
)

// Record is a stored record on the wire: query.Record with JSON names.
type Record struct {
	Key      string          `json:"key"`
	Vector   []float32       `json:"vector,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Text     string          `json:"text,omitempty"` // stored with the record, indexed for keyword search; "" keeps an existing record's text
}

// Hit is one neighbour on the wire: query.Result with JSON names.
type Hit struct {
	Key      string          `json:"key"`
	Score    float32         `json:"score"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Vector   []float32       `json:"vector,omitempty"` // the stored vector, with with_vectors
	Text     string          `json:"text,omitempty"`   // the stored text, with with_text (a text search: the best chunk's)

	// A text search fills these (see query.TextResult): the best chunk's
	// key, its score in each ranking and the document's rank there (0:
	// not among that ranking's candidates).
	Chunk        string   `json:"chunk,omitempty"`
	VectorScore  *float64 `json:"vector_score,omitempty"`
	KeywordScore *float64 `json:"keyword_score,omitempty"`
	VectorRank   int      `json:"vector_rank,omitempty"`
	KeywordRank  int      `json:"keyword_rank,omitempty"`
}

// FromRecord converts a query.Record; the slices are shared, not copied.
func FromRecord(r query.Record) Record {
	return Record{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata, Text: r.Text}
}

// ToRecord converts to a query.Record; the slices are shared, not copied.
func (r Record) ToRecord() query.Record {
	return query.Record{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata, Text: r.Text}
}

// FromResults converts query results to hits; never nil. O(len(rs)).
func FromResults(rs []query.Result) []Hit {
	hs := make([]Hit, len(rs))
	for i, r := range rs {
		hs[i] = Hit{Key: r.Key, Score: r.Score, Metadata: r.Metadata, Vector: r.Vector, Text: r.Text}
	}
	return hs
}

// ToResults converts hits to query results; never nil. O(len(hs)).
func ToResults(hs []Hit) []query.Result {
	rs := make([]query.Result, len(hs))
	for i, h := range hs {
		rs[i] = query.Result{Key: h.Key, Score: h.Score, Metadata: h.Metadata, Vector: h.Vector, Text: h.Text}
	}
	return rs
}

// FromTextResults converts text search results to hits; never nil. The
// score is narrowed to float32. O(len(rs)).
func FromTextResults(rs []query.TextResult) []Hit {
	hs := make([]Hit, len(rs))
	for i, r := range rs {
		vs, ks := r.VectorScore, r.KeywordScore
		hs[i] = Hit{Key: r.Key, Score: float32(r.Score), Metadata: r.Metadata, Text: r.Text, Chunk: r.Chunk,
			VectorScore: &vs, KeywordScore: &ks, VectorRank: r.VectorRank, KeywordRank: r.KeywordRank}
	}
	return hs
}

// ToTextResults converts hits of a text search back; never nil.
// O(len(hs)).
func ToTextResults(hs []Hit) []query.TextResult {
	rs := make([]query.TextResult, len(hs))
	for i, h := range hs {
		rs[i] = query.TextResult{Key: h.Key, Score: float64(h.Score), Metadata: h.Metadata, Text: h.Text, Chunk: h.Chunk,
			VectorRank: h.VectorRank, KeywordRank: h.KeywordRank}
		if h.VectorScore != nil {
			rs[i].VectorScore = *h.VectorScore
		}
		if h.KeywordScore != nil {
			rs[i].KeywordScore = *h.KeywordScore
		}
	}
	return rs
}

// CollectionInfo describes a collection in a listing, read from the file
// without loading its graph.
type CollectionInfo struct {
	Name    string                 `json:"name"`
	Records int                    `json:"records"`
	Config  query.CollectionConfig `json:"config"`
}

// CollectionList answers GET /v1/collections.
type CollectionList struct {
	Collections []CollectionInfo `json:"collections"`
	FileBytes   int64            `json:"file_bytes"` // size of the database file
}

// CreateCollectionRequest is the body of POST /v1/collections.
type CreateCollectionRequest struct {
	Name   string                 `json:"name"`
	Config query.CollectionConfig `json:"config"`
}

// UpsertRequest is the body of POST /v1/collections/{name}/records: the
// records are written in one transaction, all or none.
type UpsertRequest struct {
	Records []Record `json:"records"`
}

// UpsertResponse answers an upsert.
type UpsertResponse struct {
	Upserted int `json:"upserted"`
	// Replaced counts the distinct keys of the request that were stored
	// before it (read just before the write, so a concurrent writer may
	// make it stale).
	Replaced int `json:"replaced"`
	Records  int `json:"records"` // records in the collection after the write
}

// MetadataRequest is the body of PUT
// /v1/collections/{name}/records/{key}/metadata: the record's new metadata,
// a JSON object, or null to clear it. The vector is kept.
type MetadataRequest struct {
	Metadata json.RawMessage `json:"metadata"`
}

// KeysRequest is the body of the batch get and delete routes.
type KeysRequest struct {
	Keys []string `json:"keys"`
}

// GetResponse answers a batch get: the records found, in request order,
// and the keys that were not.
type GetResponse struct {
	Records []Record `json:"records"`
	Missing []string `json:"missing"`
}

// DeleteRequest is the body of POST /v1/collections/{name}/records/delete:
// either keys (every one must exist unless MissingOK) or a metadata filter
// (query.ParseFilter syntax), deleted in one transaction.
type DeleteRequest struct {
	Keys      []string `json:"keys,omitempty"`
	MissingOK bool     `json:"missing_ok,omitempty"`
	Filter    string   `json:"filter,omitempty"`
}

// DeleteResponse answers a delete.
type DeleteResponse struct {
	Deleted int `json:"deleted"`
	Left    int `json:"left"` // records in the collection after the delete
}

// KeysResponse answers GET /v1/collections/{name}/keys: a page of keys in
// ascending byte order, and the after value of the next page ("" when this
// page is the last).
type KeysResponse struct {
	Keys []string `json:"keys"`
	Next string   `json:"next"`
}

// SearchRequest is the body of POST /v1/collections/{name}/search. Exactly
// one of Vector, Key, Expr and Text is the query. With Threshold set the
// search returns every record that passes it (SearchWithin), capped by
// Limit, and K is ignored; otherwise it returns the K nearest. A Text
// query is query.Collection.SearchText: Mode, Fusion, Weight, Candidates
// and Chunks apply to it only, Threshold filters its K results, and
// vector and hybrid modes need a collection with an embedder (422
// no_embedder otherwise). Oversample is query.SearchOptions.Oversample for
// a collection that holds its vectors as codes (fp16, int8): the search
// re-ranks its best ceil(k·Oversample) candidates by exact distance; 0
// means the default (index.DefaultOversample), values below 1 count as 1,
// and the largest allowed is MaxOversample. Vector, key, threshold and
// text searches use it; an expr search (an analogy) re-ranks with the
// default, as query.Collection.Analogy does.
type SearchRequest struct {
	Vector       []float32 `json:"vector,omitempty"`
	Key          string    `json:"key,omitempty"`
	Expr         string    `json:"expr,omitempty"`
	Text         string    `json:"text,omitempty"`
	K            int       `json:"k,omitempty"`
	Threshold    *float32  `json:"threshold,omitempty"`
	Limit        int       `json:"limit,omitempty"`
	Exact        bool      `json:"exact,omitempty"`
	Ef           int       `json:"ef,omitempty"`
	Restrict     int       `json:"restrict,omitempty"`
	Filter       string    `json:"filter,omitempty"` // query.ParseFilter syntax
	WithMetadata bool      `json:"with_metadata,omitempty"`
	WithVectors  bool      `json:"with_vectors,omitempty"` // each hit's stored vector
	Offset       int       `json:"offset,omitempty"`       // skip the closest offset hits (paging)
	WithText     bool      `json:"with_text,omitempty"`    // each hit's stored text
	Mode         string    `json:"mode,omitempty"`         // text: "vector" (default), "keyword" or "hybrid"
	Fusion       string    `json:"fusion,omitempty"`       // text, hybrid: "rrf" (default) or "weighted"
	Weight       float64   `json:"weight,omitempty"`       // text, hybrid: the vector ranking's weight in [0, 1]; 0 means 0.5
	Candidates   int       `json:"candidates,omitempty"`   // text: depth of each ranking before fusion; 0: max(4(k+offset), 50)
	Chunks       bool      `json:"chunks,omitempty"`       // text: chunk records instead of documents
	Oversample   float64   `json:"oversample,omitempty"`   // fp16/int8 collections: re-rank ceil(k·oversample) candidates exactly
}

// MaxOversample is the largest oversample a search request may ask for:
// a search re-ranks up to ceil(k·oversample) candidates with exact reads
// and traverses with a beam at least that wide, so the factor bounds the
// work one request can cost (index.DefaultOversample is 3).
const MaxOversample = 100

// SearchResponse answers a search.
type SearchResponse struct {
	Hits []Hit `json:"hits"`
}

// BatchSearchRequest is the body of POST /v1/collections/{name}/search/batch:
// one search per vector, or per key when Keys is set.
type BatchSearchRequest struct {
	Vectors      [][]float32 `json:"vectors,omitempty"`
	Keys         []string    `json:"keys,omitempty"`
	K            int         `json:"k,omitempty"`
	Exact        bool        `json:"exact,omitempty"`
	Ef           int         `json:"ef,omitempty"`
	Restrict     int         `json:"restrict,omitempty"`
	Filter       string      `json:"filter,omitempty"`
	Oversample   float64     `json:"oversample,omitempty"` // as SearchRequest.Oversample
	WithMetadata bool        `json:"with_metadata,omitempty"`
}

// BatchSearchResponse answers a batch search, one list per query in
// request order.
type BatchSearchResponse struct {
	Batch [][]Hit `json:"batch"`
}

// AnalogyRequest is the body of POST /v1/collections/{name}/analogy: either
// Expr ("king - man + woman") or Positive and Negative keys.
type AnalogyRequest struct {
	Expr         string   `json:"expr,omitempty"`
	Positive     []string `json:"positive,omitempty"`
	Negative     []string `json:"negative,omitempty"`
	K            int      `json:"k,omitempty"`
	Method       string   `json:"method,omitempty"` // "3cosadd" (default) or "3cosmul"
	Exact        bool     `json:"exact,omitempty"`
	Ef           int      `json:"ef,omitempty"`
	Restrict     int      `json:"restrict,omitempty"`
	Filter       string   `json:"filter,omitempty"`
	WithMetadata bool     `json:"with_metadata,omitempty"`
	Candidates   int      `json:"candidates,omitempty"`
}

// DoesntMatchRequest is the body of POST
// /v1/collections/{name}/doesnt_match. With Rank the answer also ranks
// every key by its cosine similarity to the mean, most central first.
type DoesntMatchRequest struct {
	Keys []string `json:"keys"`
	Rank bool     `json:"rank,omitempty"`
}

// DoesntMatchResponse answers POST /v1/collections/{name}/doesnt_match.
type DoesntMatchResponse struct {
	Key     string `json:"key"`
	Ranking []Hit  `json:"ranking,omitempty"`
}

// SimilarRequest is the body of POST /v1/collections/{name}/similar, the
// gensim KeyedVectors queries: most_similar (Positive, Negative),
// most_similar_cosmul (CosMul), similar_by_vector (Vector) and
// most_similar_to_given (one Positive key and Among).
type SimilarRequest struct {
	Positive []string  `json:"positive,omitempty"`
	Negative []string  `json:"negative,omitempty"`
	Vector   []float32 `json:"vector,omitempty"`
	Among    []string  `json:"among,omitempty"`
	CosMul   bool      `json:"cosmul,omitempty"`
	K        int       `json:"k,omitempty"`
	Restrict int       `json:"restrict,omitempty"`
	Exact    bool      `json:"exact,omitempty"`
	Ef       int       `json:"ef,omitempty"`
}

// SimilarResponse answers /similar: the hits, or with Among the best key.
type SimilarResponse struct {
	Hits []Hit  `json:"hits"`
	Best string `json:"best,omitempty"`
}

// SimilarityRequest is the body of POST /v1/collections/{name}/similarity:
// the cosine similarity of the keys A[0] and B[0] (gensim's similarity),
// or with Sets of the means of the stored vectors of A and B
// (n_similarity).
type SimilarityRequest struct {
	A    []string `json:"a"`
	B    []string `json:"b"`
	Sets bool     `json:"sets,omitempty"`
}

// SimilarityResponse answers /similarity.
type SimilarityResponse struct {
	Similarity float32 `json:"similarity"`
}

// CheckResponse answers the check routes: OK, or the problems found.
type CheckResponse struct {
	OK       bool   `json:"ok"`
	Problems string `json:"problems,omitempty"`
}

// StatusResponse answers /healthz and /readyz.
type StatusResponse struct {
	Status string `json:"status"`
}
