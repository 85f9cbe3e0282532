package bench

import (
	"errors"
	"fmt"
)

// Sentinel errors. Compare with errors.Is: the errors returned by this
// package wrap them, usually inside a *FormatError that says where.
var (
	// ErrTruncated: a vector file ends inside a record.
	ErrTruncated = errors.New("bench: truncated file")
	// ErrMalformed: a vector file holds an impossible value (a negative or
	// changing dimension, an unsupported dtype, a broken header).
	ErrMalformed = errors.New("bench: malformed file")
	// ErrUnknownFormat: a file extension that no reader or plotter handles.
	ErrUnknownFormat = errors.New("bench: unknown file format")
	// ErrUnknownMetric: a metric name that ParseMetric does not know.
	ErrUnknownMetric = errors.New("bench: unknown metric")
	// ErrShape: matrices whose rows or dimensions do not fit together.
	ErrShape = errors.New("bench: shape mismatch")
	// ErrEmpty: an empty input where at least one row or point is needed.
	ErrEmpty = errors.New("bench: empty input")
	// ErrBadArgument: an out-of-range argument (k <= 0, a split larger than
	// the data set, ...).
	ErrBadArgument = errors.New("bench: bad argument")
)

// FormatError reports a malformed or truncated vector file: which file,
// which vector (0-based; -1 when the fault is in a file header) and the
// byte offset where the faulty record starts or where the file ended.
type FormatError struct {
	File   string
	Vector int   // 0-based record index, -1 for a header
	Offset int64 // byte offset in the file
	Detail string
	Err    error // ErrTruncated or ErrMalformed
}

func (e *FormatError) Error() string {
	if e.Vector < 0 {
		return fmt.Sprintf("%v: %s: header at byte offset %d: %s", e.Err, e.File, e.Offset, e.Detail)
	}
	return fmt.Sprintf("%v: %s: vector %d at byte offset %d: %s", e.Err, e.File, e.Vector, e.Offset, e.Detail)
}

func (e *FormatError) Unwrap() error { return e.Err }

// errNoThreadClock is what Run returns for RunOptions.ThreadClock on a
// system without a per-thread CPU clock.
var errNoThreadClock = fmt.Errorf("%w: no per-thread CPU clock on this system (Linux only)", ErrBadArgument)
