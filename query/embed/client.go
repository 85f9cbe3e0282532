package embed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/vecbolt/vecbolt/query/text"
)

// ClientOptions configures the server embedders (NewOllama, NewOpenAI). The
// zero value means the documented defaults. The CLI maps its flags and the
// environment onto it: OLLAMA_HOST (through OllamaBaseURL), OPENAI_BASE_URL
// and OPENAI_API_KEY.
type ClientOptions struct {
	// BaseURL is the server's base URL: for Ollama "" means
	// http://127.0.0.1:11434 and requests go to BaseURL+"/api/embed"; for
	// OpenAI-compatible servers "" means https://api.openai.com/v1 and
	// requests go to BaseURL+"/embeddings" (so a llama.cpp, vLLM, LocalAI
	// or LM Studio server is "http://host:port/v1").
	BaseURL string
	// APIKey, when set, is sent as "Authorization: Bearer KEY".
	APIKey string
	// Dimensions, when positive, is sent as the request's "dimensions" (for
	// models that can shorten their vectors) and recorded in the spec.
	Dimensions int
	// Dim is the dimension every embedding must have; 0 means Dimensions
	// if set, else whatever the first response gives, enforced from then
	// on.
	Dim int
	// BatchSize is the number of texts per request; 0 means 64. OpenAI
	// accepts at most 2048.
	BatchSize int
	// MaxRetries is the number of retries after a 408, a 429, a 5xx or
	// no response; 0 means 3, negative means none.
	MaxRetries int
	// Timeout bounds each request (connection, upload, answer); 0 means
	// 2 minutes (a cold model may take a while to load).
	Timeout time.Duration
	// MaxResponseBytes bounds a response body; 0 means 256 MiB.
	MaxResponseBytes int64
	// BackoffBase is the wait before the first retry, doubled at each
	// retry, with "equal jitter" (half fixed, half random); 0 means 500 ms.
	BackoffBase time.Duration
	// BackoffMax caps the wait between retries, and is the longest
	// Retry-After the client honours (a longer one ends the retries with
	// the error); 0 means 30 s.
	BackoffMax time.Duration
	// HTTPClient sends the requests; nil means a client of its own (the
	// per-request Timeout applies either way).
	HTTPClient *http.Client
	// Rand returns the jitter in [0, 1); nil means math/rand/v2. Tests
	// pass a constant.
	Rand func() float64
}

func (o ClientOptions) withDefaults() (ClientOptions, error) {
	if o.BatchSize < 0 {
		return o, &OptionError{Name: "batch size", Value: o.BatchSize, Rule: "positive (0 means 64)"}
	}
	if o.Dimensions < 0 || o.Dim < 0 {
		return o, &OptionError{Name: "dimensions", Value: min(o.Dimensions, o.Dim), Rule: "positive (0 means the model's)"}
	}
	if o.Dim == 0 {
		o.Dim = o.Dimensions
	}
	if o.Dimensions > 0 && o.Dim != o.Dimensions {
		return o, &OptionError{Name: "expected dimension", Value: o.Dim, Rule: fmt.Sprintf("equal to dimensions (%d)", o.Dimensions)}
	}
	if o.Timeout < 0 || o.BackoffBase < 0 || o.BackoffMax < 0 || o.MaxResponseBytes < 0 {
		return o, &OptionError{Name: "timeout, backoff or response limit", Value: "negative", Rule: "zero (default) or positive"}
	}
	if o.BatchSize == 0 {
		o.BatchSize = 64
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	} else if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = 256 << 20
	}
	if o.BackoffBase == 0 {
		o.BackoffBase = 500 * time.Millisecond
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return o, nil
}

// protocol is what differs between the servers.
type protocol interface {
	// request encodes one batch.
	request(model string, dimensions int, batch []string) ([]byte, error)
	// response decodes a 2xx body into n vectors in input order.
	response(body []byte, n int) ([][]float32, error)
	// message extracts the server's error message from an error body.
	message(body []byte) string
}

// client is the shared HTTP machinery: batching, retries, limits, checks.
type client struct {
	provider string
	model    string
	url      string
	spec     Spec
	opts     ClientOptions
	proto    protocol
	dim      atomic.Int64 // the enforced dimension, 0 until known
}

func newClient(provider, model, endpoint string, opts ClientOptions, proto protocol) (*client, error) {
	if model == "" {
		return nil, &OptionError{Name: "model", Value: `""`, Rule: "a model name"}
	}
	params := map[string]string{}
	if opts.Dimensions > 0 {
		params["dimensions"] = strconv.Itoa(opts.Dimensions)
	}
	c := &client{provider: provider, model: model, url: endpoint, opts: opts, proto: proto,
		spec: Spec{Provider: provider, Model: model, Params: params}}
	c.dim.Store(int64(opts.Dim))
	return c, nil
}

// Spec implements Embedder.
func (c *client) Spec() Spec { return c.spec }

// Dim implements Embedder: ClientOptions.Dim, or the dimension of the first
// response, or 0 before it.
func (c *client) Dim() int { return int(c.dim.Load()) }

