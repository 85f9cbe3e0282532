package api

import "encoding/json"

// DocumentsRequest is the body of POST /v1/collections/{name}/documents:
// texts the server embeds with the collection's embedder and stores with
// their vectors, all or none, in one transaction. ChunkTokens, when
// positive, splits documents longer than that many words into chunks of
// ChunkTokens words, ChunkOverlap (0 ≤ overlap < chunk_tokens) of them
// shared by consecutive chunks; each chunk is a record KEY#i.
type DocumentsRequest struct {
	Documents    []Document `json:"documents"`
	ChunkTokens  int        `json:"chunk_tokens,omitempty"`
	ChunkOverlap int        `json:"chunk_overlap,omitempty"`
}

// Document is one text to embed and store under Key, with optional
// metadata (a JSON object).
type Document struct {
	Key      string          `json:"key"`
	Text     string          `json:"text"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// DocumentsResponse answers an add of documents (query.AddReport).
type DocumentsResponse struct {
	Documents int      `json:"documents"`       // documents written
	Written   int      `json:"records_written"` // records written: one per unchunked document, one per chunk
	Keys      []string `json:"keys"`            // the records' keys, in input order
	Words     int      `json:"words"`           // words in the embedded texts
	OOV       int      `json:"oov"`             // of them, not in the vocabulary (words embedders only)
	OOVWords  []string `json:"oov_words,omitempty"`
	Fitted    bool     `json:"fitted"`  // this add fitted and stored SIF's principal component
	Records   int      `json:"records"` // records in the collection after the write
}
