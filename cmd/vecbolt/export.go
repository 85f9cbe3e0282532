package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/format"
	"github.com/vecbolt/vecbolt/store"
)

type exportOptions struct {
	*globalOptions
	File   string // positional; "-" is standard output
	Format string
	Gzip   bool
	Force  bool
	Vocab  string // also write a word2vec counts file here, or ""
}

func newExportCommand(g *globalOptions) *cobra.Command {
	opts := &exportOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "Write a collection to a file",
		Long: `Write every record of the collection named by -c to FILE, in insertion order,
in one of the formats import reads. The format comes from --format, otherwise
from the file name; a name ending in .gz (or --gzip) compresses the output.
FILE "-" writes to standard output (give --format).

Vectors are written as stored, exactly: importing the file again gives the
same keys and bit-identical vectors, and the same metadata for the formats
that carry it (JSON Lines and CSV). fvecs keeps no keys: rows are numbered.

A new FILE is written under a temporary name and renamed when complete, so
an interrupted export leaves nothing. An existing file is refused unless
--force is given; then it is replaced the same way, and a symbolic link is
followed (the link stays, its target is replaced). The database itself is
never a destination, under any name (symbolic or hard links included).
FIFOs and devices (/dev/stdout, /dev/null) are written into, not replaced.

--vocab FILE also writes a word2vec counts file ("word count" lines, as
gensim's save_word2vec_format(fvocab=...) writes it) from each record's
metadata "count" (import --vocab stores it there); a record without an
integer count is an error naming it. FILE follows the same rules as the
main output.`,
		Example: `  vecbolt --db words.db export words.txt.gz
  vecbolt --db words.db export --format jsonl - | head -3
  vecbolt export vectors.fvecs
  vecbolt --db words.db export --force words.jsonl
  vecbolt --db words.db -c w2v export vectors.txt --format word2vec --vocab vectors.vocab`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return runExport(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "", "output format: glove, word2vec, word2vec-binary, fvecs, jsonl, csv (default: from the file name)")
	cmd.Flags().BoolVar(&opts.Gzip, "gzip", false, "gzip the output (implied by a .gz file name)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace FILE if it exists")
	cmd.Flags().StringVar(&opts.Vocab, "vocab", "", "also write a word2vec counts file from the metadata's \"count\"")
	_ = cmd.RegisterFlagCompletionFunc("format", completeValues(formatNames...))
	return cmd
}

func runExport(ctx context.Context, opts *exportOptions, out io.Writer) (err error) {
	start := time.Now()
	f, err := resolveFormat(opts.Format, opts.File, "writing")
	if err != nil {
		return err
	}
	gz := opts.Gzip || strings.HasSuffix(strings.ToLower(opts.File), ".gz")
	var dest, vocabDest outputFile
	if opts.File != "-" {
		if dest, err = resolveOutput(opts.File, opts.DB, opts.Force); err != nil {
			return err
		}
	}
	if opts.Vocab != "" {
		if opts.Vocab == "-" || opts.Vocab == opts.File {
			return usageErr(fmt.Errorf("--vocab %s: give a file other than the vector output", opts.Vocab))
		}
		if vocabDest, err = resolveOutput(opts.Vocab, opts.DB, opts.Force); err != nil {
			return err
		}
	}
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	cfg, n, err := opts.collectionInfo(db)
	if err != nil {
		return err
	}
	var counts []format.VocabEntry
	if opts.Vocab != "" {
		// Read the counts first: a record without one fails the export
		// before anything is written.
		if counts, err = collectCounts(ctx, db, opts.Collection); err != nil {
			return err
		}
	}
	write := func(w io.Writer) error { return exportTo(ctx, db, opts.Collection, cfg.Dim, w, f, n, gz) }
	report := out
	if opts.File == "-" {
		report = opts.stderr
		if err = write(out); err != nil {
			err = pathError(outputName(opts.File), err)
		}
	} else {
		err = dest.write(write)
	}
	if err == nil && opts.Vocab != "" {
		err = vocabDest.write(func(w io.Writer) error { return format.WriteVocab(w, counts) })
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	note := ""
	if f == format.FVecs {
		note = " (fvecs keeps no keys)"
	}
	fmt.Fprintf(report, "exported %s records from %q to %s as %s%s in %.2f s\n",
		humanCount(int64(n)), opts.Collection, outputName(opts.File), f, note, time.Since(start).Seconds())
	return nil
}

// outputName is how an output file is named in messages.
func outputName(file string) string {
	if file == "-" {
		return "<stdout>"
	}
	return file
}

// exportTo writes the n records of the named collection to w, reading them
// from the file without loading the graph.
func exportTo(ctx context.Context, db *query.DB, collection string, dim int, w io.Writer, f format.Format, n int, gz bool) error {
	fw, err := format.NewWriter(w, f, format.WriterOptions{Count: n, Dim: dim, Gzip: gz})
	if err != nil {
		return err
	}
	if err := db.ForEach(ctx, collection, func(r query.Record) error {
		err := fw.Write(format.Record{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata})
		if errors.Is(err, format.ErrNotFinite) {
			// Every write path refuses NaN and Inf: the file is damaged.
			return &exitError{code: exitDatabase, err: fmt.Errorf("record %s in the database holds a NaN or infinite component, which no write accepts: the file is damaged (run 'vecbolt check'): %w", strconv.Quote(r.Key), store.ErrCorrupt)}
		}
		return err
	}); err != nil {
		return err
	}
	return fw.Close()
}

// collectCounts reads every record's metadata "count" in insertion order,
// for export --vocab. A record without a non-negative integer count is an
// invalid-input error naming it. O(n) reads, no graph load.
func collectCounts(ctx context.Context, db *query.DB, collection string) ([]format.VocabEntry, error) {
	var out []format.VocabEntry
	err := db.ForEach(ctx, collection, func(r query.Record) error {
		var m struct {
			Count *json.Number `json:"count"`
		}
		if len(r.Metadata) > 0 {
			d := json.NewDecoder(bytes.NewReader(r.Metadata))
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				m.Count = nil
			}
		}
		var c int64
		var err error
		if m.Count != nil {
			c, err = m.Count.Int64()
		}
		if m.Count == nil || err != nil || c < 0 {
			return invalidErr(fmt.Errorf("export --vocab: record %s has no non-negative integer \"count\" in its metadata (import --vocab stores it)", strconv.Quote(r.Key)))
		}
		out = append(out, format.VocabEntry{Word: r.Key, Count: c})
		return nil
	})
	return out, err
}
