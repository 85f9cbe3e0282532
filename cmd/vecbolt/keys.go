package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type keysOptions struct {
	*globalOptions
	Prefix string
	After  string
	Limit  int
	JSON   bool
}

func newKeysCommand(g *globalOptions) *cobra.Command {
	opts := &keysOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "keys [--prefix P] [--limit N] [--after KEY]",
		Short: "List the keys of a collection in key order, a page at a time",
		Long: `List the keys of the collection in ascending byte order, one a line, read from
the key index in one transaction (no graph is loaded).

--prefix keeps the keys that start with it. --limit N prints at most N keys;
--after KEY starts after KEY (exclusive), so the last key of one page gives
the next page. Paging past the end prints nothing and succeeds. --json prints
the keys and "next", the --after value of the next page ("" when this page
is the last).`,
		Example: `  vecbolt --db words.db keys --prefix app
  vecbolt --db words.db keys --limit 100
  vecbolt --db words.db keys --limit 100 --after zeal --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeys(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Prefix, "prefix", "", "only keys that start with this")
	fs.StringVar(&opts.After, "after", "", "only keys after this one (exclusive): the last key of the previous page")
	fs.IntVar(&opts.Limit, "limit", 0, "at most N keys (0: all)")
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
	_ = cmd.RegisterFlagCompletionFunc("after", completeKeys(g))
	return cmd
}

// keysJSON is the --json output of keys.
type keysJSON struct {
	Collection string   `json:"collection"`
	Keys       []string `json:"keys"`
	// Next is the --after value that gives the next page, "" when there
	// is none.
	Next string `json:"next"`
}

func runKeys(ctx context.Context, opts *keysOptions, out io.Writer) (err error) {
	if opts.Limit < 0 {
		return usageErr(fmt.Errorf("--limit must not be negative, got %d", opts.Limit))
	}
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	if _, _, err := opts.collectionInfo(db); err != nil {
		return err
	}
	// One key more than the page, to know whether there is a next page.
	lim := opts.Limit
	if lim > 0 {
		lim++
	}
	s := db.Scan(ctx, opts.Collection, query.ScanOptions{Prefix: opts.Prefix, After: opts.After, Limit: lim})
	keys := []string{}
	n, last, more := 0, "", false
	for k := range s.Keys() {
		if opts.Limit > 0 && n == opts.Limit {
			more = true
			break
		}
		n, last = n+1, k
		if opts.JSON {
			keys = append(keys, k)
		} else if _, err := fmt.Fprintln(out, tableKey(k)); err != nil {
			return err
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	if !opts.JSON {
		return nil
	}
	res := keysJSON{Collection: opts.Collection, Keys: keys}
	if more {
		res.Next = last
	}
	return writeJSON(out, res)
}
