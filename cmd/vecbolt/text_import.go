package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/format"
)

// importTextFlags are import's flags for documents (JSON Lines or CSV with
// a text field).
type importTextFlags struct {
	TextField string // --text-field
	KeyField  string // --key-field
	chunkFlags
	embedFlags
}

func (f *importTextFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.TextField, "text-field", "", "import documents: the JSON Lines field or CSV column holding each text, embedded by the collection's embedder")
	fs.StringVar(&f.KeyField, "key-field", "id", "with --text-field: the field or column holding each key ('' numbers the documents 1, 2, ...)")
	f.chunkFlags.register(cmd)
	f.embedFlags.register(cmd)
}

// textOnly are the flags that apply to --text-field only.
var textOnlyImportFlags = []string{"key-field", "chunk-tokens", "chunk-overlap", "embed-url", "embed-key-file", "embed-timeout", "embed-retries", "embed-batch"}

// checkTextImport checks the text flags against the others before
// anything is read.
func (opts *importOptions) checkTextImport(cmd *cobra.Command) error {
	if !cmd.Flags().Changed("text-field") {
		for _, name := range textOnlyImportFlags {
			if cmd.Flags().Changed(name) {
				return usageErr(fmt.Errorf("--%s applies only to --text-field", name))
			}
		}
		return nil
	}
	if opts.TextField == "" {
		return usageErr(errors.New("--text-field is empty: name the field or column holding the text"))
	}
	for _, name := range []string{"vocab", "metric", "m", "ef-construction", "ef"} {
		if cmd.Flags().Changed(name) {
			return usageErr(fmt.Errorf("--%s does not apply to --text-field (documents go into a collection made by 'vecbolt create NAME --embedder SPEC')", name))
		}
	}
	return opts.chunkFlags.check()
}

// docBatchBytes bounds the text handed to the embedder and written per
// transaction by import --text-field (at least one document): large
// enough for few commits, small enough that memory stays bounded whatever
// the file size. A variable so tests can make batches small.
var docBatchBytes = 4 << 20

// docBatchMax bounds the documents per batch.
var docBatchMax = 4096

