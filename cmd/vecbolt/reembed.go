package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

type reembedOptions struct {
	*globalOptions
	embedFlags
	JSON bool
}

func newReembedCommand(g *globalOptions) *cobra.Command {
	opts := &reembedOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "reembed",
		Short: "Embed every document again (refitting SIF's principal component)",
		Long: `Embed every document of the collection named by -c again with its embedder and
rewrite the vectors. For a words embedder with SIF pooling the first principal
component is fitted again first, on all the documents (a seeded sample of
10,000 when there are more; the first import fitted it on its own first
batch), and queries use the new one from then on.

The vectors are rewritten in a staged copy of the collection that replaces it
in one commit at the end: an error, an embedding server that fails, Ctrl-C or
a crash leave the collection as it was. It needs free disk space for a second
copy while it runs. Progress is drawn on a terminal.`,
		Example: `  vecbolt --db words.db -c notes reembed
  vecbolt --db words.db -c notes reembed --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReembed(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the summary as JSON")
	opts.embedFlags.register(cmd)
	return cmd
}

// reembedSummary is the outcome of reembed.
type reembedSummary struct {
	Collection string  `json:"collection"`
	Embedder   string  `json:"embedder"`
	Records    int     `json:"records"` // re-embedded: the records with a text
	Total      int     `json:"total"`   // records in the collection
	Component  bool    `json:"component_refitted"`
	OOV        int64   `json:"oov"`
	Words      int64   `json:"words"`
	Seconds    float64 `json:"seconds"`
}

func runReembed(ctx context.Context, opts *reembedOptions, out io.Writer) (err error) {
	start := time.Now()
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
	show := opts.progress && !opts.JSON
	if show {
		fmt.Fprintf(opts.stderr, "re-embedding the texts of %s records of %q with %s\n", humanCount(int64(c.Len())), opts.Collection, te.spec)
	}
	if show && te.server != nil {
		// A server's answers are the slow part: count them first.
		ebar := newCountBar(true, opts.stderr, c.Len(), "embedding    ")
		te.server = &progressEmbedder{Embedder: te.server, batch: opts.BatchSize, done: func(n int) { _ = ebar.Set(n) }}
		defer finishBar(ebar)
	}
	// The bar of the graph updates starts with them.
	var bar *progressbar.ProgressBar
	var progress func(int)
	if show {
		var once sync.Once
		var set func(int)
		progress = func(n int) {
			once.Do(func() {
				bar = newCountBar(true, opts.stderr, c.Len(), "re-embedding ")
				set = barProgress(bar)
			})
			set(n)
		}
	}
	sum, err := te.reembed(ctx, c, progress)
	finishBar(bar)
	if err != nil {
		return fmt.Errorf("reembed %q: %w (nothing changed)", opts.Collection, err)
	}
	sum.Seconds = time.Since(start).Seconds()
	if opts.JSON {
		return writeJSON(out, sum)
	}
	fmt.Fprintf(out, "re-embedded %s of %s records of %q with %s in %.2f s",
		humanCount(int64(sum.Records)), humanCount(int64(sum.Total)), sum.Collection, sum.Embedder, sum.Seconds)
	if sum.Component {
		fmt.Fprint(out, "; principal component refitted")
	}
	writeOOV(out, &addSummary{OOV: sum.OOV, Words: sum.Words})
	fmt.Fprintln(out)
	return nil
}
