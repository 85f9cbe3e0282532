package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
	"github.com/vecbolt/vecbolt/store"
)

// Errors of the HTTP layer itself, beside the query and store sentinels
// that the table below maps.
var (
	ErrBadRequest      = errors.New("api: malformed request")
	ErrUnauthorized    = errors.New("api: missing or unknown API key")
	ErrForbidden       = errors.New("api: the API key does not allow this")
	ErrNotFound        = errors.New("api: no such route")
	ErrTooLarge        = errors.New("api: request body too large")
	ErrLimit           = errors.New("api: request beyond a server limit")
	ErrNoEmbedder      = query.ErrNoEmbedder // the same sentinel on both sides
	ErrTooManyRequests = errors.New("api: too many concurrent requests for this key")
	ErrUnavailable     = errors.New("api: server is shutting down")
	ErrInternal        = errors.New("api: internal error")
)

// ErrorCode ties a stable wire code to an HTTP status and the sentinel it
// stands for on both sides of the wire.
type ErrorCode struct {
	Code   string
	Status int
	Err    error
}

// Codes is THE error table: the server answers the first entry whose Err
// matches (errors.Is) and the client turns a code back into its Err, so
// errors.Is(err, query.ErrKeyNotFound) works client-side. Order matters
// where sentinels wrap each other: the more specific come first. An error
// that matches nothing is "internal", 500.
var Codes = []ErrorCode{
	{"bad_request", http.StatusBadRequest, ErrBadRequest},
	{"unauthorized", http.StatusUnauthorized, ErrUnauthorized},
	{"forbidden", http.StatusForbidden, ErrForbidden},
	{"route_not_found", http.StatusNotFound, ErrNotFound},
	{"too_large", http.StatusRequestEntityTooLarge, ErrTooLarge},
	{"limit_exceeded", http.StatusBadRequest, ErrLimit},
	{"no_embedder", http.StatusUnprocessableEntity, ErrNoEmbedder},
	{"too_many_requests", http.StatusTooManyRequests, ErrTooManyRequests},
	{"unavailable", http.StatusServiceUnavailable, ErrUnavailable},

	{"invalid_text", http.StatusBadRequest, query.ErrInvalidText},
	{"invalid_utf8", http.StatusBadRequest, text.ErrInvalidUTF8},
	{"text_too_large", http.StatusBadRequest, text.ErrTooLarge},
	{"empty_text", http.StatusUnprocessableEntity, query.ErrEmptyText},
	{"no_words", http.StatusUnprocessableEntity, embed.ErrEmptyText},
	{"no_known_words", http.StatusUnprocessableEntity, embed.ErrNoKnownTokens},
	{"too_many_tokens", http.StatusBadRequest, query.ErrTooManyTokens},
	{"invalid_mode", http.StatusBadRequest, query.ErrTextMode},
	{"no_counts", http.StatusUnprocessableEntity, query.ErrNoCounts},
	{"document_exists", http.StatusConflict, query.ErrDocumentExists},
	{"embedder_unavailable", http.StatusServiceUnavailable, embed.ErrUnavailable},
	{"collection_not_found", http.StatusNotFound, query.ErrUnknownCollection},
	{"key_not_found", http.StatusNotFound, query.ErrKeyNotFound},
	{"collection_exists", http.StatusConflict, query.ErrCollectionExists},
	{"key_conflict", http.StatusConflict, store.ErrKeyConflict},
	{"dimension_mismatch", http.StatusUnprocessableEntity, query.ErrDimension},
	{"invalid_vector", http.StatusUnprocessableEntity, query.ErrInvalidVector},
	{"zero_vector", http.StatusUnprocessableEntity, query.ErrZeroVector},
	{"metric_unsupported", http.StatusUnprocessableEntity, query.ErrMetric},
	{"eval_input", http.StatusUnprocessableEntity, query.ErrEvalInput},
	{"empty_key", http.StatusBadRequest, query.ErrEmptyKey},
	{"key_too_long", http.StatusBadRequest, query.ErrKeyTooLong},
	{"key_not_utf8", http.StatusBadRequest, store.ErrKeyNotUTF8},
	{"invalid_metadata", http.StatusBadRequest, store.ErrInvalidMetadata},
	{"invalid_name", http.StatusBadRequest, store.ErrInvalidName},
	{"invalid_config", http.StatusBadRequest, store.ErrInvalidConfig},
	{"unknown_metric", http.StatusBadRequest, index.ErrMetric},
	{"invalid_index_options", http.StatusBadRequest, index.ErrOptions},
	{"invalid_k", http.StatusBadRequest, query.ErrInvalidK},
	{"empty_query", http.StatusBadRequest, query.ErrEmptyQuery},
	{"syntax_error", http.StatusBadRequest, query.ErrSyntax},
	{"invalid_filter", http.StatusBadRequest, query.ErrFilter},
	{"read_only", http.StatusForbidden, query.ErrReadOnly},
	{"closed", http.StatusServiceUnavailable, query.ErrClosed},
	{"locked", http.StatusServiceUnavailable, query.ErrLocked},
	{"corrupt", http.StatusInternalServerError, store.ErrCorrupt},
	{"internal", http.StatusInternalServerError, ErrInternal},
}

// Lookup returns the table entry for err: the first whose Err matches, or
// "internal". O(len(Codes)).
func Lookup(err error) ErrorCode {
	for _, c := range Codes {
		if errors.Is(err, c.Err) {
			return c
		}
	}
	return Codes[len(Codes)-1]
}

// ByCode returns the table entry for a wire code and whether it is known.
func ByCode(code string) (ErrorCode, bool) {
	for _, c := range Codes {
		if c.Code == code {
			return c, true
		}
	}
	return ErrorCode{}, false
}

// ErrorBody is every error response: {"error":{"code":…,"message":…}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of an ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is an error answered by the server, as the client sees it. It
// unwraps to the sentinel of its code, so errors.Is works across the wire.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Code)
}

// Unwrap returns the sentinel of e.Code, or nil for an unknown code.
func (e *Error) Unwrap() error {
	if c, ok := ByCode(e.Code); ok {
		return c.Err
	}
	return nil
}
