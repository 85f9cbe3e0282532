package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type compactOptions struct {
	*globalOptions
	Output string
	Order  string // --order: query.DB.ReorderAll's order
}

func newCompactCommand(g *globalOptions) *cobra.Command {
	opts := &compactOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "compact",
		Short: "Rewrite the database file without free space",
		Long: `Rewrite the database into a new file holding only live data, reclaiming the
space of deleted records and removed graph nodes (bbolt never shrinks a file
by itself), and report the size before and after.

Without --output the database is replaced: the compacted copy is written
beside it under a temporary name, checked, and renamed over the original
while the database is locked, so a failure at any point (disk full,
interrupt) leaves the original as it was. With --output the original is
left alone and the copy goes to a new file.

Compact retrains the INT8 parameters of every int8 collection on a sample
of its vectors and re-encodes it (as 'quantize --to int8' does), since a
collection filled one upsert at a time starts from default parameters. In
place this happens first, through a staged copy swapped in at the end; with
--output it happens in a scratch copy beside the output file (compacted
from the database, retrained, compacted again into the output, removed),
so the database is only read.

In place, compact also renumbers the graph of every collection of 50,000
records or more for search speed (nodes searched together get nearby ids,
so a search touches fewer cache lines and pages; keys, vectors and results
are unchanged), through a staged copy swapped in at the end, all or
nothing. --order picks the order: rcm (the default), bfs, gorder (the
best layout, several times rcm's cost) or none (keep the ids; the
fastest compact). An explicit order renumbers collections of any size.
With --output the ids are copied as they are.`,
		Example: `  vecbolt --db words.db compact
  vecbolt --db words.db compact --output words-small.db
  vecbolt --db words.db compact --order none`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCompact(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the compacted copy to this new file and leave the database as it is")
	cmd.Flags().StringVar(&opts.Order, "order", "", "in place, renumber each graph for search speed: none, bfs, rcm or gorder (default: rcm for collections of 50,000 records or more)")
	_ = cmd.RegisterFlagCompletionFunc("order", completeValues("none", "bfs", "rcm", "gorder"))
	return cmd
}

func runCompact(ctx context.Context, opts *compactOptions, out io.Writer) (err error) {
	start := time.Now()
	if err := query.ValidateOrder(opts.Order); err != nil {
		return usageErr(err)
	}
	inPlace := opts.Output == ""
	output := opts.Output
	if !inPlace {
		if output, err = refuseExisting(opts.Output); err != nil {
			return err
		}
	}
	// In place, hold the write lock so that nobody writes to the original
	// between the copy and the rename.
	db, err := opts.open(!inPlace)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	before, err := db.FileSize()
	if err != nil {
		return err
	}
	// src is what is compacted into dest: the database itself, or with
	// --output and int8 collections a retrained scratch copy of it.
	src, srcPath := db, opts.DB
	var retrained, reordered string
	if inPlace {
		if retrained, err = retrainInt8(ctx, db); err != nil {
			return err
		}
		if reordered, err = reorderAll(ctx, db, opts.Order); err != nil {
			return err
		}
	} else {
		var scratch string
		scratch, retrained, err = retrainedScratch(ctx, opts, db, before, output)
		if scratch != "" {
			defer os.Remove(scratch)
		}
		if err != nil {
			return err
		}
		if scratch != "" {
			if src, err = query.Open(scratch, query.Options{ReadOnly: true, Timeout: -1}); err != nil {
				return fmt.Errorf("compact %s: the retrained scratch copy: %w (the database is unchanged)", opts.DB, err)
			}
			defer closeDB(src, &err)
			srcPath = scratch
		}
	}
	dest := output
	if inPlace {
		dest = tempBeside(opts.DB, "compact")
	}
	defer func() {
		if err != nil && inPlace {
			_ = os.Remove(dest)
		}
	}()
	if err := compactInto(ctx, opts, src, before, dest, "compact "); err != nil {
		return err
	}
	warning := ""
	if err := verifyCopy(ctx, src, srcPath, dest); errors.Is(err, errSameProblems) {
		warning = fmt.Sprintf("; the database fails its check and the copy keeps the same problems: run 'vecbolt --db %s check'", opts.DB)
	} else if err != nil {
		if !inPlace {
			_ = os.Remove(dest)
		}
		return fmt.Errorf("compact %s: the compacted copy fails its check, not kept (the database is unchanged): %w", opts.DB, err)
	}
	after := fileSize(dest)
	if inPlace {
		if err := os.Rename(dest, opts.DB); err != nil {
			return writeFailure("compact", opts.DB, err, " (the database is unchanged)")
		}
		syncDir(filepath.Dir(opts.DB))
	}
	target := opts.DB
	if !inPlace {
		target = opts.DB + " into " + opts.Output
	}
	fmt.Fprintf(out, "compacted %s: %s in %v%s%s\n", target, sizeChange(before, after), time.Since(start).Round(time.Millisecond), retrained+reordered, warning)
	return nil
}

// compactInto writes the compacted copy of db to dest (bbolt's
// compaction, a new file renamed into place), with a progress bar on a
// terminal for a database of size bytes. O(size of the live data).
func compactInto(ctx context.Context, opts *compactOptions, db *query.DB, size int64, dest, label string) error {
	bar := newBytesBar(opts.progress && size >= largeFile, opts.stderr, size, label)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		watchGrowth(bar, filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-", stop)
		close(done)
	}()
	err := db.Store().Compact(ctx, dest)
	close(stop)
	<-done
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return writeFailure("compact", opts.DB, err, " (the database is unchanged)")
	}
	finishBar(bar)
	return nil
}

