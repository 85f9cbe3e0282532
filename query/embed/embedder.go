package embed

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Embedder turns texts into vectors. Documents and queries go through
// separate methods because some models embed them differently.
//
// Implementations in this package are safe for concurrent use.
type Embedder interface {
	// EmbedDocuments returns one vector per text, in order, all of Dim()
	// components. It is all or nothing: on error no vector is returned.
	EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error)
	// EmbedQuery returns the vector of one query text.
	EmbedQuery(ctx context.Context, text string) ([]float32, error)
	// Spec identifies the embedder (provider, model and every parameter
	// that changes the vectors), for recording in a collection's config.
	Spec() Spec
	// Dim returns the dimension of the vectors, or 0 while it is unknown
	// (a server embedder learns it from its first response unless
	// ClientOptions.Dim says it).
	Dim() int
}

// Providers.
const (
	Words  = "words"  // offline: word vectors of a collection, pooled
	Ollama = "ollama" // Ollama's /api/embed
	OpenAI = "openai" // OpenAI-compatible /v1/embeddings
)

// Spec identifies an embedder. Its string form is
//
//	PROVIDER:MODEL[?KEY=VALUE&...]
//
// for example "words:glove", "words:glove?pool=sif&a=0.0001",
// "ollama:nomic-embed-text:latest" or
// "openai:text-embedding-3-small?dimensions=512". MODEL runs from the first
// ':' to the first '?', so Ollama tags and namespaces ("hf.co/org/m:Q4")
// pass through. Parameters, all optional:
//
//   - words: pool=mean|sif (default mean); a=<float> (SIF's a, default
//     0.001, sif only); p=zipf|counts (where SIF's p(w) comes from, default
//     zipf, sif only); pc=0|1 (remove the first principal component,
//     default 1 with sif and 0 with mean); pieces=none|whole|wordpiece
//     (how words missing from the vocabulary are split, default none).
//   - ollama, openai: dimensions=<int> (asked of the server; models that
//     cannot shorten their vectors reject it).
//
// Two specs are the same embedder when their canonical strings (String,
// which spells out every default) are equal. Base URLs and API keys are not
// part of a spec: moving a server does not change its vectors.
type Spec struct {
	Provider string
	Model    string
	Params   map[string]string
}

// ParseSpec parses and normalises a spec string (see Spec).
// Errors: a *SpecError for a missing provider or model, an unknown
// provider, an unknown parameter or a bad value. Cost: O(len(s)).
func ParseSpec(s string) (Spec, error) {
	provider, rest, ok := strings.Cut(s, ":")
	if !ok || provider == "" {
		return Spec{}, &SpecError{Spec: s, Msg: "want PROVIDER:MODEL, such as words:glove or ollama:nomic-embed-text"}
	}
	model, query, _ := strings.Cut(rest, "?")
	if model == "" {
		return Spec{}, &SpecError{Spec: s, Msg: "the model (or, for words, the collection) is empty"}
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return Spec{}, &SpecError{Spec: s, Msg: "parameters: " + err.Error()}
	}
	params := make(map[string]string, len(values))
	for k, v := range values {
		if len(v) != 1 {
			return Spec{}, &SpecError{Spec: s, Msg: "parameter " + k + " is given more than once"}
		}
		params[k] = v[0]
	}
	sp := Spec{Provider: provider, Model: model, Params: params}
	return sp.normalize(s)
}

// normalize checks the parameters and fills in the defaults.
func (s Spec) normalize(orig string) (Spec, error) {
	bad := func(msg string) (Spec, error) { return Spec{}, &SpecError{Spec: orig, Msg: msg} }
	p := maps.Clone(s.Params)
	if p == nil {
		p = map[string]string{}
	}
	allowed := map[string][]string{
		Words:  {"pool", "a", "p", "pc", "pieces"},
		Ollama: {"dimensions"},
		OpenAI: {"dimensions"},
	}[s.Provider]
	if allowed == nil {
		return bad("unknown provider " + strconv.Quote(s.Provider) + " (want words, ollama or openai)")
	}
	for k := range p {
		if !slices.Contains(allowed, k) {
			return bad("unknown parameter " + strconv.Quote(k) + " for " + s.Provider + " (known: " + strings.Join(allowed, ", ") + ")")
		}
	}
	switch s.Provider {
	case Words:
		if p["pool"] == "" {
			p["pool"] = "mean"
		}
		switch p["pool"] {
		case "mean":
			if p["a"] != "" || p["p"] != "" {
				return bad("parameters a and p apply to pool=sif only")
			}
			if p["pc"] == "" {
				p["pc"] = "0"
			}
		case "sif":
			if p["a"] == "" {
				p["a"] = "0.001"
			}
			a, err := strconv.ParseFloat(p["a"], 64)
			if err != nil || !(a > 0) || a > 1e6 {
				return bad("a=" + p["a"] + " is not a positive number")
			}
			p["a"] = strconv.FormatFloat(a, 'g', -1, 64)
			if p["p"] == "" {
				p["p"] = "zipf"
			}
			if p["p"] != "zipf" && p["p"] != "counts" {
				return bad("p=" + p["p"] + " is not zipf or counts")
			}
			if p["pc"] == "" {
				p["pc"] = "1"
			}
		default:
			return bad("pool=" + p["pool"] + " is not mean or sif")
		}
		if p["pc"] != "0" && p["pc"] != "1" {
			return bad("pc=" + p["pc"] + " is not 0 or 1")
		}
		if p["pieces"] == "" {
			p["pieces"] = "none"
		}
		if _, ok := pieceModes[p["pieces"]]; !ok {
			return bad("pieces=" + p["pieces"] + " is not none, whole or wordpiece")
		}
	default:
		if d, ok := p["dimensions"]; ok {
			n, err := strconv.Atoi(d)
			if err != nil || n <= 0 {
				return bad("dimensions=" + d + " is not a positive integer")
			}
			p["dimensions"] = strconv.Itoa(n)
		}
	}
	s.Params = p
	return s, nil
}

// String returns the canonical form: every default spelled out, parameters
// sorted by name.
func (s Spec) String() string {
	var b strings.Builder
	b.WriteString(s.Provider)
	b.WriteByte(':')
	b.WriteString(s.Model)
	keys := slices.Sorted(maps.Keys(s.Params))
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(s.Params[k]))
	}
	return b.String()
}

// Check compares the spec string and dimension recorded with a collection
// with the embedder about to be used on it. A recorded dimension of 0, or
// an embedder that does not know its dimension yet, skips the dimension
// check (the caller checks the first vectors instead).
// Errors: a *SpecError if recorded does not parse, a *MismatchError naming
// both specs, a *DimensionError naming both dimensions.
func Check(recorded string, recordedDim int, e Embedder) error {
	rs, err := ParseSpec(recorded)
	if err != nil {
		return err
	}
	got := e.Spec().String()
	if rs.String() != got {
		return &MismatchError{Recorded: rs.String(), Requested: got}
	}
	if d := e.Dim(); recordedDim > 0 && d > 0 && d != recordedDim {
		return &DimensionError{Embedder: got, Index: -1, Got: d, Want: recordedDim}
	}
	return nil
}
