package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

type rankOptions struct {
	*globalOptions
	A, B string // positional
	JSON bool
}

func newRankCommand(g *globalOptions) *cobra.Command {
	opts := &rankOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "rank A B",
		Short: "Print B's rank among A's nearest neighbours (gensim's rank)",
		Long: `Print where B comes among A's neighbours by cosine similarity: 1 plus the
number of keys closer to A than B is (A itself not counted), as gensim's
KeyedVectors.rank does. The answer is exact: every record is scanned, so it
costs one pass over the collection.`,
		Example: `  vecbolt --db words.db rank king queen
  vecbolt --db words.db rank coffee tea --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.A, opts.B = args[0], args[1]
			return runRank(cmd.Context(), opts, cmd.OutOrStdout())
		},
		ValidArgsFunction: completeKeys(g),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// rankJSON is the --json output of rank.
type rankJSON struct {
	Collection string `json:"collection"`
	A          string `json:"a"`
	B          string `json:"b"`
	Rank       int    `json:"rank"`
	Exact      bool   `json:"exact"` // always true: the answer comes from a full scan
}

func runRank(ctx context.Context, opts *rankOptions, out io.Writer) (err error) {
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	r, err := c.Rank(ctx, opts.A, opts.B)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(out, rankJSON{Collection: opts.Collection, A: opts.A, B: opts.B, Rank: r, Exact: true})
	}
	_, err = fmt.Fprintln(out, r)
	return err
}
