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
