package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/format"
)

// maxReported is how many skipped records import lists by position.
const maxReported = 5

type importOptions struct {
	*globalOptions
	indexFlags
	File        string // positional; "-" is standard input
	Format      string
	SkipInvalid bool
	JSON        bool
	Vocab       string // a word2vec counts file ("word count" lines), or ""
	Order       string // --order: query.StageOptions.Order

	// counts holds the --vocab file's counts by key.
	counts map[string]int64

	// indexFlagsSet is true when --metric, --m, --ef-construction or --ef
	// was given: they must then agree with an existing collection.
	indexFlagsSet bool

	importTextFlags // --text-field and its flags (text_import.go)
}

func newImportCommand(g *globalOptions) *cobra.Command {
	opts := &importOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Load vectors from a file",
		Long: `Load vectors from a file into the collection named by -c, creating it if needed
(dimension from the data, metric and HNSW parameters from the flags).

Formats: glove (.txt, .glove), word2vec text (.vec), word2vec binary (.bin),
fvecs (.fvecs; keys are row numbers), JSON Lines (.jsonl, .ndjson: objects
with "key", "vector" and optional "metadata") and csv (.csv: key,v1,...,vd).
The format comes from --format, otherwise from the file name. Gzipped input
is detected by its content. FILE "-" reads standard input (give --format).

The file is streamed in batches into a staged copy of the collection, which
replaces it in one commit at the end: a malformed or invalid record stops the
import with its file and line, and the database is left as it was, as it is
after Ctrl-C or a crash (an import into a new collection leaves no collection
behind). Importing into an existing collection copies it first, so it needs
free disk space for a second copy while it runs. With --skip-invalid such records are skipped and counted
instead. Existing keys are replaced; a key repeated in the file keeps its
last record.

--order renumbers the graph's nodes at the end so that nodes searched together
sit together in memory (faster searches; keys and results unchanged): none,
bfs, rcm or gorder. By default a new (or replaced) float32 collection of
50,000 records or more is renumbered in rcm order, at little cost: its records
are written once, at the end, in that order. int8 and fp16 collections and
imports into an existing collection keep insertion order (compact renumbers
them); --order none keeps it everywhere.

--vocab FILE reads a word2vec counts file as gensim's save_word2vec_format
writes it ("word count" lines) and stores each word's count in its record's
metadata as {"count": N}; export --vocab writes it back.

--text-field FIELD imports documents instead of vectors, into a collection
created with --embedder: JSON Lines objects or CSV rows (with a header row)
whose FIELD holds the text, embedded by the collection's embedder, and whose
--key-field (default id) holds the key; the other fields or columns become
the metadata (CSV values as strings; a JSON "metadata" object is merged in). --chunk-tokens N --chunk-overlap M split long texts into
chunks. The import is all or nothing as above: a bad document (no text, no
known word, invalid UTF-8, a text over 16 MiB) or an embedding server that
fails stops it with the file and line, and nothing is written; with
--skip-invalid bad lines and documents the embedder refuses are left out and
listed instead. Words the embedder does not know are counted in the summary.`,
		Example: `  vecbolt --db words.db import glove.6B.100d.txt.gz
  vecbolt --db words.db -c w2v import GoogleNews-vectors-negative300.bin --metric cosine
  zcat vectors.jsonl.gz | vecbolt import --format jsonl -
  vecbolt import --skip-invalid messy.csv
  vecbolt --db words.db -c w2v import vectors.txt --format word2vec --vocab vectors.vocab
  vecbolt --db words.db -c notes import docs.jsonl --text-field body --key-field id
  vecbolt --db words.db -c notes import docs.csv --text-field body --chunk-tokens 64 --chunk-overlap 16`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			for _, f := range []string{"metric", "m", "ef-construction", "ef"} {
				opts.indexFlagsSet = opts.indexFlagsSet || cmd.Flags().Changed(f)
			}
			if err := opts.checkTextImport(cmd); err != nil {
				return err
			}
			if err := query.ValidateOrder(opts.Order); err != nil {
				return usageErr(err)
			}
			if opts.TextField != "" {
				return runImportText(cmd.Context(), opts, cmd.OutOrStdout())
			}
			return runImport(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	opts.indexFlags.register(cmd)
	fs := cmd.Flags()
	fs.StringVarP(&opts.Format, "format", "f", "", "input format: glove, word2vec, word2vec-binary, fvecs, jsonl, csv (default: from the file name)")
	fs.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "skip and count malformed or invalid records instead of stopping")
	fs.BoolVar(&opts.JSON, "json", false, "print the summary as JSON")
	fs.StringVar(&opts.Vocab, "vocab", "", "a word2vec counts file (\"word count\" lines); counts go into the metadata as {\"count\": N}")
	fs.StringVar(&opts.Order, "order", "", "renumber the graph for search speed at the end: none, bfs, rcm or gorder (default: rcm from 50,000 records into a new or replaced float32 collection, else none; compact renumbers the rest)")
	opts.importTextFlags.register(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", completeValues(formatNames...))
	return cmd
}

// resolveFormat picks the file format from --format or the file name.
func resolveFormat(flag, file, verb string) (format.Format, error) {
	if flag != "" {
		f, err := format.Parse(flag)
		if err != nil {
			return 0, usageErr(err)
		}
		return f, nil
	}
	if file == "-" {
		return 0, usageErr(fmt.Errorf("%s standard %s needs --format (glove, word2vec, word2vec-binary, fvecs, jsonl, csv)", verb, map[string]string{"reading": "input", "writing": "output"}[verb]))
	}
	f, err := format.FromName(file)
	if err != nil {
		return 0, usageErr(fmt.Errorf("%w; give --format", err))
	}
	return f, nil
}

// displayName is how an input or output file is named in messages.
func displayName(file string) string {
	if file == "-" {
		return "<stdin>"
	}
	return file
}

// importSummary is the result of an import, printed as text or JSON.
type importSummary struct {
	Collection    string   `json:"collection"`
	File          string   `json:"file"`
	Format        string   `json:"format"`
	Records       int      `json:"records"`
	Replaced      int      `json:"replaced"`
	Duplicates    int      `json:"duplicates"`
	Skipped       int      `json:"skipped"`
	SkippedErrors []string `json:"skipped_errors,omitempty"`
	Created       bool     `json:"created"`
	Dim           int      `json:"dim"`
	Counts        int      `json:"counts,omitempty"`
	Seconds       float64  `json:"seconds"`
	RecordsPerSec float64  `json:"records_per_second"`
}

// importBatchBytes is how much vector data import hands to the index per
// transaction (at least importBatchMin records): large enough that the
// graph is built on all cores with few commits, small enough that memory
// stays bounded whatever the file size. A commit's transient memory (the
// pages it writes) grows with the batch: on 100,000 × 100 (2 cores, efC
// 40) the peak RSS was 254 MB with 16 MiB batches, 202 MB with 8 and
// 205 MB with 4, for 4% more CPU time at 8. Variables so tests can make
// batches small.
//
// Past 8 MiB × importBatchGrowth of vectors, a batch grows to
// 1/importBatchGrowth of the records imported so far, up to
// importBatchMaxBytes: each bulk batch ends with one traversal of the
// whole graph (index.Graph.AddBulk, O(n)), so batches of a fixed size
// would make those traversals O(n²/batch) in all; growing batches keep
// their total to about importBatchGrowth traversals of the final graph.
// A batch's transient memory is a few times its size (its records, the
// graph's copies of their vectors, its transaction's pages): at 1M × 100d
// the last batches hold about 48 MiB of vectors, against about 1 GiB for
// the collection's graph and catalogue.
var (
	importBatchBytes    = 8 << 20
	importBatchMin      = 1024
	importBatchMaxBytes = 64 << 20
)

// importBatchGrowth: a batch holds at least 1/importBatchGrowth of the
// records imported before it (see importBatchBytes).
const importBatchGrowth = 8

// importGCPercent is the garbage collector's target during an import
// (unless GOGC is set): the graph's slabs are long-lived and pointer-free,
// so collecting more often costs little CPU and keeps the peak RSS near
// the live heap. Measured on 100,000 × 100 on 2 cores: peak RSS 577 MB at
// the default 100, 387 MB at 25, CPU time 28.3 s and 25.3 s.
const importGCPercent = 25

func runImport(ctx context.Context, opts *importOptions, out io.Writer) (err error) {
	start := time.Now()
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(importGCPercent))
	}
	f, err := resolveFormat(opts.Format, opts.File, "reading")
	if err != nil {
		return err
	}
	if opts.Vocab != "" {
		if opts.counts, err = readCounts(opts.Vocab); err != nil {
			return err
		}
	}
	var (
		in   io.Reader
		size int64 = -1
	)
	if opts.File == "-" {
		in = opts.stdin
	} else {
		file, err := os.Open(opts.File)
		if err != nil {
			return err
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		in = file
	}

	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	names, err := db.Collections()
	if err != nil {
		return err
	}
	var (
		cfg     query.CollectionConfig
		created = !slices.Contains(names, opts.Collection)
	)
	if created {
		if cfg, err = opts.config(0); err != nil {
			return err
		}
	} else {
		// The configuration only: the records are copied into the stage
		// when the first batch is ready.
		if cfg, _, err = opts.collectionInfo(db); err != nil {
			return err
		}
		if opts.indexFlagsSet {
			want, err := opts.config(cfg.Dim)
			if err != nil {
				return err
			}
			want.Seed = cfg.Seed
			if _, err := db.CreateCollection(ctx, opts.Collection, want); err != nil {
				return err // a *ConfigMismatchError naming the field
			}
		}
	}

	sum := importSummary{Collection: opts.Collection, File: opts.File, Format: f.String(), Created: created}
	readBar := newBytesBar(opts.progress && !opts.JSON, opts.stderr, size, "importing ")
	if readBar != nil {
		in = io.TeeReader(in, readBar)
	}
	// Stream the file in batches into a staged collection (a copy of an
	// existing one) and swap it in with one commit at the end: an error,
	// Ctrl-C or a kill before that leaves the database as it was.
	var stage *query.Staged
	defer func() {
		if err != nil && stage != nil {
			_ = stage.Abort()
		}
	}()
	seen := make(map[string]struct{})
	// VECBOLT_IMPORT_TRACE=1 prints each batch's times to stderr (where
	// an import's time goes as the collection grows).
	var (
		trace   io.Writer
		batches int
	)
	if os.Getenv("VECBOLT_IMPORT_TRACE") != "" {
		trace = opts.stderr
	}
	flush := func(batch []query.Record) error {
		if len(batch) == 0 {
			return nil
		}
		if stage == nil {
			var err error
			if stage, err = db.Stage(ctx, opts.Collection, cfg, query.StageOptions{Copy: !created, Order: opts.Order}); err != nil {
				return err
			}
		}
		c := stage.Collection()
		for _, r := range batch {
			if _, dup := seen[r.Key]; dup {
				sum.Duplicates++
				continue
			}
			seen[r.Key] = struct{}{}
			if c.Has(r.Key) {
				sum.Replaced++
			}
		}
		before := c.WriteStats()
		if err := c.UpsertBatch(ctx, batch, query.BatchOptions{}); err != nil {
			return fmt.Errorf("import %s: %w (nothing imported)", displayName(opts.File), err)
		}
		if trace != nil {
			st := c.WriteStats()
			batches++
			fmt.Fprintf(trace, "batch %d records %d n %d graph %.3f s write %.3f s commit %.3f s nodes %d elapsed %.1f s\n",
				batches, len(batch), c.Len(), (st.Stage - before.Stage).Seconds(), (st.Write - before.Write).Seconds(),
				(st.Commit - before.Commit).Seconds(), st.Nodes-before.Nodes, time.Since(start).Seconds())
		}
		return nil
	}
	err = readRecords(ctx, in, f, opts, &cfg, &sum, flush)
	finishBar(readBar)
	if err != nil {
		return err
	}
	sum.Dim = cfg.Dim
	sum.Records = len(seen)
	switch {
	case stage != nil:
		t0 := time.Now()
		if err := stage.Commit(ctx); err != nil {
			return fmt.Errorf("import %s: %w (nothing imported)", displayName(opts.File), err)
		}
		if trace != nil {
			fmt.Fprintf(trace, "commit (graph written, deltas folded, swapped in) %.3f s elapsed %.1f s\n", time.Since(t0).Seconds(), time.Since(start).Seconds())
		}
	case created:
		return invalidErr(fmt.Errorf("import %s: no valid records; collection %q not created", displayName(opts.File), opts.Collection))
	}
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.RecordsPerSec = float64(sum.Records) / sum.Seconds
	}
	return printImportSummary(out, opts, &sum)
}

