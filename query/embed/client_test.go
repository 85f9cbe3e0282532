package embed_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
)

var providers = []string{"ollama", "openai"}

// fast returns options with millisecond backoffs.
func fast(base string) embed.ClientOptions {
	return embed.ClientOptions{BaseURL: base, BackoffBase: time.Millisecond, BackoffMax: 20 * time.Millisecond,
		Rand: func() float64 { return 0.5 }}
}

func newClient(t *testing.T, provider, model string, o embed.ClientOptions) embed.Embedder {
	t.Helper()
	var e embed.Embedder
	var err error
	if provider == "ollama" {
		e, err = embed.NewOllama(model, o)
	} else {
		e, err = embed.NewOpenAI(model, o)
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestClientEmbeds(t *testing.T) {
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	for _, p := range providers {
		t.Run(p, func(t *testing.T) {
			f := newFakeServer(t, p, 4, reply{reverse: true}, reply{reverse: true})
			o := fast(f.base())
			o.BatchSize = 2
			e := newClient(t, p, "all-minilm", o)
			if e.Dim() != 0 {
				t.Fatalf("Dim before any request = %d", e.Dim())
			}
			vecs, err := e.EmbedDocuments(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range texts {
				if !reflect.DeepEqual(vecs[i], vectorOf(s, 4)) {
					t.Fatalf("vector %d = %v, want %v (order lost)", i, vecs[i], vectorOf(s, 4))
				}
			}
			if e.Dim() != 4 {
				t.Fatalf("Dim = %d, want 4", e.Dim())
			}
			log := f.requestLog()
			if len(log) != 3 {
				t.Fatalf("%d requests, want 3 batches of at most 2", len(log))
			}
			if got := join(log[2]["input"].([]string)); got != "eeeee" || log[0]["model"] != "all-minilm" {
				t.Fatalf("last batch %q model %v", got, log[0]["model"])
			}
			q, err := e.EmbedQuery(context.Background(), "query")
			if err != nil || !reflect.DeepEqual(q, vectorOf("query", 4)) {
				t.Fatalf("EmbedQuery = %v, %v", q, err)
			}
			if got := e.Spec().String(); got != p+":all-minilm" {
				t.Fatalf("spec %q", got)
			}
			if vecs, err := e.EmbedDocuments(context.Background(), nil); err != nil || len(vecs) != 0 {
				t.Fatalf("no texts: %v %v", vecs, err)
			}
		})
	}
}

func TestClientDimensionsAndKey(t *testing.T) {
	f := newFakeServer(t, "openai", 8)
	f.apiKey = "sk-right"
	o := fast(f.base())
	o.APIKey = "sk-right"
	o.Dimensions = 3
	e := newClient(t, "openai", "text-embedding-3-small", o)
	vecs, err := e.EmbedDocuments(context.Background(), []string{"hello"})
	if err != nil || len(vecs[0]) != 3 {
		t.Fatalf("dimensions=3: %v %v", vecs, err)
	}
	if d := f.requestLog()[0]["dimensions"]; d != 3 {
		t.Fatalf("request dimensions %v", d)
	}
	if got := e.Spec().String(); got != "openai:text-embedding-3-small?dimensions=3" || e.Dim() != 3 {
		t.Fatalf("spec %q dim %d", got, e.Dim())
	}
	// A wrong key: the documented 401 error object, not retried.
	o.APIKey = "sk-wrong"
	e = newClient(t, "openai", "text-embedding-3-small", o)
	_, err = e.EmbedDocuments(context.Background(), []string{"hello"})
	var se *embed.ServerError
	if !errors.As(err, &se) || se.Status != 401 || se.Attempts != 1 || !errors.Is(err, embed.ErrServer) {
		t.Fatalf("wrong key: %v", err)
	}
	for _, want := range []string{f.srv.URL + "/v1/embeddings", "401", "Incorrect API key provided", "invalid_api_key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestClientErrorBodies(t *testing.T) {
	tests := []struct {
		provider string
		reply    reply
		status   int
		msg      string
	}{
		{"ollama", reply{status: 404, body: `{"error":"model \"nomic\" not found, try pulling it first"}`}, 404, `model "nomic" not found, try pulling it first`},
		{"ollama", reply{status: 400, body: `{"error":"invalid character '}' looking for beginning of value"}`}, 400, "invalid character"},
		{"openai", reply{status: 400, body: `{"error": {"message": "'$.input' is invalid.", "type": "invalid_request_error", "param": null, "code": null}}`}, 400, "'$.input' is invalid. (type invalid_request_error)"},
		{"openai", reply{status: 404, body: `<html>not here</html>`}, 404, "<html>not here</html>"},
	}
	for _, tt := range tests {
		f := newFakeServer(t, tt.provider, 4, tt.reply)
		e := newClient(t, tt.provider, "m", fast(f.base()))
		_, err := e.EmbedDocuments(context.Background(), []string{"x"})
		var se *embed.ServerError
		if !errors.As(err, &se) || se.Status != tt.status || !strings.Contains(se.Message, tt.msg) || se.Provider != tt.provider {
			t.Errorf("%s %d: got %v (message %q)", tt.provider, tt.status, err, messageOf(err))
		}
		if f.count.Load() != 1 {
			t.Errorf("%s %d: %d requests; a 4xx is not retried", tt.provider, tt.status, f.count.Load())
		}
	}
}

func messageOf(err error) string {
	var se *embed.ServerError
	if errors.As(err, &se) {
		return se.Message
	}
	return ""
}

func TestClientRetries(t *testing.T) {
	for _, p := range providers {
		t.Run(p, func(t *testing.T) {
			// 503, 429 (Retry-After as a past HTTP date: no extra wait), 500, then success.
			f := newFakeServer(t, p, 2, reply{status: 503},
				reply{status: 429, header: map[string]string{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}},
				reply{status: 500})
			e := newClient(t, p, "m", fast(f.base()))
			vecs, err := e.EmbedDocuments(context.Background(), []string{"x", "y"})
			if err != nil || len(vecs) != 2 || f.count.Load() != 4 {
				t.Fatalf("after 3 failures: %v %v, %d requests", vecs, err, f.count.Load())
			}

			// Always failing: MaxRetries+1 attempts, the last status and message.
			f = newFakeServer(t, p, 2, reply{status: 500}, reply{status: 502}, reply{status: 503})
			o := fast(f.base())
			o.MaxRetries = 2
			e = newClient(t, p, "m", o)
			_, err = e.EmbedDocuments(context.Background(), []string{"x"})
			var se *embed.ServerError
			if !errors.As(err, &se) || se.Attempts != 3 || se.Status != 503 || f.count.Load() != 3 {
				t.Fatalf("exhausted: %v, %d requests", err, f.count.Load())
			}
			if !strings.Contains(err.Error(), "server says 503") || !strings.Contains(err.Error(), "after 3 attempts") {
				t.Fatalf("message %q", err)
			}

			// Retry-After longer than BackoffMax: stop and say so.
			f = newFakeServer(t, p, 2, reply{status: 429, header: map[string]string{"Retry-After": "120"}})
			e = newClient(t, p, "m", fast(f.base()))
			_, err = e.EmbedDocuments(context.Background(), []string{"x"})
			if !errors.As(err, &se) || se.Status != 429 || f.count.Load() != 1 || !strings.Contains(err.Error(), "retry after 2m0s") {
				t.Fatalf("long Retry-After: %v, %d requests", err, f.count.Load())
			}

			// 408 is retried too; a 500 whose body is over the limit is not.
			f = newFakeServer(t, p, 2, reply{status: 408})
			e = newClient(t, p, "m", fast(f.base()))
			if _, err = e.EmbedDocuments(context.Background(), []string{"x"}); err != nil || f.count.Load() != 2 {
				t.Fatalf("408 then success: %v, %d requests", err, f.count.Load())
			}
			f = newFakeServer(t, p, 2, reply{status: 500, body: strings.Repeat("x", 500)})
			o = fast(f.base())
			o.MaxResponseBytes = 100
			e = newClient(t, p, "m", o)
			if _, err = e.EmbedDocuments(context.Background(), []string{"x"}); !errors.Is(err, embed.ErrTooLarge) || f.count.Load() != 1 {
				t.Fatalf("oversized 500: %v, %d requests", err, f.count.Load())
			}

			// No retries at all.
			f = newFakeServer(t, p, 2, reply{status: 500})
			o = fast(f.base())
			o.MaxRetries = -1
			e = newClient(t, p, "m", o)
			if _, err = e.EmbedDocuments(context.Background(), []string{"x"}); !errors.Is(err, embed.ErrServer) || f.count.Load() != 1 {
				t.Fatalf("MaxRetries -1: %v, %d requests", err, f.count.Load())
			}
		})
	}
}

func TestClientSlowServer(t *testing.T) {
	for _, p := range providers {
		t.Run(p, func(t *testing.T) {
			f := newFakeServer(t, p, 2, reply{block: true}, reply{block: true})
			o := fast(f.base())
			o.Timeout = 50 * time.Millisecond
			o.MaxRetries = 1
			e := newClient(t, p, "m", o)
			_, err := e.EmbedDocuments(context.Background(), []string{"x"})
			var se *embed.ServerError
			if !errors.As(err, &se) || !errors.Is(err, embed.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || se.Attempts != 2 {
				t.Fatalf("slow server: %v", err)
			}
			if !strings.Contains(err.Error(), f.base()) || !strings.Contains(err.Error(), "no response") {
				t.Fatalf("message %q does not name the server", err)
			}
		})
	}
}

func TestClientCancel(t *testing.T) {
	for _, p := range providers {
		t.Run(p, func(t *testing.T) {
			f := newFakeServer(t, p, 2, reply{block: true})
			e := newClient(t, p, "m", fast(f.base()))
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-f.arrived
				cancel()
			}()
			_, err := e.EmbedDocuments(ctx, []string{"x"})
			var se *embed.ServerError
			if !errors.Is(err, context.Canceled) || errors.As(err, &se) || f.count.Load() != 1 {
				t.Fatalf("cancelled: %v, %d requests", err, f.count.Load())
			}
			// Cancelled while waiting to retry.
			f = newFakeServer(t, p, 2, reply{status: 503})
			o := fast(f.base())
			o.BackoffBase, o.BackoffMax = time.Hour, time.Hour
			e = newClient(t, p, "m", o)
			ctx, cancel = context.WithCancel(context.Background())
			go func() {
				<-f.arrived
				cancel()
			}()
			// The cancel lands while the answer is read or, usually, during
			// the hour-long backoff; either way the call returns at once.
			if _, err = e.EmbedDocuments(ctx, []string{"x"}); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled during backoff: %v", err)
			}
		})
	}
}

func TestClientServerDown(t *testing.T) {
	for _, p := range providers {
		t.Run(p, func(t *testing.T) {
			f := newFakeServer(t, p, 2)
			base := f.base()
			f.srv.Close()
			o := fast(base)
			o.MaxRetries = 2
			e := newClient(t, p, "m", o)
			_, err := e.EmbedDocuments(context.Background(), []string{"x"})
			var se *embed.ServerError
			if !errors.As(err, &se) || !errors.Is(err, embed.ErrUnavailable) || se.Status != 0 || se.Attempts != 3 {
				t.Fatalf("server down: %v", err)
			}
			if !strings.Contains(err.Error(), base) || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("message %q does not name the server and the refusal", err)
			}
		})
	}
}

func TestClientWrongDimension(t *testing.T) {
	for _, p := range providers {
		t.Run(p, func(t *testing.T) {
			// Within one response.
			f := newFakeServer(t, p, 4, reply{dims: []int{4, 3}})
			e := newClient(t, p, "m", fast(f.base()))
			_, err := e.EmbedDocuments(context.Background(), []string{"x", "y"})
			var de *embed.DimensionError
			if !errors.As(err, &de) || de.Index != 1 || de.Got != 3 || de.Want != 4 {
				t.Fatalf("mixed dimensions: %v", err)
			}
			// Across batches: the second batch changes dimension.
			f = newFakeServer(t, p, 4, reply{}, reply{dims: []int{5}})
			o := fast(f.base())
			o.BatchSize = 1
			e = newClient(t, p, "m", o)
			if _, err = e.EmbedDocuments(context.Background(), []string{"x", "y"}); !errors.As(err, &de) || de.Index != 1 || de.Got != 5 {
				t.Fatalf("second batch: %v", err)
			}
			// Against the expected dimension.
			f = newFakeServer(t, p, 3)
			o = fast(f.base())
			o.Dim = 4
			e = newClient(t, p, "m", o)
			if _, err = e.EmbedDocuments(context.Background(), []string{"x"}); !errors.As(err, &de) || de.Want != 4 || de.Got != 3 {
				t.Fatalf("expected 4: %v", err)
			}
			if !strings.Contains(err.Error(), p+":m") {
				t.Fatalf("message %q does not name the embedder", err)
			}
			// Empty embedding.
			f = newFakeServer(t, p, 0)
			e = newClient(t, p, "m", fast(f.base()))
			if _, err = e.EmbedDocuments(context.Background(), []string{"x"}); !errors.Is(err, embed.ErrDimension) {
				t.Fatalf("empty embedding: %v", err)
			}
		})
	}
}

func TestClientMalformed(t *testing.T) {
	tests := []struct {
		provider, name string
		reply          reply
		msg            string
	}{
		{"ollama", "not JSON", reply{body: `{"embeddings": [[1, 2]`}, "unexpected end"},
		{"ollama", "no embeddings", reply{body: `{"model": "m"}`}, `no "embeddings"`},
		{"ollama", "too few", reply{body: `{"embeddings": [[1, 2]]}`}, "1 embeddings for 2 inputs"},
		{"ollama", "not float32", reply{body: `{"embeddings": [[1e39, 2], [1, 2]]}`}, "float32"},
		{"ollama", "strings", reply{body: `{"embeddings": [["a", 2], [1, 2]]}`}, "cannot unmarshal"},
		{"openai", "not JSON", reply{body: `<html>`}, "invalid character"},
		{"openai", "no data", reply{body: `{"object": "list"}`}, `no "data"`},
		{"openai", "duplicate index", reply{body: `{"data": [{"index": 0, "embedding": [1]}, {"index": 0, "embedding": [2]}]}`}, "index 0 appears twice"},
		{"openai", "index out of range", reply{body: `{"data": [{"index": 0, "embedding": [1]}, {"index": 2, "embedding": [2]}]}`}, "index 2, outside [0, 2)"},
		{"openai", "missing index", reply{body: `{"data": [{"embedding": [1]}, {"index": 1, "embedding": [2]}]}`}, "data[0] has no index"},
		{"openai", "missing embedding", reply{body: `{"data": [{"index": 0}, {"index": 1, "embedding": [2]}]}`}, "data[0] has no embedding"},
	}
	for _, tt := range tests {
		f := newFakeServer(t, tt.provider, 2, tt.reply)
		e := newClient(t, tt.provider, "m", fast(f.base()))
		_, err := e.EmbedDocuments(context.Background(), []string{"x", "y"})
		if !errors.Is(err, embed.ErrMalformed) || !strings.Contains(err.Error(), tt.msg) || f.count.Load() != 1 {
			t.Errorf("%s %s: %v (%d requests), want ErrMalformed mentioning %q, not retried", tt.provider, tt.name, err, f.count.Load(), tt.msg)
		}
	}
}

func TestClientLimits(t *testing.T) {
	for _, p := range providers {
		f := newFakeServer(t, p, 64)
		o := fast(f.base())
		o.MaxResponseBytes = 100
		e := newClient(t, p, "m", o)
		_, err := e.EmbedDocuments(context.Background(), []string{"x"})
		if !errors.Is(err, embed.ErrTooLarge) || !strings.Contains(err.Error(), "100 bytes") {
			t.Errorf("%s: response over the limit: %v", p, err)
		}
		// Bad texts fail before any request.
		f = newFakeServer(t, p, 2)
		e = newClient(t, p, "m", fast(f.base()))
		_, err = e.EmbedDocuments(context.Background(), []string{"ok", "  "})
		var te *embed.TextError
		if !errors.As(err, &te) || te.Index != 1 || !errors.Is(err, embed.ErrEmptyText) {
			t.Errorf("%s: blank text: %v", p, err)
		}
		if _, err = e.EmbedQuery(context.Background(), "bad \xff"); !errors.Is(err, text.ErrInvalidUTF8) || !strings.Contains(err.Error(), "offset 4") {
			t.Errorf("%s: invalid UTF-8: %v", p, err)
		}
		if f.count.Load() != 0 {
			t.Errorf("%s: %d requests for bad texts", p, f.count.Load())
		}
	}
}

func TestClientOptionErrors(t *testing.T) {
	bad := []embed.ClientOptions{
		{BatchSize: -1}, {Dimensions: -2}, {Dim: 3, Dimensions: 4}, {Timeout: -time.Second},
		{BaseURL: "ftp://host"}, {BaseURL: "localhost:11434"},
	}
	for _, o := range bad {
		if _, err := embed.NewOllama("m", o); !errors.Is(err, embed.ErrOption) {
			t.Errorf("NewOllama(%+v) = %v", o, err)
		}
	}
	if _, err := embed.NewOpenAI("m", embed.ClientOptions{BatchSize: 4096}); !errors.Is(err, embed.ErrOption) {
		t.Errorf("OpenAI batch 4096: %v", err)
	}
	if _, err := embed.NewOpenAI("", embed.ClientOptions{}); !errors.Is(err, embed.ErrOption) {
		t.Errorf("empty model: %v", err)
	}
}

func TestOllamaBaseURL(t *testing.T) {
	tests := map[string]string{
		"":                       "http://127.0.0.1:11434",
		"0.0.0.0":                "http://0.0.0.0:11434",
		"example.com:1234":       "http://example.com:1234",
		"https://example.com":    "https://example.com:443",
		"http://[::1]":           "http://[::1]:80",
		":8080":                  "http://127.0.0.1:8080",
		"host/ollama/":           "http://host:11434/ollama",
		" http://10.0.0.2:9000 ": "http://10.0.0.2:9000",
	}
	for in, want := range tests {
		if got := embed.OllamaBaseURL(in); got != want {
			t.Errorf("OllamaBaseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnvOptions(t *testing.T) {
	env := map[string]string{"OLLAMA_HOST": "gpu:11434", "OPENAI_BASE_URL": "http://llama:8080/v1", "OPENAI_API_KEY": "sk-x"}
	get := func(k string) string { return env[k] }
	if o := embed.EnvOptions("ollama", get); o.BaseURL != "http://gpu:11434" || o.APIKey != "" {
		t.Errorf("ollama: %+v", o)
	}
	if o := embed.EnvOptions("openai", get); o.BaseURL != "http://llama:8080/v1" || o.APIKey != "sk-x" {
		t.Errorf("openai: %+v", o)
	}
	if o := embed.EnvOptions("ollama", func(string) string { return "" }); o.BaseURL != "" {
		t.Errorf("unset: %+v", o)
	}
}

// The OpenAI-compatible client works against a server at any base path.
func TestOpenAIBasePath(t *testing.T) {
	f := newFakeServer(t, "openai", 2)
	o := fast(f.srv.URL + "/v1/")
	e := newClient(t, "openai", "m", o)
	if _, err := e.EmbedQuery(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	_ = http.StatusOK
}
