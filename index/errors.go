package index

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers test with errors.Is; the concrete errors returned
// by this package wrap one of these and add detail.
var (
	// ErrDimension: a vector's length differs from the graph's dimension.
	// Returned errors are *DimensionError.
	ErrDimension = errors.New("index: wrong vector dimension")
	// ErrOptions: an Options field or the dimension is out of range.
	ErrOptions = errors.New("index: invalid options")
	// ErrMetric: an unknown metric name or value.
	ErrMetric = errors.New("index: unknown metric")
	// ErrNotFound: an id that is not a live node (never allocated, deleted or freed).
	ErrNotFound = errors.New("index: no such node")
	// ErrCorrupt: bytes given to the codec (Restore, Restorer.Node, Finish)
	// are malformed or inconsistent.
	ErrCorrupt = errors.New("index: corrupt graph data")
	// ErrInvalidGraph: Check found a violated invariant. Returned errors are
	// *CheckError.
	ErrInvalidGraph = errors.New("index: graph invariant violated")
	// ErrFull: the graph cannot hold more nodes (ids are uint32, and
	// MaxNodes is the hard limit).
	ErrFull = errors.New("index: graph is full")
	// ErrRepair: a write (or Reconnect) could not make every live node
	// reachable from the entry point again; the graph fails Check until a
	// later Reconnect succeeds or it is rebuilt.
	ErrRepair = errors.New("index: graph repair failed")
	// ErrVector: a vector the graph's encoding cannot hold (a NaN, infinite
	// or out-of-range component). Returned errors are *VectorError, which
	// also wraps the quant error (quant.ErrValue).
	ErrVector = errors.New("index: vector cannot be encoded")
	// ErrEncoded: SetEncoding on a graph that already holds codes.
	ErrEncoded = errors.New("index: graph encoding cannot change")
)

// VectorError reports a vector the graph's encoding refuses. It wraps both
// ErrVector and the encoder's error (a *quant.ValueError).
type VectorError struct {
	Err error
}

func (e *VectorError) Error() string {
	return "index: vector refused: " + strings.TrimPrefix(e.Err.Error(), "quant: ")
}

// Unwrap returns ErrVector and the encoder's error.
func (e *VectorError) Unwrap() []error { return []error{ErrVector, e.Err} }

// DimensionError reports a vector of the wrong length.
type DimensionError struct {
	Got, Want int
}

func (e *DimensionError) Error() string {
	return fmt.Sprintf("index: vector has %d dimensions, graph has %d", e.Got, e.Want)
}

// Unwrap returns ErrDimension.
func (e *DimensionError) Unwrap() error { return ErrDimension }

// NotFoundError names the id that is not a live node.
type NotFoundError struct {
	ID uint32
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("index: node %d is not live", e.ID)
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// corruptf returns an error wrapping ErrCorrupt.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}