// readRecords reads and validates the input, handing valid records to
// flush in batches of about importBatchBytes of vectors. Without
// --skip-invalid the first bad record is an error naming its position;
// with it, bad records are counted in sum. cfg.Dim is set from the data
// when zero.
func readRecords(ctx context.Context, in io.Reader, f format.Format, opts *importOptions, cfg *query.CollectionConfig, sum *importSummary, flush func([]query.Record) error) error {
	name := opts.File
	rd, err := format.NewReader(in, f, format.ReaderOptions{Name: name, Dim: cfg.Dim})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	var (
		batch   []query.Record
		max     int   // records per batch, once the dimension is known
		n       int   // records read, valid or not
		flushed int   // records handed to flush
		last    error // the previous error, to stop on a sticky one
	)
	bad := func(err error) error {
		if !opts.SkipInvalid {
			return fmt.Errorf("import: %w (nothing imported; --skip-invalid skips such records)", err)
		}
		sum.Skipped++
		if len(sum.SkippedErrors) < maxReported {
			sum.SkippedErrors = append(sum.SkippedErrors, err.Error())
		}
		return nil
	}
	for {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r, err := rd.Read()
		if err == io.EOF {
			break
		}
		n++
		if err != nil {
			var pe *format.ParseError
			if !errors.As(err, &pe) || errors.Is(err, format.ErrTruncated) || err == last {
				return fmt.Errorf("import: %w (nothing imported)", err)
			}
			last = err
			if err := bad(err); err != nil {
				return err
			}
			continue
		}
		if cfg.Dim == 0 {
			cfg.Dim = len(r.Vector)
		}
		qr := query.Record{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata}
		if count, ok := opts.counts[r.Key]; ok {
			if qr.Metadata, err = withCount(qr.Metadata, count); err != nil {
				return fmt.Errorf("import %s: record %d (%q): %w", displayName(name), n, r.Key, err)
			}
			sum.Counts++
		}
		if verr := cfg.ValidateRecord(qr); verr != nil {
			where := fmt.Sprintf("%s: record %d", displayName(name), n)
			if line := rd.Line(); line > 0 {
				where = fmt.Sprintf("%s:%d", displayName(name), line)
			}
			if err := bad(invalidErr(fmt.Errorf("%s: %w", where, verr))); err != nil {
				return err
			}
			continue
		}
		if max == 0 {
			max = importBatchBytes / (4 * cfg.Dim)
			if max < importBatchMin {
				max = importBatchMin
			}
		}
		batch = append(batch, qr)
		if len(batch) >= batchLimit(max, flushed, cfg.Dim) {
			if err := flush(batch); err != nil {
				return err
			}
			flushed += len(batch)
			batch = nil
		}
	}
	return flush(batch)
}

