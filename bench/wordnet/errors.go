package wordnet

import (
	"errors"
	"fmt"
)

// Errors returned by this package.
var (
	// ErrSyntax is wrapped by a *ParseError for a line that is not a
	// WordNet data line.
	ErrSyntax = errors.New("wordnet: malformed data line")
	// ErrNoData is returned by ReadDir for a directory without data files.
	ErrNoData = errors.New("wordnet: no data files")
	// ErrOption is returned for an evaluation option out of range.
	ErrOption = errors.New("wordnet: invalid option")
	// ErrNoSynsets is returned by an evaluation with nothing to evaluate.
	ErrNoSynsets = errors.New("wordnet: no synsets to evaluate")
)

// ParseError reports a malformed data line: its file, its 1-based line
// number, and what was wrong.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("wordnet: %s:%d: %s", e.File, e.Line, e.Msg)
}

func (e *ParseError) Unwrap() error { return ErrSyntax }
