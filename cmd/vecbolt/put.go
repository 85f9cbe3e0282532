package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/store"
)

type putOptions struct {
	*globalOptions
	Key      string // positional
	Vector   string
	Metadata string
}

func newPutCommand(g *globalOptions) *cobra.Command {
	opts := &putOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "put KEY --vector V [--metadata JSON]",
		Short: "Write one record",
		Long: `Write one record to the collection named by -c, replacing the record under KEY
if there is one. The vector is a list of numbers separated by commas or spaces,
brackets optional; metadata, if given, is a JSON object.`,
		Example: `  vecbolt create --dim 3
  vecbolt put apple --vector "0.1, -0.2, 0.3" --metadata '{"color": "red"}'
  vecbolt put pear --vector "[0.2 0.1 0.3]"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			return runPut(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&opts.Vector, "vector", "", "the vector: numbers separated by commas or spaces (required)")
	cmd.Flags().StringVar(&opts.Metadata, "metadata", "", "metadata: a JSON object")
	_ = cmd.MarkFlagRequired("vector")
	return cmd
}

func runPut(ctx context.Context, opts *putOptions, out io.Writer) (err error) {
	vec, err := parseVector(opts.Vector)
	if err != nil {
		return err
	}
	var meta json.RawMessage
	if opts.Metadata != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(opts.Metadata), &obj); err != nil || obj == nil {
			return invalidErr(fmt.Errorf("--metadata must be a JSON object: %w", orNotObject(err)))
		}
		meta = json.RawMessage(opts.Metadata)
	}
	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	replaced := c.Has(opts.Key)
	if err := c.Upsert(ctx, opts.Key, vec, meta); err != nil {
		return err
	}
	verb := "added"
	if replaced {
		verb = "replaced"
	}
	fmt.Fprintf(out, "%s %q in %q (%d records)\n", verb, opts.Key, opts.Collection, c.Len())
	return nil
}

// orNotObject returns err, or store.ErrInvalidMetadata when a JSON value
// parsed but was not an object.
func orNotObject(err error) error {
	if err == nil {
		return store.ErrInvalidMetadata
	}
	return err
}