// batchLimit is the number of records at which import flushes a batch:
// base (importBatchBytes' worth), or 1/importBatchGrowth of the flushed
// records so far when that is more, but no more than importBatchMaxBytes
// of vectors of dim components.
func batchLimit(base, flushed, dim int) int {
	return max(base, min(flushed/importBatchGrowth, importBatchMaxBytes/(4*dim)))
}

func printImportSummary(out io.Writer, opts *importOptions, sum *importSummary) error {
	if opts.JSON {
		return writeJSON(out, sum)
	}
	verb := "into"
	if sum.Created {
		verb = "into new collection"
	}
	fmt.Fprintf(out, "imported %s records %s %q (dim %d) from %s in %.2f s (%s records/s)",
		humanCount(int64(sum.Records)), verb, sum.Collection, sum.Dim, displayName(sum.File), sum.Seconds, humanCount(int64(sum.RecordsPerSec+0.5)))
	if sum.Replaced > 0 {
		fmt.Fprintf(out, ", %s of them replacing existing keys", humanCount(int64(sum.Replaced)))
	}
	if sum.Duplicates > 0 {
		fmt.Fprintf(out, "; %d repeated keys kept their last record", sum.Duplicates)
	}
	if sum.Counts > 0 {
		fmt.Fprintf(out, "; %s counts from the vocabulary file", humanCount(int64(sum.Counts)))
	}
	fmt.Fprintf(out, "; skipped %d\n", sum.Skipped)
	if sum.Skipped > 0 {
		fmt.Fprintf(out, "skipped %d invalid records", sum.Skipped)
		if sum.Skipped > len(sum.SkippedErrors) {
			fmt.Fprintf(out, "; the first %d", len(sum.SkippedErrors))
		}
		fmt.Fprintln(out, ":")
		for _, e := range sum.SkippedErrors {
			fmt.Fprintf(out, "  %s\n", e)
		}
	}
	return nil
}

// readCounts reads a word2vec counts file (format.ReadVocab) into a map.
// O(entries) time and memory.
func readCounts(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := format.ReadVocab(f, path)
	if err != nil {
		return nil, invalidErr(err)
	}
	counts := make(map[string]int64, len(entries))
	for _, e := range entries {
		counts[e.Word] = e.Count
	}
	return counts, nil
}

// withCount returns meta (a JSON object or nil) with "count" set to count.
func withCount(meta json.RawMessage, count int64) (json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if len(meta) > 0 {
		if err := json.Unmarshal(meta, &obj); err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
	}
	obj["count"] = json.RawMessage(strconv.FormatInt(count, 10))
	return json.Marshal(obj)
}
