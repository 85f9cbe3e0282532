package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

type closerThanOptions struct {
	*globalOptions
	A, B string // positional
	JSON bool
}

func newCloserThanCommand(g *globalOptions) *cobra.Command {
	opts := &closerThanOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "closer-than A B",
		Short: "List the keys closer to A than B is (gensim's closer_than)",
		Long: `List every key whose vector is closer to A (by cosine similarity) than B's is,
A itself left out, one a line in insertion order, as gensim's
KeyedVectors.closer_than does. The answer is exact: every record is scanned.
The count of the list plus one is 'vecbolt rank A B'.`,
		Example: `  vecbolt --db words.db closer-than king queen
  vecbolt --db words.db closer-than coffee tea --json | jq '.count'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.A, opts.B = args[0], args[1]
			return runCloserThan(cmd.Context(), opts, cmd.OutOrStdout())
		},
		ValidArgsFunction: completeKeys(g),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// closerThanJSON is the --json output of closer-than.
type closerThanJSON struct {
	Collection string   `json:"collection"`
	A          string   `json:"a"`
	B          string   `json:"b"`
	Count      int      `json:"count"`
	Keys       []string `json:"keys"` // insertion order
}

func runCloserThan(ctx context.Context, opts *closerThanOptions, out io.Writer) (err error) {
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	keys, err := c.CloserThan(ctx, opts.A, opts.B)
	if err != nil {
		return err
	}
	if opts.JSON {
		if keys == nil {
			keys = []string{}
		}
		return writeJSON(out, closerThanJSON{Collection: opts.Collection, A: opts.A, B: opts.B, Count: len(keys), Keys: keys})
	}
	for _, k := range keys {
		if _, err := fmt.Fprintln(out, tableKey(k)); err != nil {
			return err
		}
	}
	return nil
}
