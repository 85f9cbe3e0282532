package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type deleteOptions struct {
	*globalOptions
	Keys      []string // positional
	MissingOK bool
	Filter    string
	Yes       bool
	JSON      bool
}

func newDeleteCommand(g *globalOptions) *cobra.Command {
	opts := &deleteOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "delete (KEY... | --filter EXPR)",
		Short: "Delete records",
		Long: `Delete the records under the given keys, in one transaction. Every key must
exist: if one does not, nothing is deleted, unless --missing-ok skips the keys
that are not stored.

--filter deletes every record whose metadata matches a filter such as
'lang = "en" and year < 2000' (the syntax of 'search --filter'). It shows how
many records match and asks before deleting them on a terminal; --yes skips
the question, and is required when standard input is not a terminal.`,
		Example: `  vecbolt delete apple
  vecbolt --db words.db delete foo bar baz --missing-ok
  vecbolt --db docs.db delete --filter 'year < 2000' --yes --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Keys = args
			return runDelete(cmd.Context(), opts, cmd.OutOrStdout())
		},
		ValidArgsFunction: completeKeys(g),
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.MissingOK, "missing-ok", false, "skip keys that are not stored instead of failing")
	fs.StringVar(&opts.Filter, "filter", "", "delete the records whose metadata matches this filter")
	fs.BoolVarP(&opts.Yes, "yes", "y", false, "with --filter: do not ask for confirmation")
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// deleteJSON is the --json output of delete.
type deleteJSON struct {
	Collection string `json:"collection"`
	Matched    int    `json:"matched"` // keys given, or records the filter matched
	Deleted    int    `json:"deleted"`
	Left       int    `json:"left"`
}

func runDelete(ctx context.Context, opts *deleteOptions, out io.Writer) (err error) {
	switch {
	case opts.Filter != "" && len(opts.Keys) > 0:
		return usageErr(errors.New("give keys or --filter, not both"))
	case opts.Filter == "" && len(opts.Keys) == 0:
		return usageErr(errors.New("give the keys to delete, or --filter"))
	case opts.Filter != "" && opts.MissingOK:
		return usageErr(errors.New("--missing-ok applies to keys, not --filter"))
	case opts.Filter == "" && opts.Yes:
		return usageErr(errors.New("--yes applies to --filter only"))
	}
	var filter query.Filter
	if opts.Filter != "" {
		if filter, err = query.ParseFilter(opts.Filter); err != nil {
			return err
		}
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
	keys := opts.Keys
	if opts.Filter != "" {
		if keys, err = c.KeysWhere(ctx, filter); err != nil {
			return err
		}
	} else if keys, err = c.ExpandDocuments(ctx, keys, true); err != nil {
		// a chunked document's key stands for its chunk records
		return err
	}
	matched := len(keys)
	if opts.Filter != "" {
		if len(keys) > 0 && !opts.Yes {
			ok, err := opts.confirm(fmt.Sprintf("delete %d %s matching %s from %q?", len(keys), plural(len(keys), "record"), filter, opts.Collection))
			if err != nil {
				return err
			}
			if !ok {
				keys = nil
			}
		}
	}
	n, err := c.DeleteKeys(ctx, keys, query.DeleteOptions{MissingOK: opts.MissingOK || opts.Filter != ""})
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(out, deleteJSON{Collection: opts.Collection, Matched: matched, Deleted: n, Left: c.Len()})
	}
	fmt.Fprintf(out, "deleted %d %s from %q (%d left)\n", n, plural(n, "record"), opts.Collection, c.Len())
	return nil
}

// plural returns noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
