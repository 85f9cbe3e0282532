package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/text"
)

type addOptions struct {
	*globalOptions
	embedFlags
	chunkFlags
	Key      string // positional
	Text     string // --text
	TextFile string // --text-file, "-" for standard input
	Metadata string // --metadata
	JSON     bool

	textSet bool // --text was given (an empty one is an error, not a missing flag)
}

func newAddCommand(g *globalOptions) *cobra.Command {
	opts := &addOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "add KEY (--text TEXT | --text-file FILE) [--metadata JSON]",
		Short: "Add one document: its text, embedded by the collection's embedder",
		Long: `Add a document to the collection named by -c, which must have been created with
--embedder: the text is embedded the way the collection embeds every document
and query, and stored with the record, so search --text returns it. Writing an
existing KEY replaces its document.

--chunk-tokens N splits the text into chunks of N tokens (--chunk-overlap M
shared with the previous chunk), one vector each; the document is stored once
and search merges its chunks. Unchunked, a text may have 8,192 words; a text
longer than 16 MiB is refused. Replacing a chunked document (or any document
with --chunk-tokens) goes through a staged copy of the collection, so a
failure keeps the old one; that costs a copy of the collection.

Words the words embedder does not know are counted and listed, never
dropped silently; a text with no known word at all is refused. For server
embedders, --embed-url and --embed-key-file (or OLLAMA_HOST, OPENAI_BASE_URL,
OPENAI_API_KEY) say where the server is.`,
		Example: `  vecbolt --db words.db create notes --embedder words:glove
  vecbolt --db words.db -c notes add n1 --text "The cat sat on the mat" --metadata '{"lang": "en"}'
  printf "Coffee and tea at breakfast" | vecbolt --db words.db -c notes add n2 --text-file -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			opts.textSet = cmd.Flags().Changed("text")
			return runAdd(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Text, "text", "", "the document's text")
	fs.StringVar(&opts.TextFile, "text-file", "", `read the text from this file ("-": standard input)`)
	fs.StringVar(&opts.Metadata, "metadata", "", "metadata: a JSON object")
	fs.BoolVar(&opts.JSON, "json", false, "print the summary as JSON")
	opts.embedFlags.register(cmd)
	opts.chunkFlags.register(cmd)
	cmd.MarkFlagsOneRequired("text", "text-file")
	cmd.MarkFlagsMutuallyExclusive("text", "text-file")
	return cmd
}

// readTextArg returns the text of --text or --text-file, checked by
// checkText (not blank, UTF-8, at most text.MaxTextBytes).
func readTextArg(in io.Reader, textFlag string, textSet bool, file string) (string, error) {
	s := textFlag
	where := "--text"
	if file != "" {
		where = "--text-file " + displayName(file)
		r := in
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return "", err
			}
			defer f.Close()
			if st, err := f.Stat(); err == nil && st.IsDir() {
				return "", usageErr(fmt.Errorf("%s is a directory", where))
			}
			r = f
		}
		b, err := io.ReadAll(io.LimitReader(r, text.MaxTextBytes+1))
		if err != nil {
			return "", fmt.Errorf("%s: %w", where, err)
		}
		s = string(b)
	} else if !textSet {
		return "", usageErr(errors.New("give --text or --text-file"))
	}
	if err := checkText(s); err != nil {
		return "", invalidErr(fmt.Errorf("%s: %w", where, err))
	}
	return s, nil
}

// parseMetadataFlag checks --metadata: a JSON object, or "" for none.
func parseMetadataFlag(s string) (json.RawMessage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil || obj == nil {
		return nil, invalidErr(fmt.Errorf("--metadata must be a JSON object: %w", orNotObject(err)))
	}
	return json.RawMessage(s), nil
}

// addSummary is the outcome of add and of import --text-field.
type addSummary struct {
	Collection string   `json:"collection"`
	Embedder   string   `json:"embedder"`
	Documents  int      `json:"documents"`
	Replaced   int      `json:"replaced"`
	Chunks     int      `json:"chunks"`
	Words      int64    `json:"words"`
	OOV        int64    `json:"oov"`
	OOVWords   []string `json:"oov_words,omitempty"` // the first few, for the message
	Records    int      `json:"records"`             // in the collection afterwards
	Fitted     bool     `json:"fitted_component,omitempty"`
	FittedOn   int      `json:"fitted_on,omitempty"` // documents of the batch it was fitted on (import)
	// Skipped counts the documents import --skip-invalid left out;
	// SkippedErrors says why for the first few.
	Skipped       int      `json:"skipped,omitempty"`
	SkippedErrors []string `json:"skipped_errors,omitempty"`
}

func runAdd(ctx context.Context, opts *addOptions, out io.Writer) (err error) {
	if err := opts.chunkFlags.check(); err != nil {
		return err
	}
	if opts.Key == "" {
		return invalidErr(errors.New("the key is empty"))
	}
	txt, err := readTextArg(opts.stdin, opts.Text, opts.textSet, opts.TextFile)
	if err != nil {
		return err
	}
	meta, err := parseMetadataFlag(opts.Metadata)
	if err != nil {
		return err
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
	te, err := newTextEmbedding(ctx, db, c, &opts.embedFlags)
	if err != nil {
		return err
	}
	docs := []textDoc{{Key: opts.Key, Text: txt, Metadata: meta}}
	replaced := c.Has(opts.Key) || c.Has(opts.Key+"#0")
	// Replacing a chunked document deletes its chunks first: both go to a
	// staged copy, so that a failure leaves the old document in place.
	target := c
	var stage *query.Staged
	if len(replacedDocuments(c, docs, opts.chunkFlags)) > 0 {
		if stage, err = db.Stage(ctx, opts.Collection, c.Config(), query.StageOptions{Copy: true}); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				_ = stage.Abort()
			}
		}()
		target = stage.Collection()
	}
	sum, err := te.add(ctx, target, docs, opts.chunkFlags)
	if err != nil {
		var de *docIndexError
		if errors.As(err, &de) {
			err = de.Err
		}
		return err
	}
	if stage != nil {
		if err := stage.Commit(ctx); err != nil {
			return err
		}
	}
	if replaced {
		sum.Replaced = 1
	}
	sum.Collection, sum.Embedder = opts.Collection, c.Config().Embedder
	if _, sum.Records, err = db.CollectionInfo(opts.Collection); err != nil {
		return err
	}
	return printAdd(out, opts.Key, sum, opts.JSON)
}

// printAdd prints the outcome of add for key: sum as JSON, or one line
// (added or replaced, its chunks, the records, the fit, unknown words).
func printAdd(out io.Writer, key string, sum *addSummary, asJSON bool) error {
	if asJSON {
		return writeJSON(out, sum)
	}
	verb := "added"
	if sum.Replaced > 0 {
		verb = "replaced"
	}
	fmt.Fprintf(out, "%s %q in %q", verb, key, sum.Collection)
	if sum.Chunks > 1 {
		fmt.Fprintf(out, " as %d chunks", sum.Chunks)
	}
	fmt.Fprintf(out, " (%s records)", humanCount(int64(sum.Records)))
	if sum.Fitted {
		fmt.Fprint(out, "; fitted SIF's principal component")
	}
	writeOOV(out, sum)
	fmt.Fprintln(out)
	return nil
}

// writeOOV appends the out-of-vocabulary report of a words embedder, if
// any word was unknown.
func writeOOV(out io.Writer, sum *addSummary) {
	if sum.OOV == 0 {
		return
	}
	fmt.Fprintf(out, "; %s of %s words not in the vocabulary", humanCount(sum.OOV), humanCount(sum.Words))
	if len(sum.OOVWords) > 0 {
		fmt.Fprintf(out, " (%s", strings.Join(sum.OOVWords, ", "))
		if sum.OOV > int64(len(sum.OOVWords)) {
			fmt.Fprint(out, ", ...")
		}
		fmt.Fprint(out, ")")
	}
}
