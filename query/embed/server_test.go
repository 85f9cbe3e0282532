package embed_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// vectorOf is the embedding the fake servers give a text: its length, its
// first byte, and then 1s up to dim, so tests can check the order.
func vectorOf(s string, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = 1
	}
	if dim > 0 {
		v[0] = float32(len(s))
	}
	if dim > 1 {
		v[1] = float32(s[0])
	}
	return v
}

// reply is what the fake server does for one request. The zero value
// answers correctly.
type reply struct {
	status     int               // 0: 200
	body       string            // raw body instead of the computed one
	header     map[string]string // extra response headers
	dims       []int             // per-input dimension instead of the server's
	block      bool              // wait until the client gives up
	reverse    bool              // openai: send data in reverse order
	mangleJSON func(map[string]any)
}

// fakeServer implements the documented request and response of Ollama's
// POST /api/embed or OpenAI's POST /v1/embeddings. It checks every request
// strictly (method, path, content type, API key, the request body with no
// unknown fields) and answers from a queue of replies; when the queue is
// empty it answers correctly.
type fakeServer struct {
	t        *testing.T
	provider string
	apiKey   string // openai: required Bearer key when set
	dim      int
	srv      *httptest.Server

	mu       sync.Mutex // protects replies, requests
	replies  []reply
	requests []map[string]any

	count   atomic.Int64
	arrived chan struct{} // signalled (non-blocking) when a request arrives
}

func newFakeServer(t *testing.T, provider string, dim int, replies ...reply) *fakeServer {
	f := &fakeServer{t: t, provider: provider, dim: dim, replies: replies, arrived: make(chan struct{}, 100)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) base() string {
	if f.provider == "openai" {
		return f.srv.URL + "/v1"
	}
	return f.srv.URL
}

func (f *fakeServer) writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if f.provider == "openai" {
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"message": msg, "type": "invalid_request_error", "param": nil, "code": nil}})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (f *fakeServer) handle(w http.ResponseWriter, r *http.Request) {
	f.count.Add(1)
	select {
	case f.arrived <- struct{}{}:
	default:
	}
	wantPath := "/api/embed"
	if f.provider == "openai" {
		wantPath = "/v1/embeddings"
	}
	if r.Method != http.MethodPost || r.URL.Path != wantPath {
		f.writeError(w, http.StatusNotFound, fmt.Sprintf("%s %s not found", r.Method, r.URL.Path))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.writeError(w, http.StatusBadRequest, "content type "+ct)
		return
	}
	if f.apiKey != "" && r.Header.Get("Authorization") != "Bearer "+f.apiKey {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		// OpenAI's documented error object, verbatim in shape.
		fmt.Fprint(w, `{"error": {"message": "Incorrect API key provided: sk-wrong.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}`)
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
	if err := dec.Decode(&req); err != nil {
		f.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if f.provider == "ollama" && req.EncodingFormat != "" {
		f.writeError(w, http.StatusBadRequest, "unknown field encoding_format")
		return
	}
	if f.provider == "openai" && req.EncodingFormat != "float" {
		f.writeError(w, http.StatusBadRequest, "encoding_format "+req.EncodingFormat)
		return
	}
	if req.Model == "" || len(req.Input) == 0 {
		f.writeError(w, http.StatusBadRequest, "model and input are required")
		return
	}
	for _, s := range req.Input {
		if s == "" {
			f.writeError(w, http.StatusBadRequest, "input cannot be an empty string")
			return
		}
	}
	f.mu.Lock()
	var rp reply
	if len(f.replies) > 0 {
		rp, f.replies = f.replies[0], f.replies[1:]
	}
	f.requests = append(f.requests, map[string]any{"model": req.Model, "input": req.Input, "dimensions": req.Dimensions})
	f.mu.Unlock()

	if rp.block {
		<-r.Context().Done()
		return
	}
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	if rp.status != 0 && rp.status != http.StatusOK {
		if rp.body != "" {
			w.WriteHeader(rp.status)
			fmt.Fprint(w, rp.body)
			return
		}
		f.writeError(w, rp.status, fmt.Sprintf("server says %d", rp.status))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if rp.body != "" {
		fmt.Fprint(w, rp.body)
		return
	}
	dim := f.dim
	if req.Dimensions > 0 {
		dim = req.Dimensions
	}
	vecs := make([][]float32, len(req.Input))
	for i, s := range req.Input {
		d := dim
		if i < len(rp.dims) {
			d = rp.dims[i]
		}
		vecs[i] = vectorOf(s, d)
	}
	var resp map[string]any
	if f.provider == "ollama" {
		resp = map[string]any{"model": req.Model, "embeddings": vecs,
			"total_duration": 14143917, "load_duration": 1019500, "prompt_eval_count": 8}
	} else {
		data := make([]map[string]any, len(vecs))
		for i, v := range vecs {
			j := i
			if rp.reverse {
				j = len(vecs) - 1 - i
			}
			data[j] = map[string]any{"object": "embedding", "index": i, "embedding": v}
		}
		resp = map[string]any{"object": "list", "data": data, "model": req.Model,
			"usage": map[string]int{"prompt_tokens": 8, "total_tokens": 8}}
	}
	if rp.mangleJSON != nil {
		rp.mangleJSON(resp)
	}
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(resp)
	w.Write(b.Bytes())
}

func (f *fakeServer) requestLog() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.requests...)
}

func join(xs []string) string { return strings.Join(xs, ",") }
