package format

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Readers return them wrapped in a *ParseError that says
// where; writers return them wrapped with the record number. Test with
// errors.Is.
var (
	// ErrMalformed: a line or record that does not follow the format, such as
	// a token that is not a number or a JSON line that does not parse.
	ErrMalformed = errors.New("format: malformed input")
	// ErrDimension: a vector whose length differs from the dimension of the
	// file (set by the header, ReaderOptions.Dim or the first valid record).
	// The concrete error is a *DimensionError with both numbers.
	ErrDimension = errors.New("format: wrong dimension")
	// ErrNotFinite: a vector component that is NaN or ±Inf, or a decimal
	// number too large for a float32.
	ErrNotFinite = errors.New("format: not a finite number")
	// ErrInvalidKey: an empty key, or (writers) a key the format cannot hold
	// without changing it, such as a word2vec binary key containing a space.
	ErrInvalidKey = errors.New("format: invalid key")
	// ErrTruncated: a binary file that ends inside a record.
	ErrTruncated = errors.New("format: truncated input")
	// ErrHeader: a missing or invalid header, or a header record count that
	// does not match the number of records.
	ErrHeader = errors.New("format: bad header")
	// ErrUnknownFormat: a format name or file name extension that is not
	// one of the supported formats.
	ErrUnknownFormat = errors.New("format: unknown format")
)

// DimensionError is a vector of the wrong length. It wraps ErrDimension.
type DimensionError struct {
	Got, Want int
}

func (e *DimensionError) Error() string {
	return fmt.Sprintf("format: wrong dimension: got %d components, want %d", e.Got, e.Want)
}

// Unwrap returns ErrDimension.
func (e *DimensionError) Unwrap() error { return ErrDimension }

// ParseError is a reader error that says where the input is wrong. Err wraps
// one of the sentinels (ErrMalformed, ErrDimension, ErrNotFinite,
// ErrInvalidKey, ErrTruncated, ErrHeader).
//
// Positions are 1-based; zero means unknown or not applicable. Text formats
// (GloVe, word2vec text, JSON Lines, CSV) set Line and, when the error is in
// one token, Column (a byte index in the line). Binary formats (word2vec
// binary, fvecs) leave Line at zero. Record is the 1-based number of the
// record in the file, counting malformed ones. Offset is the 0-based byte
// offset where the line or record starts in the uncompressed input.
type ParseError struct {
	File   string // ReaderOptions.Name; "-" is shown as <stdin>
	Line   int
	Column int
	Record int
	Offset int64
	Err    error
}

// Error formats the error as "file:line:col: message" for text formats and
// "file: record N (byte offset X): message" for binary formats.
func (e *ParseError) Error() string {
	var b strings.Builder
	switch e.File {
	case "":
		b.WriteString("<input>")
	case "-":
		b.WriteString("<stdin>")
	default:
		b.WriteString(e.File)
	}
	switch {
	case e.Line > 0:
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	case e.Record > 0:
		fmt.Fprintf(&b, ": record %d (byte offset %d)", e.Record, e.Offset)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "format: "))
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// raw returns a JSON token for an error message, shortened when long.
func raw(tok []byte) string {
	const max = 40
	if len(tok) > max {
		return string(tok[:max]) + "..."
	}
	return string(tok)
}

// quote returns tok quoted for an error message, shortened when long.
func quote(tok []byte) string {
	const max = 40
	if len(tok) > max {
		return fmt.Sprintf("%q...", tok[:max])
	}
	return fmt.Sprintf("%q", tok)
}
