package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

type deleteOptions struct {
	*globalOptions
	Keys []string // positional
}

func newDeleteCommand(g *globalOptions) *cobra.Command {
	opts := &deleteOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "delete KEY...",
		Short: "Delete records",
		Long: `Delete the records under the given keys, in one transaction. Every key must
exist: if one does not, nothing is deleted.`,
		Example: `  vecbolt delete apple
  vecbolt --db words.db delete foo bar baz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Keys = args
			return runDelete(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	return cmd
}

func runDelete(ctx context.Context, opts *deleteOptions, out io.Writer) (err error) {
	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	n, err := c.Delete(ctx, opts.Keys...)
	if err != nil {
		return err
	}
	noun := "records"
	if n == 1 {
		noun = "record"
	}
	fmt.Fprintf(out, "deleted %d %s from %q (%d left)\n", n, noun, opts.Collection, c.Len())
	return nil
}
