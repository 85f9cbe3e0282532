package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

type oddOptions struct {
	*globalOptions
	Words []string // positional
	Rank  bool
	JSON  bool
}

func newOddCommand(g *globalOptions) *cobra.Command {
	opts := &oddOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "odd WORD WORD WORD...",
		Aliases: []string{"doesnt-match"},
		Short:   "Find the word that does not go with the others",
		Long: `Find the odd one out among three or more stored keys, as gensim's doesnt_match
does: each key's unit vector is compared by cosine similarity with the
normalised mean of all of them, and the least similar is the odd one.

-v (--rank) prints the whole ranking instead, most central first, so the odd
one is the last row; ties are broken by key, descending, as in gensim. --json
prints the odd one and the ranking. A key given twice counts twice. Every key
must be stored: an unknown one is an error naming it.`,
		Example: `  vecbolt --db words.db odd breakfast lunch dinner car
  vecbolt --db words.db doesnt-match paris berlin london coffee -v
  vecbolt --db words.db odd red green blue dog --json`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Words = args
			return runOdd(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&opts.Rank, "rank", "v", false, "print the full ranking by centrality")
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// oddJSON is the --json output of odd.
type oddJSON struct {
	Collection string       `json:"collection"`
	Odd        string       `json:"odd"`
	Ranking    []resultJSON `json:"ranking"` // most central first; score is the cosine similarity to the mean
}

func runOdd(ctx context.Context, opts *oddOptions, out io.Writer) (err error) {
	if len(opts.Words) < 3 {
		return usageErr(fmt.Errorf("give at least three keys, got %d", len(opts.Words)))
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
	if !opts.JSON && !opts.Rank {
		odd, err := c.DoesntMatch(ctx, opts.Words)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, tableKey(odd))
		return err
	}
	rank, err := c.RankByCentrality(ctx, opts.Words)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(out, oddJSON{Collection: opts.Collection, Odd: rank[len(rank)-1].Key, Ranking: resultsJSON(rank)})
	}
	return writeResults(out, rank, "COSINE", false)
}
