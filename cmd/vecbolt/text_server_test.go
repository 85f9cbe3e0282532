package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode"
)

// hashVector is the embedding the fake servers give a text: a bag of its
// lower-cased words hashed into dim buckets, plus 0.1 everywhere so that
// no vector is zero. Tests compute it too, as the reference.
func hashVector(s string, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = 0.1
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%uint32(dim)]++
	}
	return v
}

// embedServer is a fake Ollama (POST /api/embed) or OpenAI-compatible
// (POST /v1/embeddings) server answering with hashVector, as their
// documentation specifies the request and response. A hook may replace
// the answer to request n (1-based).
type embedServer struct {
	t        *testing.T
	provider string // "ollama" or "openai"
	dim      int
	apiKey   string // required Bearer key when set
	srv      *httptest.Server
	done     chan struct{} // closed when the test ends

	mu       sync.Mutex // protects requests, texts, hook
	requests int
	texts    []string
	// hook, when set, is called for every request; it returns true when it
	// has answered.
	hook func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newEmbedServer(t *testing.T, provider string, dim int) *embedServer {
	s := &embedServer{t: t, provider: provider, dim: dim}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.done = make(chan struct{})
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { close(s.done) }) // first: releases stalled handlers
	return s
}

// url is the base URL a user gives: the host for Ollama, host/v1 for
// OpenAI-compatible servers.
func (s *embedServer) url() string {
	if s.provider == "openai" {
		return s.srv.URL + "/v1"
	}
	return s.srv.URL
}

func (s *embedServer) setHook(h func(n int, w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

func (s *embedServer) count() (requests, texts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, len(s.texts)
}

func (s *embedServer) fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if s.provider == "openai" {
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": nil}})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *embedServer) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	n, hook := s.requests, s.hook
	s.mu.Unlock()
	if hook != nil && hook(n, w, r) {
		return
	}
	path := "/api/embed"
	if s.provider == "openai" {
		path = "/v1/embeddings"
	}
	if r.Method != http.MethodPost || r.URL.Path != path {
		s.fail(w, http.StatusNotFound, "404 page not found")
		return
	}
	if s.apiKey != "" && r.Header.Get("Authorization") != "Bearer "+s.apiKey {
		s.fail(w, http.StatusUnauthorized, "Incorrect API key provided")
		return
	}
	var req struct {
		Model          string   `json:"model"`
		Input          []string `json:"input"`
		EncodingFormat string   `json:"encoding_format"`
		Dimensions     int      `json:"dimensions"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Model == "" || len(req.Input) == 0 {
		s.fail(w, http.StatusBadRequest, fmt.Sprintf("invalid request: %v", err))
		return
	}
	s.mu.Lock()
	s.texts = append(s.texts, req.Input...)
	s.mu.Unlock()
	vecs := make([][]float32, len(req.Input))
	for i, in := range req.Input {
		vecs[i] = hashVector(in, s.dim)
	}
	w.Header().Set("Content-Type", "application/json")
	if s.provider == "openai" {
		data := make([]map[string]any, len(vecs))
		for i, v := range vecs {
			data[i] = map[string]any{"object": "embedding", "index": i, "embedding": v}
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model,
			"usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"model": req.Model, "embeddings": vecs,
		"total_duration": 1, "load_duration": 1, "prompt_eval_count": 1})
}

// answer is a hook answering request n with status and body, and every
// other request normally.
func answerOn(n, status int, body string) func(int, http.ResponseWriter, *http.Request) bool {
	return func(i int, w http.ResponseWriter, _ *http.Request) bool {
		if i != n {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
		return true
	}
}

// stallOn is a hook that holds request n until the client gives up (the
// body is read first: the server notices a closed connection only then).
func (s *embedServer) stallOn(n int) func(int, http.ResponseWriter, *http.Request) bool {
	return func(i int, _ http.ResponseWriter, r *http.Request) bool {
		if i != n {
			return false
		}
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return true
	}
}
