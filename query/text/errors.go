package text

import (
	"errors"
	"fmt"
)

// Sentinel errors. Functions return them wrapped in a typed error carrying
// the detail; test with errors.Is.
var (
	// ErrInvalidUTF8: a text that is not valid UTF-8. The concrete error is
	// a *UTF8Error with the byte offset of the first bad byte.
	ErrInvalidUTF8 = errors.New("text: invalid UTF-8")
	// ErrTooLarge: a text longer than the limit in bytes. The concrete
	// error is a *TooLargeError naming both sizes.
	ErrTooLarge = errors.New("text: text too large")
	// ErrOption: an option outside its documented range (chunk sizes, BM25
	// parameters, fusion weights, SIF's a). The concrete error is an
	// *OptionError naming the option, its value and the rule.
	ErrOption = errors.New("text: invalid option")
	// ErrDimension: vectors of different lengths pooled or fitted together,
	// or a vector whose length differs from a component's.
	ErrDimension = errors.New("text: wrong dimension")
	// ErrEmpty: nothing to pool or fit (no vectors), or a counts file with
	// no words.
	ErrEmpty = errors.New("text: no input")
	// ErrNotFinite: a NaN or infinite value in a vector, weight or score.
	ErrNotFinite = errors.New("text: not a finite number")
	// ErrDegenerate: vectors with no direction to fit (all zero).
	ErrDegenerate = errors.New("text: vectors have no principal direction")
	// ErrCorrupt: encoded component bytes that do not decode (unknown
	// version, wrong length, checksum mismatch, not a unit vector).
	ErrCorrupt = errors.New("text: corrupt component encoding")
	// ErrMalformed: a counts file line that is not "word count".
	ErrMalformed = errors.New("text: malformed counts file")
	// ErrDuplicate: the same document twice in one ranked list given to a
	// fusion, or the same word twice in a counts file.
	ErrDuplicate = errors.New("text: duplicate entry")
	// ErrInvalidK: a non-positive number of results asked of Search.
	ErrInvalidK = errors.New("text: k must be positive")
	// ErrRank: a frequency rank outside [1, vocabulary size].
	ErrRank = errors.New("text: rank out of range")
)

// UTF8Error is a text that is not valid UTF-8. It wraps ErrInvalidUTF8.
type UTF8Error struct {
	Offset int // byte offset of the first byte that does not start a valid rune
}

func (e *UTF8Error) Error() string {
	return fmt.Sprintf("text: invalid UTF-8 at byte offset %d", e.Offset)
}

// Unwrap returns ErrInvalidUTF8.
func (e *UTF8Error) Unwrap() error { return ErrInvalidUTF8 }

// TooLargeError is a text longer than a limit. It wraps ErrTooLarge.
type TooLargeError struct {
	Size, Limit int // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("text: text of %d bytes exceeds the limit of %d bytes", e.Size, e.Limit)
}

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// OptionError is an option outside its range. It wraps ErrOption.
type OptionError struct {
	Name  string  // the option, e.g. "chunk overlap"
	Value float64 // the value given
	Rule  string  // what it must be, e.g. "less than chunk tokens (10)"
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("text: %s %g must be %s", e.Name, e.Value, e.Rule)
}

// Unwrap returns ErrOption.
func (e *OptionError) Unwrap() error { return ErrOption }

// DimensionError is a vector of the wrong length. It wraps ErrDimension.
type DimensionError struct {
	Index     int // position of the vector in its input, -1 when single
	Got, Want int
}

func (e *DimensionError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("text: wrong dimension: got %d components, want %d", e.Got, e.Want)
	}
	return fmt.Sprintf("text: wrong dimension: vector %d has %d components, want %d", e.Index, e.Got, e.Want)
}

// Unwrap returns ErrDimension.
func (e *DimensionError) Unwrap() error { return ErrDimension }

// CountsError is a bad line in a counts file. It wraps ErrMalformed or
// ErrDuplicate.
type CountsError struct {
	Line int // 1-based
	Err  error
	Msg  string
}

func (e *CountsError) Error() string {
	return fmt.Sprintf("text: counts file line %d: %s", e.Line, e.Msg)
}

// Unwrap returns the sentinel.
func (e *CountsError) Unwrap() error { return e.Err }

// CorruptError is component bytes that do not decode. It wraps ErrCorrupt.
type CorruptError struct {
	Reason string
}

func (e *CorruptError) Error() string {
	return "text: corrupt component encoding: " + e.Reason
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// DuplicateError is a document that appears twice in one ranked list. It
// wraps ErrDuplicate.
type DuplicateError struct {
	List int    // 0-based list index
	ID   string // the document, formatted with %v
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("text: ranked list %d holds document %s twice", e.List, e.ID)
}

// Unwrap returns ErrDuplicate.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }
