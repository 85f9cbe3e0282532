package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/bench/wordnet"
	"github.com/vecbolt/vecbolt/query"
)

// evalTextOptions holds the flags of eval text.
type evalTextOptions struct {
	*globalOptions
	WordNet string
	Synsets int
	Queries int
	Seed    uint64
	Weights []float64
	Exact   bool
	JSON    bool
}

func newEvalTextCommand(g *globalOptions) *cobra.Command {
	opts := &evalTextOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "text --wordnet DIR",
		Short: "Reverse dictionary and gloss retrieval on WordNet 3.0 with the words embedder",
		Long: `Evaluate the offline text pipeline (tokenize, look words up in the collection
given by -c, pool by mean or SIF) on WordNet 3.0 (Debian: apt-get install
wordnet-base, then --wordnet /usr/share/wordnet).

Reverse dictionary (Hill et al., TACL 2016): --synsets synsets drawn with
--seed among those with a one-word lemma in the collection; each definition
is embedded and the collection searched for the lemma, the definition's own
words excluded from the answers and definitions that contain the lemma
skipped. Recall@1, @10, @100 and MRR (truncated at 100) for mean and SIF
pooling, without and with the first principal component removed (fitted on
the drawn definitions).

Gloss retrieval: every definition is a document, added with the product's
AddDocuments (SIF vector with the component fitted on all definitions, text
and BM25 postings) to a temporary database in the system's temp directory;
--queries synsets with an example sentence are drawn and their first example
is the query, answered by SearchText. Recall@10, MRR and mean latency for
keyword, vector and two hybrids: RRF (k = 60) and a weighted sum of min-max
normalised scores (--weight for vector, 1 - weight for keyword; several
weights, --weight 0.3,0.5,0.7, give a row each). A last line
counts the queries whose definition is in the keyword ranking, the vector
ranking, both or neither (top 100 each), which is what a fusion has to work
with.`,
		Example: `  vecbolt --db glove.db -c glove eval text --wordnet /usr/share/wordnet
  vecbolt --db glove.db -c glove eval text --wordnet /usr/share/wordnet --synsets 5000 --queries 1000 --seed 1 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEvalText(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.WordNet, "wordnet", "", "WordNet 3.0 directory holding data.noun, data.verb, data.adj, data.adv (required)")
	fs.IntVar(&opts.Synsets, "synsets", 5000, "reverse dictionary: synsets drawn")
	fs.IntVar(&opts.Queries, "queries", 1000, "gloss retrieval: example sentences drawn as queries")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of both draws")
	fs.Float64SliceVar(&opts.Weights, "weight", []float64{0.5}, "gloss retrieval: vector weight of the weighted hybrid (keyword gets 1 - weight), in (0, 1); a list gives a row each")
	fs.BoolVar(&opts.Exact, "exact", false, "scan instead of searching the HNSW graphs")
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// evalTextJSON is the --json output of eval text.
type evalTextJSON struct {
	Collection string                 `json:"collection"`
	WordNet    string                 `json:"wordnet"`
	Seed       uint64                 `json:"seed"`
	Reverse    *wordnet.ReverseReport `json:"reverse_dictionary"`
	Gloss      *wordnet.GlossReport   `json:"gloss_retrieval"`
	Seconds    float64                `json:"seconds"`
}

func runEvalText(ctx context.Context, opts *evalTextOptions, out io.Writer) (err error) {
	if opts.WordNet == "" {
		return usageErr(errors.New("--wordnet DIR is required (Debian: apt-get install wordnet-base, then --wordnet /usr/share/wordnet)"))
	}
	if opts.Synsets <= 0 || opts.Queries <= 0 {
		return usageErr(fmt.Errorf("--synsets and --queries must be positive, got %d and %d", opts.Synsets, opts.Queries))
	}
	for _, w := range opts.Weights {
		if !(w > 0 && w < 1) {
			return usageErr(fmt.Errorf("--weight must lie in (0, 1), got %g", w))
		}
	}
	start := time.Now()
	synsets, err := wordnet.ReadDir(opts.WordNet)
	if err != nil {
		if errors.Is(err, wordnet.ErrNoData) || errors.Is(err, fs.ErrNotExist) {
			return &exitError{code: exitNotFound, err: err}
		}
		if errors.Is(err, wordnet.ErrSyntax) {
			return invalidErr(err)
		}
		return err
	}
	db, err := opts.globalOptions.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	vocab, err := query.NewVocabulary(ctx, c)
	if err != nil {
		return err
	}
	rd, err := wordnet.ReverseDictionary(ctx, synsets, c, vocab, wordnet.ReverseOptions{Synsets: opts.Synsets, Seed: opts.Seed, Exact: opts.Exact})
	if err != nil {
		return err
	}
	bar := newCountBar(opts.progress, opts.stderr, 0, "gloss documents")
	gopts := wordnet.GlossOptions{Queries: opts.Queries, Seed: opts.Seed, Weights: opts.Weights, Exact: opts.Exact, Collection: opts.Collection}
	if bar != nil {
		gopts.Progress = func(done, total int) {
			bar.ChangeMax(total)
			bar.Set(done)
		}
	}
	gr, err := wordnet.GlossRetrieval(ctx, synsets, vocab, gopts)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if opts.JSON {
		return writeJSON(out, evalTextJSON{Collection: opts.Collection, WordNet: opts.WordNet, Seed: opts.Seed, Reverse: rd, Gloss: gr, Seconds: elapsed.Seconds()})
	}
	return writeEvalText(out, opts, rd, gr, elapsed)
}

func writeEvalText(out io.Writer, opts *evalTextOptions, rd *wordnet.ReverseReport, gr *wordnet.GlossReport, elapsed time.Duration) error {
	mode := "HNSW"
	if opts.Exact {
		mode = "exact"
	}
	fmt.Fprintf(out, "Reverse dictionary: %d definitions drawn (seed %d) of %d eligible among %d synsets; %d skipped holding their word; %s search, gloss words excluded\n",
		rd.Queries, opts.Seed, rd.Eligible, rd.Synsets, rd.LemmaInGloss, mode)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "POOLING\tPC REMOVED\tR@1\tR@10\tR@100\tMRR\t")
	for _, r := range rd.Rows {
		pc := "no"
		if r.PC {
			pc = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t\n", r.Pooling, pc, r.R1, r.R10, r.R100, r.MRR)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nGloss retrieval: %d definitions indexed (%d without a known word skipped); %d example queries (seed %d) of %d; %s, %s search\n",
		gr.Documents, gr.Skipped, gr.Queries, opts.Seed, gr.Eligible, gr.Embedder, mode)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MODE\tR@10\tMRR\tLATENCY\t")
	for _, r := range gr.Rows {
		mode := r.Mode
		switch mode {
		case "hybrid-rrf":
			mode = "hybrid RRF k=60"
		case "hybrid-weighted":
			mode = fmt.Sprintf("hybrid weighted v%.2g/k%.2g", r.Weight, 1-r.Weight)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%s\t\n", mode, r.R10, r.MRR, r.Latency.Round(time.Microsecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	f := gr.Found
	fmt.Fprintf(out, "Definition within the top %d: keyword and vector %d, keyword only %d, vector only %d, neither %d; in a top 10: both %d, either %d; %.1f documents in both lists on average\n",
		gr.Depth, f.Both, f.KeywordOnly, f.VectorOnly, f.Neither, f.Top10Both, f.Top10Either, f.Overlap)
	_, err := fmt.Fprintf(out, "\n%.1f s in all\n", elapsed.Seconds())
	return err
}
