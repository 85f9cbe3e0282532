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
	Key  string // positional
	JSON bool
}

func newGetCommand(g *globalOptions) *cobra.Command {
	opts := &getOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Print one record's vector and metadata",
		Long: `Print the vector and metadata stored under KEY. The vector is printed as written
(under cosine, not normalised), every component exact.`,
		Example: `  vecbolt get apple
  vecbolt --db words.db get king --json | jq '.vector | length'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			return runGet(cmd.Context(), opts, cmd.OutOrStdout())
		},
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
	r, err := db.Get(ctx, opts.Collection, opts.Key)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(out, recordJSON{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata})
	}
	fmt.Fprintf(out, "key:       %s\n", r.Key)
	fmt.Fprintf(out, "dimension: %d\n", len(r.Vector))
	fmt.Fprintf(out, "vector:    %s\n", formatVector(r.Vector))
	if r.Metadata != nil {
		fmt.Fprintf(out, "metadata:  %s\n", r.Metadata)
	}
	return nil
}
