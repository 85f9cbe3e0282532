package embed

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// OllamaDefaultURL is where NewOllama sends requests when
// ClientOptions.BaseURL is empty.
const OllamaDefaultURL = "http://127.0.0.1:11434"

// OllamaEmbedder embeds through an Ollama server's POST /api/embed:
//
//	request  {"model": "all-minilm", "input": ["text", ...], "dimensions": 256}
//	response {"model": "all-minilm", "embeddings": [[0.01, ...], ...], ...}
//	error    {"error": "model \"x\" not found, try pulling it first"}
//
// ("dimensions" is sent only when ClientOptions.Dimensions is set; the
// server's default "truncate": true is left alone.) The embeddings come
// back in input order. It is safe for concurrent use.
type OllamaEmbedder struct{ *client }

// NewOllama returns an embedder for model on an Ollama server.
// Errors: an empty model, options out of range (*OptionError), a base URL
// that does not parse.
func NewOllama(model string, opts ClientOptions) (*OllamaEmbedder, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if opts.BaseURL == "" {
		opts.BaseURL = OllamaDefaultURL
	}
	if err := checkBaseURL(opts.BaseURL); err != nil {
		return nil, err
	}
	c, err := newClient(Ollama, model, opts.BaseURL+"/api/embed", opts, ollamaProtocol{})
	if err != nil {
		return nil, err
	}
	return &OllamaEmbedder{c}, nil
}

// OllamaBaseURL turns an OLLAMA_HOST value into a base URL the way the
// Ollama client does: "" means http://127.0.0.1:11434; a missing scheme
// means http; a missing port means 11434 for a bare host, 80 for http://
// and 443 for https://; an empty host means 127.0.0.1. "0.0.0.0:11434"
// (a server bind address) is kept as is.
func OllamaBaseURL(host string) string {
	host = strings.TrimSpace(host)
	if host == "" {
		return OllamaDefaultURL
	}
	scheme, hostport, ok := strings.Cut(host, "://")
	port := "11434"
	switch {
	case !ok:
		scheme, hostport = "http", host
	case scheme == "http":
		port = "80"
	case scheme == "https":
		port = "443"
	}
	hostport, path, _ := strings.Cut(hostport, "/")
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		h, p = hostport, port
		if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
			h = h[1 : len(h)-1]
		}
	}
	if h == "" {
		h = "127.0.0.1"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(h, p)}
	if path != "" {
		u.Path = "/" + strings.TrimRight(path, "/")
	}
	return u.String()
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &OptionError{Name: "base URL", Value: fmt.Sprintf("%q", s), Rule: "an http:// or https:// URL with a host"}
	}
	return nil
}

type ollamaProtocol struct{}

type ollamaRequest struct {
	Model      string   `json:"model"`
	Input      []string `json:"input"`
	Dimensions int      `json:"dimensions,omitempty"`
}

type ollamaResponse struct {
	Model      string      `json:"model"`
	Embeddings [][]float32 `json:"embeddings"`
}

func (ollamaProtocol) request(model string, dims int, batch []string) ([]byte, error) {
	return json.Marshal(ollamaRequest{Model: model, Input: batch, Dimensions: dims})
}

func (ollamaProtocol) response(body []byte, n int) ([][]float32, error) {
	var r ollamaResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", bodyStart(body), err)
	}
	if r.Embeddings == nil {
		return nil, fmt.Errorf("no \"embeddings\" in %s", bodyStart(body))
	}
	if len(r.Embeddings) != n {
		return nil, fmt.Errorf("%d embeddings for %d inputs", len(r.Embeddings), n)
	}
	return r.Embeddings, nil
}

func (ollamaProtocol) message(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil {
		return e.Error
	}
	return ""
}
