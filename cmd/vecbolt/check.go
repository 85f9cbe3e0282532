package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/index"
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
			for _, p := range ce.Problems {
				problems = append(problems, translateBolt(p))
			}
			if n := ce.Total - len(ce.Problems); n > 0 {
				problems = append(problems, fmt.Sprintf("... and %d more", n))
			}
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				problems = append(problems, cleanMessage(translateBolt(line)))
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
			if errors.Is(err, index.ErrOptions) {
				add(legacyOptions(n, err))
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				add(namedCollection(n, err))
				continue
			}
			if err := c.Check(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				add(namedCollection(n, err))
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

// namedCollection makes sure an error about collection name says which.
func namedCollection(name string, err error) error {
	if strings.Contains(err.Error(), strconv.Quote(name)) {
		return err
	}
	return fmt.Errorf("collection %q: %w", name, err)
}

// boltProblems translates the text of bbolt's page-level check (tx_check.go
// in go.etcd.io/bbolt) into plain words; the stack of parent pages it
// appends is dropped.
var boltProblems = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`^page (\d+): unreachable unfreed$`), "page $1 is neither in use nor free: leaked space, harmless ('vecbolt compact' reclaims it)"},
	{regexp.MustCompile(`^page (\d+): already freed$`), "page $1 is listed as free twice"},
	{regexp.MustCompile(`^page (\d+): reachable freed$`), "page $1 is in use but also listed as free: a later write could overwrite live data"},
	{regexp.MustCompile(`^page (\d+): multiple references.*$`), "page $1 is used by two parts of the file"},
	{regexp.MustCompile(`^page (\d+): invalid type: (\S+).*$`), "page $1 has an unknown page type ($2)"},
	{regexp.MustCompile(`^page (\d+): out of bounds: (\d+).*$`), "page $1 points past the end of the file (to page $2)"},
	{regexp.MustCompile(`^page ID \((\d+)\) out of range \[\d+, (\d+)\)$`), "a link points to page $1, past the end of the file ($2 pages)"},
	{regexp.MustCompile(`^unexpected page type \(flags: (\w+)\) for pgId:(\d+)$`), "page $2 has an unexpected page type (flags $1)"},
	{regexp.MustCompile(`^(?:the first )?key\[\d+\]=\(hex\)\w* on \w+ page\((\d+)\) needs to be.*$`), "page $1 holds keys out of order: the page tree is damaged"},
}

// translateBolt rewrites one problem line of bbolt's check, with or without
// its "bbolt: " prefix; other lines pass unchanged.
func translateBolt(line string) string {
	t, ok := strings.CutPrefix(line, "bbolt: ")
	if !ok {
		return line
	}
	for _, p := range boltProblems {
		if p.re.MatchString(t) {
			return "file: " + p.re.ReplaceAllString(t, p.with)
		}
	}
	return "file: " + t
}