// runImportText imports documents: it streams them in batches into a
// staged copy of the collection, embedding each batch, and swaps the copy
// in with one commit at the end, so a bad document, an embedding server
// that fails, Ctrl-C or a crash leave the collection as it was.
func runImportText(ctx context.Context, opts *importOptions, out io.Writer) (err error) {
	start := time.Now()
	f, err := resolveFormat(opts.Format, opts.File, "reading")
	if err != nil {
		return err
	}
	if f != format.JSONL && f != format.CSV {
		return usageErr(fmt.Errorf("--text-field reads JSON Lines or CSV, not %s", f))
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
		if st, err := file.Stat(); err == nil {
			if st.IsDir() {
				return usageErr(fmt.Errorf("%s is a directory", opts.File))
			}
			if st.Mode().IsRegular() {
				size = st.Size()
			}
		}
		in = file
	}
	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	if names, err := db.Collections(); err == nil && !slices.Contains(names, opts.Collection) {
		return &exitError{code: exitNotFound, err: &hintError{err: query.ErrUnknownCollection,
			msg: fmt.Sprintf("no collection %q in %s: documents go into a collection made first by 'vecbolt create %s --embedder SPEC'", opts.Collection, opts.DB, opts.Collection)}}
	}
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	te, err := newTextEmbedding(ctx, db, c, &opts.embedFlags)
	if err != nil {
		return err
	}
	readBar := newBytesBar(opts.progress && !opts.JSON, opts.stderr, size, "importing ")
	if readBar != nil {
		in = io.TeeReader(in, readBar)
	}
	rd, err := newDocReader(in, f, opts.File, docFields{Text: opts.TextField, Key: opts.KeyField})
	if err != nil {
		finishBar(readBar)
		return fmt.Errorf("import: %w (nothing imported)", err)
	}

	var stage *query.Staged
	defer func() {
		if err != nil && stage != nil {
			_ = stage.Abort()
		}
	}()
	sum := &addSummary{Collection: opts.Collection, Embedder: c.Config().Embedder}
	// A words embedder with pc=1 fits its component on the first batch
	// written to an empty collection.
	fitPending := te.spec.Params["pc"] == "1" && c.Len() == 0
	seen := make(map[string]struct{})    // keys read
	written := make(map[string]struct{}) // keys written
	duplicates := 0
	type skippedDoc struct {
		line int
		msg  string
	}
	var skipped []skippedDoc // the errors of the first maxSkipKept skipped documents
	nSkipped := 0
	skip := func(line int, err error) {
		nSkipped++
		if len(skipped) < maxSkipKept {
			skipped = append(skipped, skippedDoc{line, cleanMessage(err.Error())})
		}
	}
	var (
		batch      []textDoc
		batchBytes int
		where      = map[string]int{} // key -> position in batch
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if stage == nil {
			var err error
			if stage, err = db.Stage(ctx, opts.Collection, c.Config(), query.StageOptions{Copy: true}); err != nil {
				return err
			}
		}
		if opts.SkipInvalid {
			bad, err := te.screen(ctx, c, batch)
			if err != nil {
				return fmt.Errorf("import: %w (nothing imported)", err)
			}
			if len(bad) > 0 {
				kept := batch[:0]
				for i, d := range batch {
					if e, ok := bad[i]; ok {
						skip(d.Line, fmt.Errorf("%s:%d: document %q: %w", displayName(opts.File), d.Line, d.Key, e))
						continue
					}
					kept = append(kept, d)
				}
				batch = kept
				if len(batch) == 0 {
					clear(where)
					return nil
				}
			}
		}
		// Chunks the screen cannot see (a chunk of unknown words) are left
		// out one by one, embedding the batch again each time.
		for {
			s, err := te.add(ctx, stage.Collection(), batch, opts.chunkFlags)
			if err == nil {
				if s.Fitted {
					sum.FittedOn = len(batch)
				}
				sum.merge(s)
				break
			}
			var de *docIndexError
			if !errors.As(err, &de) || de.Index < 0 || de.Index >= len(batch) {
				return fmt.Errorf("import: %w (nothing imported)", err)
			}
			d := batch[de.Index]
			err = fmt.Errorf("%s:%d: document %q: %w", displayName(opts.File), d.Line, d.Key, de.Err)
			if !opts.SkipInvalid || !isTextInvalid(de.Err) {
				return fmt.Errorf("import: %w (nothing imported%s)", err, skipHint(opts.SkipInvalid))
			}
			// Leave the document out and embed the batch again.
			skip(d.Line, err)
			batch = append(batch[:de.Index], batch[de.Index+1:]...)
			if len(batch) == 0 {
				break
			}
		}
		for _, d := range batch {
			written[d.Key] = struct{}{}
		}
		batch, batchBytes = batch[:0], 0
		clear(where)
		return nil
	}
	for n := 0; ; n++ {
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				finishBar(readBar)
				return err
			}
		}
		d, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *format.ParseError
			if opts.SkipInvalid && errors.As(err, &pe) && !rd.Fatal() {
				skip(pe.Line, err)
				continue
			}
			finishBar(readBar)
			return fmt.Errorf("import: %w (nothing imported%s)", err, skipHint(opts.SkipInvalid && !rd.Fatal()))
		}
		if _, dup := seen[d.Key]; dup {
			duplicates++
			if i, ok := where[d.Key]; ok {
				// Both in this batch: the later one wins.
				batchBytes += len(d.Text) - len(batch[i].Text)
				batch[i] = d
				continue
			}
		}
		seen[d.Key] = struct{}{}
		where[d.Key] = len(batch)
		batch = append(batch, d)
		batchBytes += len(d.Text)
		maxDocs, maxBytes := docBatchMax, docBatchBytes
		if fitPending && stage == nil {
			// The first batch fits SIF's component: give it a sample.
			maxDocs, maxBytes = max(maxDocs, query.DefaultFitSample), 16*maxBytes
		}
		if batchBytes >= maxBytes || len(batch) >= maxDocs {
			if err := flush(); err != nil {
				finishBar(readBar)
				return err
			}
		}
	}
	err = flush()
	finishBar(readBar)
	if err != nil {
		return err
	}
	if len(written) == 0 {
		if stage != nil {
			_ = stage.Abort()
			stage = nil
		}
		return invalidErr(fmt.Errorf("import %s: no documents (%d skipped)", displayName(opts.File), nSkipped))
	}
	if err := stage.Commit(ctx); err != nil {
		return fmt.Errorf("import %s: %w (nothing imported)", displayName(opts.File), err)
	}
	sum.Documents = len(written)
	for k := range written {
		if c.Has(k) || c.Has(k+"#0") {
			sum.Replaced++
		}
	}
	cfg, n, err := db.CollectionInfo(opts.Collection)
	if err == nil {
		sum.Records = n
		sum.Embedder = cfg.Embedder
	}
	// Documents the embedder refused are found after the lines read past
	// them: list the first by line.
	slices.SortStableFunc(skipped, func(a, b skippedDoc) int { return a.line - b.line })
	sum.Skipped = nSkipped
	for _, sd := range skipped[:min(len(skipped), maxReported)] {
		sum.SkippedErrors = append(sum.SkippedErrors, sd.msg)
	}
	return printTextImport(out, opts, sum, duplicates, time.Since(start))
}

