package server

import (
	"encoding/json"
	"errors"
	"log"
	"net/http"

	"github.com/vecbolt/vecbolt/query/server/api"
)

// Errors of configuring and starting a server. Errors answered to clients
// are mapped from sentinels by the one table in api.Codes.
var (
	ErrKeys     = errors.New("server: invalid API keys")
	ErrAddr     = errors.New("server: refusing a non-loopback address without API keys")
	ErrTLS      = errors.New("server: --tls-cert and --tls-key go together")
	ErrDBClosed = errors.New("server: the database is closed")
)

// writeError answers err through api.Codes. The message of a 500 is
// generic (the detail, which may name server paths, goes to the log).
func (s *Server) writeError(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = api.ErrTooLarge
	}
	c := api.Lookup(err)
	msg := err.Error()
	if c.Status == http.StatusInternalServerError {
		s.logf("vecbolt serve: %v", err)
		msg = "internal error"
		if errors.Is(err, api.ErrInternal) || c.Code == "corrupt" {
			msg = c.Err.Error()
		}
	}
	writeJSON(w, c.Status, api.ErrorBody{Error: api.ErrorDetail{Code: c.Code, Message: msg}})
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Log != nil {
		s.opts.Log.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
