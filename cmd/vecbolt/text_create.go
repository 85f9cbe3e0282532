package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
)

// createTextFlags are create's flags for a collection of documents.
type createTextFlags struct {
	Embedder string // --embedder SPEC
	embedFlags

	dimSet bool // --dim was given
}

func (f *createTextFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.Embedder, "embedder", "", `embed documents and queries with SPEC: words:COLLECTION[?pool=sif], ollama:MODEL or openai:MODEL`)
	f.embedFlags.register(cmd)
}

// probeText is what create sends a server embedder to learn its dimension.
const probeText = "vecbolt asks for the dimension of this model"

// embedderConfig completes cfg for a collection name embedded by
// --embedder: the canonical spec, and the dimension from the word-vector
// collection (words), from the spec's dimensions= or --dim, or from one
// request to the server. A --dim that disagrees is a usage error.
func (opts *createOptions) embedderConfig(ctx context.Context, db *query.DB, name string, cfg query.CollectionConfig, out io.Writer) (query.CollectionConfig, error) {
	spec, err := parseEmbedderFlag(opts.Embedder)
	if err != nil {
		return cfg, err
	}
	cfg.Embedder = spec.String()
	dim := 0
	switch spec.Provider {
	case embed.Words:
		if spec.Model == name {
			return cfg, usageErr(fmt.Errorf("--embedder %s: collection %q cannot embed its documents with its own vectors; name the word-vector collection", opts.Embedder, name))
		}
		wcfg, n, err := db.CollectionInfo(spec.Model)
		if errors.Is(err, query.ErrUnknownCollection) {
			return cfg, &exitError{code: exitNotFound, err: fmt.Errorf("--embedder %s: no word-vector collection %q in %s (import one first: vecbolt --db %s -c %s import glove.6B.100d.txt.gz)",
				opts.Embedder, spec.Model, opts.DB, opts.DB, spec.Model)}
		}
		if err != nil {
			return cfg, err
		}
		if n == 0 {
			return cfg, invalidErr(fmt.Errorf("--embedder %s: collection %q has no words", opts.Embedder, spec.Model))
		}
		dim = wcfg.Dim
	default:
		if d, ok := spec.Params["dimensions"]; ok {
			fmt.Sscan(d, &dim)
		}
		if dim == 0 && opts.dimSet {
			dim = opts.Dim
		}
		if dim == 0 {
			co, err := opts.clientOptions(spec.Provider)
			if err != nil {
				return cfg, err
			}
			e, err := embed.New(spec.String(), embed.Deps{Client: co})
			if err != nil {
				return cfg, err
			}
			v, err := e.EmbedQuery(ctx, probeText)
			if err != nil {
				return cfg, fmt.Errorf("asking %s for its dimension (or give --dim): %w", spec, err)
			}
			dim = len(v)
			fmt.Fprintf(out, "%s gives %d dimensions\n", spec, dim)
		}
	}
	if opts.dimSet && opts.Dim != dim {
		return cfg, usageErr(fmt.Errorf("--dim is %d but %s gives %d dimensions", opts.Dim, spec, dim))
	}
	cfg.Dim = dim
	return cfg, nil
}
