package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

type getOptions struct {
	*globalOptions
	Keys []string // positional
	JSON bool
}

func newGetCommand(g *globalOptions) *cobra.Command {
	opts := &getOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "get KEY...",
		Short: "Print records' vectors and metadata",
		Long: `Print the vector and metadata stored under each KEY, read in one transaction.
The vector is printed as written (under cosine, not normalised), every
component exact. Every key must be stored: a missing one is an error naming
it, and nothing is printed. --json prints one object for one key and an array
of objects, in the order given, for several.`,
		Example: `  vecbolt get apple
  vecbolt --db words.db get king queen prince
  vecbolt --db words.db get king --json | jq '.vector | length'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Keys = args
			return runGet(cmd.Context(), opts, cmd.OutOrStdout())
		},
		ValidArgsFunction: completeKeys(g),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// recordJSON is a record in --json output.
type recordJSON struct {
	Key      string          `json:"key"`
	Vector   []float32       `json:"vector"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

func runGet(ctx context.Context, opts *getOptions, out io.Writer) (err error) {
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	if _, _, err := opts.collectionInfo(db); err != nil {
		return err
	}
	recs, err := db.GetMany(ctx, opts.Collection, opts.Keys)
	if err != nil {
		return err
	}
	if opts.JSON {
		js := make([]recordJSON, len(recs))
		for i, r := range recs {
			js[i] = recordJSON{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata}
		}
		if len(js) == 1 {
			return writeJSON(out, js[0])
		}
		return writeJSON(out, js)
	}
	for i, r := range recs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "key:       %s\n", r.Key)
		fmt.Fprintf(out, "dimension: %d\n", len(r.Vector))
		fmt.Fprintf(out, "vector:    %s\n", formatVector(r.Vector))
		if r.Metadata != nil {
			fmt.Fprintf(out, "metadata:  %s\n", r.Metadata)
		}
	}
	return nil
}