// int8Collections returns the names of db's int8 collections, sorted.
func int8Collections(db *query.DB) ([]string, error) {
	encs, err := db.Encodings()
	if err != nil {
		return nil, err
	}
	var names []string
	for name, enc := range encs {
		if enc == "int8" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// retrainInt8 retrains and re-encodes every int8 collection of db (open
// read-write) and describes what it did for compact's report ("" when
// nothing).
func retrainInt8(ctx context.Context, db *query.DB) (string, error) {
	names, err := int8Collections(db)
	if err != nil || len(names) == 0 {
		return "", err
	}
	for _, name := range names {
		if err := db.Quantize(ctx, name, "int8"); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf(", int8 parameters retrained (%s)", strings.Join(names, ", ")), nil
}

// retrainedScratch serves compact --output of a database with int8
// collections. The database is open read-only and stays as it is, so the
// parameters are retrained in a scratch copy: db (of size bytes) is
// compacted into a file beside output, which is opened read-write and
// retrained as in place (retrainInt8). It returns the scratch file's path
// for the caller to compact into output and remove ("" when db has no int8
// collection: nothing to retrain), and retrainInt8's report. On error the
// path, when not "", is still the caller's to remove.
func retrainedScratch(ctx context.Context, opts *compactOptions, db *query.DB, size int64, output string) (scratch, report string, err error) {
	names, err := int8Collections(db)
	if err != nil || len(names) == 0 {
		return "", "", err
	}
	scratch = tempBeside(output, "retrain")
	if err := compactInto(ctx, opts, db, size, scratch, "copy for retraining "); err != nil {
		return scratch, "", err
	}
	w, err := query.Open(scratch, query.Options{NoSync: true, Timeout: -1}) // the final compaction syncs
	if err != nil {
		return scratch, "", err
	}
	report, err = retrainInt8(ctx, w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return scratch, "", fmt.Errorf("compact %s: retraining the int8 parameters in a scratch copy: %w (the database is unchanged)", opts.DB, err)
	}
	return scratch, report, nil
}

// reorderAll renumbers the graphs of db's collections in order (in place
// only: db is open read-write) and describes what it did for compact's
// report ("" when nothing).
func reorderAll(ctx context.Context, db *query.DB, order string) (string, error) {
	names, err := db.ReorderAll(ctx, order)
	if err != nil || len(names) == 0 {
		return "", err
	}
	used := order
	if used == query.OrderAuto {
		used = query.DefaultOrder
	}
	return fmt.Sprintf(", graph renumbered in %s order (%s)", used, strings.Join(names, ", ")), nil
}

// sizeChange describes a file going from before to after bytes in honest
// words: "38.2 MiB -> 20.6 MiB, 46% smaller", "no smaller", or "larger"
// (which compaction avoids, but a report must not turn into a negative
// saving).
func sizeChange(before, after int64) string {
	s := humanBytes(before) + " -> " + humanBytes(after)
	switch pct := 100 * (1 - float64(after)/float64(before)); {
	case before <= 0 || after == before:
		return s + ", no smaller"
	case after > before:
		return fmt.Sprintf("%s, %.0f%% larger", s, -pct)
	case pct < 1:
		return s + ", less than 1% smaller"
	default:
		return fmt.Sprintf("%s, %.0f%% smaller", s, pct)
	}
}
