package query

import (
	"github.com/vecbolt/vecbolt/query/embed"
)

// canonicalEmbedder returns the canonical form of an embedder spec (every
// default spelled out, see embed.Spec), or "" for "". Errors: the
// *embed.SpecError of embed.ParseSpec.
func canonicalEmbedder(spec string) (string, error) {
	if spec == "" {
		return "", nil
	}
	s, err := embed.ParseSpec(spec)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}