// EmbedQuery implements Embedder.
func (c *client) EmbedQuery(ctx context.Context, s string) ([]float32, error) {
	v, err := c.EmbedDocuments(ctx, []string{s})
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

// invalidOffset returns the byte offset of the first invalid UTF-8 sequence.
func invalidOffset(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(s)
}

// EmbedDocuments implements Embedder: texts go in batches of BatchSize, one
// request after another; a batch is retried on 429, 5xx or no response.
// All or nothing: any error returns no vectors.
//
// Errors: a *TextError for an empty or blank text (servers reject them), a
// *text.UTF8Error wrapped with the text's index (checked before any
// request), a
// *ServerError (ErrServer with the status and the server's message,
// ErrUnavailable, ErrMalformed, ErrTooLarge) naming the server, a
// *DimensionError, ctx's error.
// Cost: ⌈n/BatchSize⌉ requests (more with retries).
func (c *client) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	for i, s := range texts {
		if strings.TrimSpace(s) == "" {
			return nil, &TextError{Index: i, Prefix: prefix(s), Err: ErrEmptyText}
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("embed: text %d %q: %w", i, prefix(strings.ToValidUTF8(s, "\uFFFD")), &text.UTF8Error{Offset: invalidOffset(s)})
		}
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += c.opts.BatchSize {
		batch := texts[start:min(start+c.opts.BatchSize, len(texts))]
		vecs, err := c.batch(ctx, batch)
		if err != nil {
			return nil, err
		}
		for j, v := range vecs {
			want := int(c.dim.Load())
			if want == 0 {
				c.dim.CompareAndSwap(0, int64(len(v)))
				want = int(c.dim.Load())
			}
			if len(v) != want || len(v) == 0 {
				return nil, &DimensionError{Embedder: c.spec.String(), Index: start + j, Got: len(v), Want: want}
			}
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// batch sends one batch, retrying as configured.
func (c *client) batch(ctx context.Context, batch []string) ([][]float32, error) {
	body, err := c.proto.request(c.model, c.opts.Dimensions, batch)
	if err != nil {
		return nil, fmt.Errorf("embed: encoding the request: %w", err)
	}
	for attempt := 1; ; attempt++ {
		vecs, retryAfter, err := c.once(ctx, body, len(batch))
		if err == nil {
			return vecs, nil
		}
		var se *ServerError
		if !errors.As(err, &se) {
			return nil, err // ctx's error
		}
		se.Attempts = attempt
		retry := errors.Is(se.Err, ErrUnavailable) || errors.Is(se.Err, ErrServer) &&
			(se.Status == http.StatusTooManyRequests || se.Status == http.StatusRequestTimeout || se.Status >= 500)
		if !retry || attempt > c.opts.MaxRetries {
			return nil, se
		}
		wait, ok := c.retryWait(attempt, retryAfter)
		if !ok {
			se.Message = strings.TrimSpace(se.Message + fmt.Sprintf(" (the server asks to retry after %v, more than the %v the client waits)", retryAfter, c.opts.BackoffMax))
			return nil, se
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("embed: cancelled while waiting to retry (%v): %w", se, ctx.Err())
		case <-t.C:
		}
	}
}

// retryWait returns the wait before retry number attempt (1-based): the
// server's Retry-After when it sent one (false when that exceeds
// BackoffMax), else base·2^(attempt−1) capped at BackoffMax, half of it
// fixed and half random ("equal jitter").
func (c *client) retryWait(attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if retryAfter > 0 {
		return retryAfter, retryAfter <= c.opts.BackoffMax
	}
	d := c.opts.BackoffBase
	for i := 1; i < attempt && d < c.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.opts.BackoffMax)
	return d/2 + time.Duration(c.opts.Rand()*float64(d/2)), true
}

// once sends one request. It returns the vectors, or the Retry-After the
// server asked for and a *ServerError, or ctx's error.
func (c *client) once(ctx context.Context, body []byte, n int) ([][]float32, time.Duration, error) {
	rctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	fail := func(status int, sentinel error, msg string, cause error) *ServerError {
		return &ServerError{Provider: c.provider, URL: c.url, Status: status, Message: msg, Err: sentinel, Cause: cause}
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("embed: %s server URL %q: %w", c.provider, c.url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("embed: %s server %s: %w", c.provider, c.url, ctx.Err())
		}
		return nil, 0, fail(0, ErrUnavailable, "", unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("embed: %s server %s: %w", c.provider, c.url, ctx.Err())
		}
		return nil, 0, fail(0, ErrUnavailable, "", fmt.Errorf("reading the response (status %d): %w", resp.StatusCode, err))
	}
	if int64(len(data)) > c.opts.MaxResponseBytes {
		return nil, 0, fail(resp.StatusCode, ErrTooLarge, fmt.Sprintf("the body exceeds %d bytes", c.opts.MaxResponseBytes), nil)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := c.proto.message(data)
		if msg == "" {
			msg = bodyStart(data)
		}
		return nil, retryAfter(resp.Header.Get("Retry-After")), fail(resp.StatusCode, ErrServer, msg, nil)
	}
	vecs, err := c.proto.response(data, n)
	if err != nil {
		return nil, 0, fail(resp.StatusCode, ErrMalformed, "", err)
	}
	return vecs, 0, nil
}

// unwrapURLError drops *url.Error's repetition of the method and URL,
// which ServerError already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// bodyStart returns the first 200 bytes of a body as text.
func bodyStart(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b[:min(len(b), 200)]), "\uFFFD"))
	if len(b) > 200 {
		s += "…"
	}
	return s
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when absent or unparsable.
func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
