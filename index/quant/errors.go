package quant

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers test with errors.Is; the concrete errors returned
// by this package wrap one of these and add detail.
var (
	// ErrValue: a component is NaN, infinite, or too large for the
	// encoding (beyond ±65504 for FP16, beyond ±MaxComponent for INT8).
	// Returned errors are *ValueError.
	ErrValue = errors.New("quant: component out of range")
	// ErrDimension: a vector, code or buffer has the wrong length.
	// Returned errors are *DimensionError.
	ErrDimension = errors.New("quant: wrong dimension")
	// ErrParams: invalid arguments to Train, NewSymmetric or Default (no
	// training vectors, a bad metric, scheme or quantile, a dimension out of
	// range).
	ErrParams = errors.New("quant: invalid quantization parameters")
	// ErrCorrupt: bytes given to Int8.UnmarshalBinary are damaged, truncated
	// or of an unknown version (nothing is decoded from them), or a stored
	// code fails CheckCode or CheckFP16.
	ErrCorrupt = errors.New("quant: corrupt quantization parameters")
	// ErrEncoding: an unknown encoding name or value.
	ErrEncoding = errors.New("quant: unknown encoding")
)

// ValueError reports a component that cannot be encoded.
type ValueError struct {
	Index int     // position of the component in its vector
	Value float32 // the component
	Why   string  // "NaN", "infinite", "beyond the fp16 range (±65504)" or "beyond ±MaxComponent"
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("quant: component %d is %s (%v)", e.Index, e.Why, e.Value)
}

// Unwrap returns ErrValue.
func (e *ValueError) Unwrap() error { return ErrValue }

// DimensionError reports a slice of the wrong length.
type DimensionError struct {
	What      string // "vector", "code", "dst"
	Got, Want int
}

func (e *DimensionError) Error() string {
	return fmt.Sprintf("quant: %s has %d components, want %d", e.What, e.Got, e.Want)
}

// Unwrap returns ErrDimension.
func (e *DimensionError) Unwrap() error { return ErrDimension }

func paramsf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrParams}, args...)...)
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}
