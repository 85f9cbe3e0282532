package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

type similarityOptions struct {
	*globalOptions
	A, B string // positional
	Sets bool   // A and B are space-separated lists: n_similarity
	JSON bool
}

func newSimilarityCommand(g *globalOptions) *cobra.Command {
	opts := &similarityOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "similarity A B",
		Short: "Print the cosine similarity of two keys (gensim's similarity)",
		Long: `Print the cosine similarity of the vectors stored under A and B, as gensim's
KeyedVectors.similarity does, whatever the collection's metric; --json also
gives the cosine distance (1 - similarity, gensim's distance).

--sets reads A and B as space-separated lists of keys and compares the means
of their stored vectors (not of their unit vectors), as gensim's n_similarity
does. Every key must be stored, and a list must not be empty.`,
		Example: `  vecbolt --db words.db similarity coffee tea
  vecbolt --db words.db similarity --sets "breakfast lunch" "dinner supper"
  vecbolt --db words.db similarity king queen --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.A, opts.B = args[0], args[1]
			return runSimilarity(cmd.Context(), opts, cmd.OutOrStdout())
		},
		ValidArgsFunction: completeKeys(g),
	}
	cmd.Flags().BoolVar(&opts.Sets, "sets", false, "A and B are space-separated lists of keys (n_similarity)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// similarityJSON is the --json output of similarity.
type similarityJSON struct {
	Collection string   `json:"collection"`
	A          []string `json:"a"`
	B          []string `json:"b"`
	Similarity float32  `json:"similarity"`
	Distance   float32  `json:"distance"`
}

func runSimilarity(ctx context.Context, opts *similarityOptions, out io.Writer) (err error) {
	as, bs := []string{opts.A}, []string{opts.B}
	if opts.Sets {
		as, bs = strings.Fields(opts.A), strings.Fields(opts.B)
		if len(as) == 0 || len(bs) == 0 {
			return usageErr(fmt.Errorf("--sets needs two non-empty lists of keys, got %d and %d", len(as), len(bs)))
		}
	}
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	var s float32
	if opts.Sets {
		s, err = c.NSimilarity(ctx, as, bs)
	} else {
		s, err = c.Similarity(ctx, opts.A, opts.B)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(out, similarityJSON{Collection: opts.Collection, A: as, B: bs, Similarity: s, Distance: 1 - s})
	}
	_, err = fmt.Fprintln(out, formatFloat(s))
	return err
}
