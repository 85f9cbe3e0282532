package embed

import (
	"strconv"

	"github.com/vecbolt/vecbolt/query/text"
)

// Deps is what New needs besides the spec: the vocabulary for words specs
// (with the counts and component the collection stored), client options for
// server specs.
type Deps struct {
	Vocabulary Vocabulary
	Counts     *text.Counts    // for words specs with p=counts
	Component  *text.Component // for words specs with pc=1; nil until fitted
	Client     ClientOptions   // for ollama and openai specs
}

// New returns the embedder a spec describes, so that a collection's
// recorded spec reopens the same embedder. For a words spec the collection
// named by the model is the caller's to look up and pass as
// Deps.Vocabulary. The spec's "dimensions" overrides Client.Dimensions.
// Errors: those of ParseSpec, NewWords, NewOllama and NewOpenAI; a words
// spec with p=counts and no Deps.Counts (*OptionError).
func New(spec string, deps Deps) (Embedder, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	switch s.Provider {
	case Words:
		o, err := WordsOptionsFromSpec(s)
		if err != nil {
			return nil, err
		}
		if s.Params["p"] == "counts" {
			if deps.Counts == nil {
				return nil, &OptionError{Name: "counts", Value: "nil", Rule: "given for a spec with p=counts"}
			}
			o.Counts = deps.Counts
		}
		o.Component = deps.Component
		return NewWords(deps.Vocabulary, o)
	default:
		opts := deps.Client
		if d, ok := s.Params["dimensions"]; ok {
			opts.Dimensions, _ = strconv.Atoi(d)
		}
		if s.Provider == Ollama {
			return NewOllama(s.Model, opts)
		}
		return NewOpenAI(s.Model, opts)
	}
}

// EnvOptions returns client options for provider from the environment, as
// the CLI reads it: for ollama, OLLAMA_HOST (through OllamaBaseURL); for
// openai, OPENAI_BASE_URL and OPENAI_API_KEY. getenv is os.Getenv in
// programs and a map lookup in tests; flags given explicitly should
// override what it returns.
func EnvOptions(provider string, getenv func(string) string) ClientOptions {
	switch provider {
	case Ollama:
		if h := getenv("OLLAMA_HOST"); h != "" {
			return ClientOptions{BaseURL: OllamaBaseURL(h)}
		}
	case OpenAI:
		return ClientOptions{BaseURL: getenv("OPENAI_BASE_URL"), APIKey: getenv("OPENAI_API_KEY")}
	}
	return ClientOptions{}
}
