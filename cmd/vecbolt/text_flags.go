package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
)

// embedFlags are the options of the server embedders (ollama:MODEL,
// openai:MODEL), shared by the commands that embed text: create, add,
// import --text-field, search --text and reembed. A flag given wins over
// the environment (OLLAMA_HOST; OPENAI_BASE_URL, OPENAI_API_KEY). An API
// key is never a flag value: it comes from --embed-key-file or
// OPENAI_API_KEY, so it stays out of shell histories and process lists.
type embedFlags struct {
	URL       string        // --embed-url
	KeyFile   string        // --embed-key-file
	Timeout   time.Duration // --embed-timeout
	Retries   int           // --embed-retries
	BatchSize int           // --embed-batch

	// getenv reads the environment; nil means os.Getenv (tests set it).
	getenv func(string) string
}

// maxEmbedBatch is the largest --embed-batch: OpenAI's limit of inputs per
// request.
const maxEmbedBatch = 2048

func (f *embedFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.URL, "embed-url", "", "base URL of the embedding server (default: $OLLAMA_HOST or $OPENAI_BASE_URL, else the provider's)")
	fs.StringVar(&f.KeyFile, "embed-key-file", "", "file holding the embedding server's API key (default: $OPENAI_API_KEY)")
	fs.DurationVar(&f.Timeout, "embed-timeout", 2*time.Minute, "time limit of each request to the embedding server")
	fs.IntVar(&f.Retries, "embed-retries", 3, "retries of a request that failed with 429, 5xx or no answer (0: none)")
	fs.IntVar(&f.BatchSize, "embed-batch", 64, "texts per request to the embedding server")
}

// clientOptions returns the client options for an embedder spec's provider
// from the flags and the environment. The words provider needs none.
func (f *embedFlags) clientOptions(provider string) (embed.ClientOptions, error) {
	switch {
	case f.Timeout <= 0:
		return embed.ClientOptions{}, usageErr(fmt.Errorf("--embed-timeout must be positive, got %v", f.Timeout))
	case f.Retries < 0 || f.Retries > 100:
		return embed.ClientOptions{}, usageErr(fmt.Errorf("--embed-retries is %d, want 0 to 100", f.Retries))
	case f.BatchSize < 1 || f.BatchSize > maxEmbedBatch:
		return embed.ClientOptions{}, usageErr(fmt.Errorf("--embed-batch is %d, want 1 to %s", f.BatchSize, humanCount(maxEmbedBatch)))
	}
	getenv := f.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	o := embed.EnvOptions(provider, getenv)
	if f.URL != "" {
		u := f.URL
		if provider == embed.Ollama {
			u = embed.OllamaBaseURL(u)
		}
		o.BaseURL = u
	}
	if f.KeyFile != "" {
		key, err := readKeyFile(f.KeyFile)
		if err != nil {
			return embed.ClientOptions{}, err
		}
		o.APIKey = key
	}
	o.Timeout = f.Timeout
	o.MaxRetries = f.Retries
	if f.Retries == 0 {
		o.MaxRetries = -1 // none; ClientOptions reads 0 as its default
	}
	o.BatchSize = f.BatchSize
	return o, nil
}

// maxKeyFile bounds an API key file: keys are a few hundred bytes.
const maxKeyFile = 64 << 10

// readKeyFile reads an API key: the file's content without surrounding
// white space, on one line.
func readKeyFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("--embed-key-file: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxKeyFile {
		return "", usageErr(fmt.Errorf("--embed-key-file %s is not a small regular file holding a key", path))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--embed-key-file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	switch {
	case key == "":
		return "", usageErr(fmt.Errorf("--embed-key-file %s is empty", path))
	case strings.ContainsAny(key, "\r\n"):
		return "", usageErr(fmt.Errorf("--embed-key-file %s holds more than one line; put the key alone in it", path))
	}
	return key, nil
}

// chunkFlags are --chunk-tokens and --chunk-overlap.
type chunkFlags struct {
	Tokens  int // 0: one vector per document
	Overlap int
}

func (f *chunkFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.IntVar(&f.Tokens, "chunk-tokens", 0, "split each text into chunks of N tokens, one vector each (0: one vector per document)")
	fs.IntVar(&f.Overlap, "chunk-overlap", 0, "tokens each chunk shares with the one before it (less than --chunk-tokens)")
}

// check validates the flags: 0 ≤ overlap < tokens ≤ text.MaxTextBytes, or
// both zero.
func (f *chunkFlags) check() error {
	switch {
	case f.Tokens == 0 && f.Overlap != 0:
		return usageErr(errors.New("--chunk-overlap needs --chunk-tokens"))
	case f.Tokens < 0 || f.Tokens > text.MaxTextBytes:
		return usageErr(fmt.Errorf("--chunk-tokens is %d, want 1 to %s (0: no chunks)", f.Tokens, humanCount(text.MaxTextBytes)))
	case f.Overlap < 0 || (f.Tokens > 0 && f.Overlap >= f.Tokens):
		return usageErr(fmt.Errorf("--chunk-overlap is %d, want 0 to %d (less than --chunk-tokens)", f.Overlap, max(f.Tokens-1, 0)))
	}
	return nil
}

// parseEmbedderFlag parses --embedder, a usage error when it is bad.
func parseEmbedderFlag(s string) (embed.Spec, error) {
	sp, err := embed.ParseSpec(s)
	if err != nil {
		return embed.Spec{}, usageErr(fmt.Errorf("--embedder: %w", err))
	}
	return sp, nil
}

// isTextInvalid reports whether err is a text that cannot be embedded or an
// embedding that does not fit the collection (exit code 4): a blank text,
// one with no word or no known word, invalid UTF-8, a text over the size
// limit, a wrong dimension, an embedder other than the collection's.
// Server failures (down, slow, an error status, malformed answers) are not
// input errors and exit 1.
func isTextInvalid(err error) bool {
	for _, s := range []error{errBlankText, embed.ErrEmptyText, embed.ErrNoKnownTokens,
		text.ErrInvalidUTF8, text.ErrTooLarge, embed.ErrDimension, embed.ErrSpecMismatch,
		query.ErrInvalidText, query.ErrEmptyText, query.ErrTooManyTokens, query.ErrTooFewToFit,
		query.ErrNoCounts, query.ErrDocumentExists, embed.ErrNoComponent} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
