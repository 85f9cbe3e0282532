package main

import (
	"context"
	"errors"
	"io/fs"
	"strings"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/format"
	"github.com/vecbolt/vecbolt/query/server/api"
	"github.com/vecbolt/vecbolt/query/text"
	"github.com/vecbolt/vecbolt/store"
)

// Exit codes of the vecbolt command, as the README lists them.
const (
	exitOK       = 0
	exitFailure  = 1   // any other failure: an output file that cannot be written, a full disk, an embedding server
	exitUsage    = 2   // bad flags or arguments; an output file that exists (export without --force)
	exitNotFound = 3   // missing key, collection, database, input file, or output directory
	exitInvalid  = 4   // invalid input data: malformed file, bad vector, syntax error, a text that cannot be embedded
	exitDatabase = 5   // database locked, not a vecbolt file, unsupported version, damaged
	exitCanceled = 130 // interrupted (SIGINT)
)

// exitError attaches an exit code to an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a usage error (exit code 2).
func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

// invalidErr marks err as invalid input (exit code 4).
func invalidErr(err error) error { return &exitError{code: exitInvalid, err: err} }

// hintError replaces an error's message while keeping it for errors.Is.
type hintError struct {
	msg string
	err error
}

func (e *hintError) Error() string { return e.msg }
func (e *hintError) Unwrap() error { return e.err }

// exitCode maps an error to the process exit code: an explicit exitError
// first, then the query, store and format sentinels.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var pe *format.ParseError
	var se *query.SyntaxError
	switch {
	case errors.Is(err, context.Canceled):
		return exitCanceled
	case errors.Is(err, store.ErrLocked),
		errors.Is(err, store.ErrNotVecbolt),
		errors.Is(err, store.ErrVersion), errors.Is(err, store.ErrNeedsUpgrade),
		errors.Is(err, store.ErrCorrupt),
		errors.Is(err, index.ErrCorrupt):
		return exitDatabase
	case errors.Is(err, store.ErrKeyNotFound),
		errors.Is(err, store.ErrUnknownCollection),
		errors.Is(err, fs.ErrNotExist):
		return exitNotFound
	case errors.As(err, &pe), errors.As(err, &se),
		errors.Is(err, query.ErrSyntax),
		errors.Is(err, query.ErrInvalidK),
		errors.Is(err, query.ErrEmptyQuery),
		errors.Is(err, query.ErrMetric),
		errors.Is(err, store.ErrDimension),
		errors.Is(err, store.ErrInvalidVector),
		errors.Is(err, store.ErrZeroVector),
		errors.Is(err, store.ErrEmptyKey),
		errors.Is(err, store.ErrKeyTooLong),
		errors.Is(err, store.ErrKeyNotUTF8),
		errors.Is(err, store.ErrInvalidMetadata),
		errors.Is(err, store.ErrInvalidName),
		errors.Is(err, store.ErrInvalidConfig),
		errors.Is(err, store.ErrCollectionExists),
		errors.Is(err, format.ErrMalformed),
		errors.Is(err, format.ErrDimension),
		errors.Is(err, format.ErrNotFinite),
		errors.Is(err, format.ErrInvalidKey),
		errors.Is(err, format.ErrTruncated),
		errors.Is(err, format.ErrHeader),
		isTextInvalid(err):
		return exitInvalid
	case errors.Is(err, format.ErrUnknownFormat), errors.Is(err, embed.ErrSpec),
		errors.Is(err, query.ErrNoEmbedder), errors.Is(err, query.ErrTextMode),
		errors.Is(err, embed.ErrOption), errors.Is(err, text.ErrOption),
		errors.Is(err, api.ErrBadRequest), errors.Is(err, api.ErrLimit), errors.Is(err, api.ErrTooLarge): // --server: a request this server refuses
		return exitUsage
	case errors.Is(err, api.ErrUnavailable), errors.Is(err, query.ErrClosed): // --server: draining or closed
		return exitDatabase
	case isCobraUsage(err):
		return exitUsage
	}
	return exitFailure
}

// isCobraUsage recognises the errors cobra returns for an unknown command or
// a missing required flag, which do not go through the flag error function.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command ", "required flag(s) ", "if any flags in the group ", "at least one of the flags in the group "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// packageNames are the "pkg: " prefixes of the library's errors. They tell
// a Go caller which layer spoke; on the command line they are noise between
// the parts of one sentence.
var packageNames = map[string]bool{"store": true, "query": true, "index": true, "format": true, "bbolt": true, "text": true, "embed": true}

// cleanMessage turns a chain of wrapped errors into one sentence for the
// command line: it drops the package prefixes at the start of each part
// (outside quoted keys) and a part that repeats the one before it, as in
// "read x: read x: is a directory".
func cleanMessage(s string) string {
	var parts []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inQuote:
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && strings.HasPrefix(s[i:], ": "):
			parts = append(parts, s[start:i])
			start = i + 2
			i++
		}
	}
	parts = append(parts, s[start:])
	out := parts[:0]
	for _, p := range parts {
		if packageNames[p] || (len(out) > 0 && out[len(out)-1] == p) {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ": ")
}
