package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"
)

type quantizeOptions struct {
	*globalOptions
	Name string // positional; "" means -c
	To   string
}

func newQuantizeCommand(g *globalOptions) *cobra.Command {
	opts := &quantizeOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "quantize [COLLECTION] --to none|fp16|int8",
		Short: "Change how a collection holds its vectors in memory",
		Long: `Rebuild a collection so that its graph holds the vectors as float32 (none),
FP16 (2 bytes a component) or INT8 codes (1 byte a component plus 4 a vector).
The exact float32 vectors stay in the file whatever the encoding: searches
re-rank their candidates with them (search --oversample), so scores stay
exact, and export stays lossless.

For int8 the parameters are trained on a seeded sample of the collection
(a range per dimension, min to max); quantizing an int8 collection to int8
trains them again, as compact does. The collection is rebuilt in a staged
copy and swapped in at the end, so an interruption at any point (even
SIGKILL) leaves it either as it was or fully rebuilt; it needs free disk
space for the copy. Writers of the collection wait until it is done.`,
		Example: `  vecbolt --db words.db quantize glove --to int8
  vecbolt --db words.db -c glove quantize --to none`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			return runQuantize(cmd.Context(), opts, cmd.OutOrStdout())
		},
		ValidArgsFunction: completeCollections(g),
	}
	cmd.Flags().StringVar(&opts.To, "to", "", "the encoding: none, fp16 or int8 (required)")
	_ = cmd.RegisterFlagCompletionFunc("to", completeValues("none", "fp16", "int8"))
	return cmd
}

func runQuantize(ctx context.Context, opts *quantizeOptions, out io.Writer) (err error) {
	if !slices.Contains([]string{"none", "fp16", "int8"}, opts.To) {
		return usageErr(fmt.Errorf("--to %q: want none, fp16 or int8", opts.To))
	}
	name := opts.Collection
	if opts.Name != "" {
		name = opts.Name
	}
	start := time.Now()
	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	if err := db.Quantize(ctx, name, opts.To); err != nil {
		return err
	}
	c, err := db.Collection(ctx, name)
	if err != nil {
		return err
	}
	info := c.Encoding()
	params := ""
	if info.Params != "" {
		params = ", params " + info.Params
	}
	fmt.Fprintf(out, "quantized %q in %s to %s%s: %d bytes a vector in RAM (float32: %d), in %v\n",
		name, opts.DB, info.Encoding, params, info.VectorBytes, 4*c.Config().Dim, time.Since(start).Round(time.Millisecond))
	return nil
}