// skipHint is the end of an import error's message: --skip-invalid skips
// such documents, unless it was given.
func skipHint(given bool) string {
	if given {
		return ""
	}
	return "; --skip-invalid skips such documents"
}

// merge adds the counts of one batch.
func (s *addSummary) merge(b *addSummary) {
	s.Fitted = s.Fitted || b.Fitted
	s.Chunks += b.Chunks
	s.Words += b.Words
	s.OOV += b.OOV
	for _, w := range b.OOVWords {
		s.noteOOV(w)
	}
}

// noteOOV adds w to the unknown words shown, unless it is there or the
// list is full.
func (s *addSummary) noteOOV(w string) {
	if len(s.OOVWords) < maxOOVShown && !slices.Contains(s.OOVWords, w) {
		s.OOVWords = append(s.OOVWords, w)
	}
}

// maxSkipKept is how many skipped documents import keeps to list the
// first few by line.
const maxSkipKept = 1000

// maxOOVShown is how many unknown words a summary lists.
const maxOOVShown = 8

// textImportJSON is the --json summary of import --text-field.
type textImportJSON struct {
	addSummary
	File       string  `json:"file"`
	Format     string  `json:"format"`
	Duplicates int     `json:"duplicates"`
	Seconds    float64 `json:"seconds"`
}

func printTextImport(out io.Writer, opts *importOptions, sum *addSummary, duplicates int, elapsed time.Duration) error {
	if opts.JSON {
		f, _ := resolveFormat(opts.Format, opts.File, "reading")
		return writeJSON(out, textImportJSON{addSummary: *sum, File: opts.File, Format: f.String(), Duplicates: duplicates, Seconds: elapsed.Seconds()})
	}
	fmt.Fprintf(out, "imported %s documents into %q from %s in %.2f s", humanCount(int64(sum.Documents)), sum.Collection, displayName(opts.File), elapsed.Seconds())
	if opts.chunkFlags.Tokens > 0 {
		fmt.Fprintf(out, " as %s records (chunks)", humanCount(int64(sum.Chunks)))
	}
	if sum.Replaced > 0 {
		fmt.Fprintf(out, ", %s of them replacing existing keys", humanCount(int64(sum.Replaced)))
	}
	if duplicates > 0 {
		fmt.Fprintf(out, "; %d repeated keys kept their last document", duplicates)
	}
	if sum.Fitted {
		fmt.Fprintf(out, "; fitted SIF's principal component on the first %s documents", humanCount(int64(sum.FittedOn)))
		if sum.FittedOn < sum.Documents {
			fmt.Fprint(out, " ('vecbolt reembed' refits it on all)")
		}
	}
	writeOOV(out, sum)
	fmt.Fprintf(out, "; skipped %d\n", sum.Skipped)
	if sum.Skipped > 0 {
		fmt.Fprintf(out, "skipped %d invalid documents", sum.Skipped)
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
