package query

import (
	"errors"
	"fmt"

	"github.com/vecbolt/vecbolt/store"
)

// Errors returned by this package. Errors from the store are passed through
// wrapped, so callers test them with errors.Is against the store sentinels,
// which this package re-exports for convenience.
var (
	ErrClosed            = errors.New("query: database is closed")
	ErrInvalidK          = errors.New("query: k must be positive")
	ErrEmptyQuery        = errors.New("query: no keys in the query")
	ErrMetric            = errors.New("query: metric not supported for this operation")
	ErrUnknownCollection = store.ErrUnknownCollection
	ErrCollectionExists  = store.ErrCollectionExists
	ErrKeyNotFound       = store.ErrKeyNotFound
	ErrDimension         = store.ErrDimension
	ErrInvalidVector     = store.ErrInvalidVector
	ErrZeroVector        = store.ErrZeroVector
	ErrEmptyKey          = store.ErrEmptyKey
	ErrKeyTooLong        = store.ErrKeyTooLong
	ErrReadOnly          = store.ErrReadOnly
	ErrLocked            = store.ErrLocked
	ErrNotVecbolt        = store.ErrNotVecbolt
	ErrNeedsUpgrade      = store.ErrNeedsUpgrade
	// ErrInvalidOrder: a node order (StageOptions.Order, DB.Reorder) that
	// is not "", "none", "bfs", "rcm" or "gorder".
	ErrInvalidOrder = errors.New("query: unknown node order")
)

// KeyError reports a key that is not in a collection.
type KeyError struct {
	Collection string
	Key        string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("query: key %q not found in collection %q", e.Key, e.Collection)
}

// Unwrap returns ErrKeyNotFound.
func (e *KeyError) Unwrap() error { return ErrKeyNotFound }

// Errors of text, documents and embedders (doc_*.go).
var (
	// ErrInvalidText: a record or document text that cannot be stored or
	// embedded: not valid UTF-8 (a *text.UTF8Error naming the offset is in
	// the chain), longer than text.MaxTextBytes (a *text.TooLargeError
	// naming the limit), empty or without a word (ErrEmptyText).
	ErrInvalidText = errors.New("query: invalid text")
	// ErrEmptyText: a document whose text has no word (empty, blank, or
	// punctuation only). It is inside an ErrInvalidText *TextError.
	ErrEmptyText = errors.New("query: text has no words")
	// ErrTooManyTokens: a document or chunk longer than
	// DocumentOptions.MaxTokens words (*TextError naming the limit).
	ErrTooManyTokens = errors.New("query: text has too many words for one vector")
	// ErrNoEmbedder: a text operation on a collection created without an
	// embedder (CollectionConfig.Embedder).
	ErrNoEmbedder = errors.New("query: collection has no embedder")
	// ErrNoCounts: a words embedder with p=counts over a word collection
	// whose records hold no {"count": N} metadata.
	ErrNoCounts = errors.New("query: word collection has no counts")
	// ErrDocumentExists: AddDocuments of a key that is stored as a
	// document, or whose chunk keys are taken (DeleteDocuments first).
	ErrDocumentExists = errors.New("query: document exists")
	// ErrTooFewToFit: SIF's principal component fitted on fewer than two
	// texts (it would remove the only direction they have).
	ErrTooFewToFit = errors.New("query: too few texts to fit a principal component")
	// ErrTextMode: a TextSearchOptions mode or fusion that is not known.
	ErrTextMode = errors.New("query: unknown text search mode")
)

// TextError is a record or document text that cannot be used, naming its
// position in the input and its key. It wraps the cause.
type TextError struct {
	Index int    // position in the input slice
	Key   string // the record or document key
	Err   error
}

func (e *TextError) Error() string {
	return fmt.Sprintf("query: text %d (%q): %v", e.Index, e.Key, e.Err)
}

func (e *TextError) Unwrap() error { return e.Err }
