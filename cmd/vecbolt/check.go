package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/store"
)

type checkOptions struct {
	*globalOptions
}

func newCheckCommand(g *globalOptions) *cobra.Command {
	opts := &checkOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Verify the database file, its records and its graphs",
		Long: `Verify the whole database file, read-only:

  - bbolt's page-level consistency check (every page reachable or free, no
    page used twice), after a bounds-checked walk of the page tree;
  - for every collection: keys and records map to each other both ways,
    every record decodes and has a vector of the right dimension, insertion
    order and counts agree;
  - every collection's graph loads, agrees with the records (one live node
    per record, nothing else), and keeps its invariants: no self-loops, no
    duplicate links, degree limits, links to live nodes only, the entry
    point on the top level, every node reachable from it.

It prints "ok" and exits 0, or lists every problem found, one per line, and
exits 5.`,
		Example: `  vecbolt --db words.db check`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	return cmd
}

func runCheck(ctx context.Context, opts *checkOptions, out io.Writer) (err error) {
	start := time.Now()
	size := fileSize(opts.DB)
	db, err := opts.open(true)
	if err != nil {
		if errors.Is(err, store.ErrCorrupt) || errors.Is(err, store.ErrNotVecbolt) || errors.Is(err, store.ErrVersion) {
			fmt.Fprintf(out, "%s: cannot be opened:\n\t%v\n", opts.DB, err)
			return &exitError{code: exitDatabase, err: fmt.Errorf("check %s: failed: the file cannot be opened", opts.DB)}
		}
		return err
	}
	defer closeDB(db, &err)

	bar := newBytesBar(opts.progress && size >= largeFile, opts.stderr, -1, "checking file")
	var problems []string
	add := func(err error) {
		var ce *store.CheckError
		if errors.As(err, &ce) {
			problems = append(problems, ce.Problems...)
			if n := ce.Total - len(ce.Problems); n > 0 {
				problems = append(problems, fmt.Sprintf("... and %d more", n))
			}
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				problems = append(problems, line)
			}
		}
	}
	records := 0
	if err := db.Store().Check(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		add(err)
	}
	names, err := db.Collections()
	if err != nil {
		add(err)
	}
	// Graphs are only worth loading when the file itself is sound: a
	// damaged file gives one error per collection and says nothing new.
	if len(problems) == 0 {
		for _, n := range names {
			if bar != nil {
				bar.Describe("checking " + n)
			}
			c, err := db.Collection(ctx, n)
			if err != nil {
				add(err)
				continue
			}
			if err := c.Check(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				add(err)
			}
			records += c.Len()
		}
	}
	finishBar(bar)
	if len(problems) > 0 {
		fmt.Fprintf(out, "%s: %d problem(s):\n", opts.DB, len(problems))
		for _, p := range problems {
			fmt.Fprintf(out, "\t%s\n", p)
		}
		return &exitError{code: exitDatabase, err: fmt.Errorf("check %s: failed (%d problem(s), listed above)", opts.DB, len(problems))}
	}
	fmt.Fprintf(out, "ok: %s, %s, %d collection(s), %d record(s), checked in %v\n",
		opts.DB, humanBytes(size), len(names), records, time.Since(start).Round(time.Millisecond))
	return nil
}
