package embed_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/embed"
)

func TestParseSpec(t *testing.T) {
	tests := map[string]string{
		"words:glove":                                   "words:glove?pc=0&pieces=none&pool=mean",
		"words:glove?pool=mean&pc=1":                    "words:glove?pc=1&pieces=none&pool=mean",
		"words:glove?pool=sif":                          "words:glove?a=0.001&p=zipf&pc=1&pieces=none&pool=sif",
		"words:glove?pool=sif&a=1e-4&p=counts&pc=0":     "words:glove?a=0.0001&p=counts&pc=0&pieces=none&pool=sif",
		"words:my words?pieces=wordpiece":               "words:my words?pc=0&pieces=wordpiece&pool=mean",
		"ollama:nomic-embed-text:latest":                "ollama:nomic-embed-text:latest",
		"ollama:hf.co/org/model:Q4_K_M":                 "ollama:hf.co/org/model:Q4_K_M",
		"openai:text-embedding-3-small?dimensions=0512": "openai:text-embedding-3-small?dimensions=512",
	}
	for in, want := range tests {
		s, err := embed.ParseSpec(in)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", in, err)
			continue
		}
		if s.String() != want {
			t.Errorf("ParseSpec(%q) = %q, want %q", in, s, want)
		}
		again, err := embed.ParseSpec(s.String())
		if err != nil || again.String() != want {
			t.Errorf("round trip of %q: %q, %v", want, again, err)
		}
	}
}

func TestParseSpecErrors(t *testing.T) {
	tests := map[string]string{
		"":                           "want PROVIDER:MODEL",
		"glove":                      "want PROVIDER:MODEL",
		":glove":                     "want PROVIDER:MODEL",
		"words:":                     "model",
		"words:?pool=sif":            "model",
		"bert:base":                  `unknown provider "bert"`,
		"words:g?pool=max":           "pool=max",
		"words:g?a=0.1":              "pool=sif only",
		"words:g?pool=sif&a=-1":      "a=-1",
		"words:g?pool=sif&a=x":       "a=x",
		"words:g?pool=sif&p=unigram": "p=unigram",
		"words:g?pc=2":               "pc=2",
		"words:g?pieces=bpe":         "pieces=bpe",
		"words:g?pool=sif&pool=mean": "more than once",
		"words:g?dimensions=3":       `unknown parameter "dimensions"`,
		"words:g?%zz":                "parameters",
		"ollama:m?dimensions=0":      "dimensions=0",
		"openai:m?dimensions=x":      "dimensions=x",
		"openai:m?pool=sif":          `unknown parameter "pool"`,
	}
	for in, msg := range tests {
		_, err := embed.ParseSpec(in)
		var se *embed.SpecError
		if !errors.As(err, &se) || !errors.Is(err, embed.ErrSpec) || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseSpec(%q) = %v, want a SpecError mentioning %q", in, err, msg)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"words:glove?pool=sif&a=1e-4", "ollama:m:latest", "openai:m?dimensions=3", "x:y?%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := embed.ParseSpec(s)
		if err != nil {
			if !errors.Is(err, embed.ErrSpec) {
				t.Fatalf("error %v does not wrap ErrSpec", err)
			}
			return
		}
		again, err := embed.ParseSpec(sp.String())
		if err != nil || again.String() != sp.String() {
			t.Fatalf("canonical %q does not round-trip: %q, %v", sp, again, err)
		}
	})
}
