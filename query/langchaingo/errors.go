package langchaingo

import (
	"errors"
	"fmt"
)

// Errors returned by this package. Errors of the database (query.ErrDimension,
// query.ErrUnknownCollection, ...) and of the embedder are returned wrapped,
// so errors.Is finds them.
var (
	// ErrOption is returned for an option that is out of range or does not
	// apply to the call.
	ErrOption = errors.New("langchaingo: invalid option")
	// ErrFilter is wrapped by the *FilterError of a filter that cannot be
	// mapped to a query.Filter.
	ErrFilter = errors.New("langchaingo: unsupported filter")
	// ErrEmbedder is returned when the embedder's answer does not fit the
	// documents: a wrong number of vectors, or vectors of different lengths.
	ErrEmbedder = errors.New("langchaingo: embedder returned unusable vectors")
	// ErrMetadata is returned for a document whose metadata cannot be
	// stored as a JSON object.
	ErrMetadata = errors.New("langchaingo: metadata is not JSON")
)

// FilterError reports the part of a filter that cannot be mapped: Path
// locates it in the filter (for example `filters["year"]["$gt"]`), Msg says
// what is wrong with it.
type FilterError struct {
	Path string
	Msg  string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("langchaingo: filter %s: %s", e.Path, e.Msg)
}

func (e *FilterError) Unwrap() error { return ErrFilter }
