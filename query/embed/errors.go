package embed

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, returned wrapped in the typed errors below; test with
// errors.Is.
var (
	// ErrSpec: an embedder spec string that does not parse or names an
	// unknown provider or parameter (*SpecError).
	ErrSpec = errors.New("embed: invalid embedder spec")
	// ErrSpecMismatch: a collection recorded with one embedder opened with
	// another (*MismatchError naming both).
	ErrSpecMismatch = errors.New("embed: embedder does not match the collection's")
	// ErrDimension: an embedding of the wrong length: a server that changed
	// dimension, a vocabulary vector of the wrong length, or a collection
	// of another dimension (*DimensionError).
	ErrDimension = errors.New("embed: wrong dimension")
	// ErrEmptyText: a text with no words (empty, blank or only
	// punctuation) (*TextError).
	ErrEmptyText = errors.New("embed: text has no words")
	// ErrNoKnownTokens: a text none of whose words is in the vocabulary
	// (*TextError).
	ErrNoKnownTokens = errors.New("embed: no word of the text is in the vocabulary")
	// ErrNoComponent: a words embedder configured to remove a principal
	// component that has none yet (fit one on Pool's vectors first).
	ErrNoComponent = errors.New("embed: no principal component fitted")
	// ErrServer: an embedding server that answered with an error status
	// (*ServerError with the status and the server's message).
	ErrServer = errors.New("embed: server error")
	// ErrUnavailable: no answer from an embedding server: refused
	// connection, timeout, connection reset (*ServerError).
	ErrUnavailable = errors.New("embed: server unavailable")
	// ErrMalformed: a 2xx answer that is not the documented JSON: bad
	// syntax, a wrong number of embeddings, bad indices (*ServerError).
	ErrMalformed = errors.New("embed: malformed server response")
	// ErrTooLarge: a response body over ClientOptions.MaxResponseBytes
	// (*ServerError).
	ErrTooLarge = errors.New("embed: server response too large")
	// ErrOption: an option outside its documented range.
	ErrOption = errors.New("embed: invalid option")
)

// SpecError is a spec string that does not parse. It wraps ErrSpec.
type SpecError struct {
	Spec string
	Msg  string
}

func (e *SpecError) Error() string { return fmt.Sprintf("embed: spec %q: %s", e.Spec, e.Msg) }

// Unwrap returns ErrSpec.
func (e *SpecError) Unwrap() error { return ErrSpec }

// MismatchError is an embedder that differs from the one a collection was
// written with. It wraps ErrSpecMismatch.
type MismatchError struct {
	Recorded, Requested string // canonical spec strings
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("embed: the collection was embedded with %q, not %q", e.Recorded, e.Requested)
}

// Unwrap returns ErrSpecMismatch.
func (e *MismatchError) Unwrap() error { return ErrSpecMismatch }

// DimensionError is an embedding of the wrong length. It wraps ErrDimension.
type DimensionError struct {
	Embedder  string // spec string
	Index     int    // the text's position in its batch, -1 when not about one text
	Got, Want int
}

func (e *DimensionError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("embed: %s gives %d dimensions, want %d", e.Embedder, e.Got, e.Want)
	}
	return fmt.Sprintf("embed: %s gave text %d an embedding of %d dimensions, want %d", e.Embedder, e.Index, e.Got, e.Want)
}

// Unwrap returns ErrDimension.
func (e *DimensionError) Unwrap() error { return ErrDimension }

// TextError is a text that cannot be embedded. It wraps ErrEmptyText or
// ErrNoKnownTokens.
type TextError struct {
	Index  int    // position of the text in its batch (0 for a query)
	Prefix string // the text's first characters, for the message
	Words  int    // words found in the text
	OOV    []string
	Err    error
}

func (e *TextError) Error() string {
	if errors.Is(e.Err, ErrEmptyText) {
		return fmt.Sprintf("embed: text %d %q has no words", e.Index, e.Prefix)
	}
	oov := e.OOV
	more := ""
	if len(oov) > 5 {
		oov, more = oov[:5], ", ..."
	}
	return fmt.Sprintf("embed: text %d %q: none of its %d words is in the vocabulary (%s%s)",
		e.Index, e.Prefix, e.Words, strings.Join(oov, ", "), more)
}

// Unwrap returns the sentinel.
func (e *TextError) Unwrap() error { return e.Err }

// prefix returns the first 40 runes of s, with "…" when cut.
func prefix(s string) string {
	n := 0
	for i := range s {
		if n == 40 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// ServerError is a failed request to an embedding server. It wraps ErrServer,
// ErrUnavailable, ErrMalformed or ErrTooLarge, and the underlying cause (a
// net error, context.DeadlineExceeded, a JSON error) when there is one.
type ServerError struct {
	Provider string // "ollama" or "openai"
	URL      string // the endpoint
	Status   int    // HTTP status; 0 when no response arrived
	Message  string // the server's error message, or the start of its body
	Attempts int    // requests made
	Err      error  // the sentinel
	Cause    error  // the underlying error, if any
}

func (e *ServerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "embed: %s server %s: ", e.Provider, e.URL)
	switch {
	case e.Status != 0 && errors.Is(e.Err, ErrServer):
		fmt.Fprintf(&b, "status %d", e.Status)
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
	case errors.Is(e.Err, ErrUnavailable):
		fmt.Fprintf(&b, "no response: %v", e.Cause)
	default:
		if e.Status != 0 {
			fmt.Fprintf(&b, "status %d: ", e.Status)
		}
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "embed: "))
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
		if e.Cause != nil {
			fmt.Fprintf(&b, ": %v", e.Cause)
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause.
func (e *ServerError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// OptionError is an option outside its range. It wraps ErrOption.
type OptionError struct {
	Name  string
	Value any
	Rule  string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("embed: %s %v must be %s", e.Name, e.Value, e.Rule)
}

// Unwrap returns ErrOption.
func (e *OptionError) Unwrap() error { return ErrOption }
