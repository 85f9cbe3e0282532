package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

// evalOptions holds the flags shared by the eval subcommands.
type evalOptions struct {
	*globalOptions
	File          string
	Restrict      int
	CaseSensitive bool
	JSON          bool
}

type evalAnalogiesOptions struct {
	evalOptions
	Method     string
	Exact      bool
	Ef         int
	Candidates int
	Workers    int
}

func newEvalCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate word vectors on analogy and word-similarity test sets",
		Long: `Evaluate the vectors of a collection the way gensim's KeyedVectors does:
"eval analogies" follows evaluate_word_analogies, "eval similarity" follows
evaluate_word_pairs. Both restrict the vocabulary to the first --restrict
records in insertion order (word-vector files list the most frequent words
first) and match words case-insensitively, the first of colliding case
variants winning.`,
		Example: `  vecbolt --db words.db eval analogies questions-words.txt
  vecbolt --db words.db eval similarity wordsim353.tsv --json`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newEvalAnalogiesCommand(g), newEvalSimilarityCommand(g), newEvalTextCommand(g))
	for _, c := range cmd.Commands() {
		c.Args = usageArgs(c.Args)
	}
	return cmd
}

func (o *evalOptions) flags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.IntVar(&o.Restrict, "restrict", query.DefaultEvalRestrict, "vocabulary: the first N records in insertion order")
	fs.BoolVar(&o.CaseSensitive, "case-sensitive", false, "match words as written instead of case-insensitively")
	fs.BoolVar(&o.JSON, "json", false, "print as JSON")
}

func newEvalAnalogiesCommand(g *globalOptions) *cobra.Command {
	opts := &evalAnalogiesOptions{evalOptions: evalOptions{globalOptions: g}}
	cmd := &cobra.Command{
		Use:   "analogies FILE",
		Short: "Accuracy on an analogy test set (gensim's evaluate_word_analogies)",
		Long: `Answer every question "a b c d" (a is to b as c is to d) of an analogy test set
in word2vec's questions-words.txt format (": section" lines start sections) and
report the accuracy per section, over the semantic sections, over the
syntactic ("gram*") sections and in total, as gensim's evaluate_word_analogies
does: the answer is the best of the top 5 results of b - a + c (3CosAdd) with
the question words excluded; a question with a word outside the vocabulary is
skipped and counted. --method mul uses 3CosMul; --exact scans the vocabulary
instead of searching the HNSW graph. Questions run on all cores.`,
		Example: `  vecbolt --db words.db eval analogies questions-words.txt
  vecbolt --db words.db eval analogies questions-words.txt --method mul --exact --json
  vecbolt --db words.db eval analogies questions-words.txt --restrict 30000 --ef 128`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return runEvalAnalogies(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	opts.flags(cmd)
	fs := cmd.Flags()
	fs.StringVar(&opts.Method, "method", "add", "add (3CosAdd) or mul (3CosMul)")
	fs.BoolVar(&opts.Exact, "exact", false, "scan the vocabulary instead of searching the graph")
	fs.IntVar(&opts.Ef, "ef", 0, "HNSW search beam width (default: the collection's)")
	fs.IntVar(&opts.Candidates, "candidates", 0, "3CosAdd candidates 3CosMul re-ranks over the graph (default: max(100, 10*5))")
	fs.IntVar(&opts.Workers, "workers", 0, "questions answered at once (default: all cores)")
	return cmd
}

func newEvalSimilarityCommand(g *globalOptions) *cobra.Command {
	opts := &evalOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "similarity FILE",
		Short: "Correlation with human similarity scores (gensim's evaluate_word_pairs)",
		Long: `Correlate the cosine similarity of word pairs with human judgement, as gensim's
evaluate_word_pairs does: FILE has lines "word1<TAB>word2<TAB>score", lines
starting with '#' are comments, and pairs with a word outside the vocabulary
are skipped and counted. Prints Pearson's and Spearman's correlation and the
share of out-of-vocabulary pairs.`,
		Example: `  vecbolt --db words.db eval similarity wordsim353.tsv
  vecbolt --db words.db eval similarity simlex999.txt --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return runEvalSimilarity(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	opts.flags(cmd)
	return cmd
}

// openEvalInput opens the test set and the collection, checking the flags.
func (o *evalOptions) open(ctx context.Context) (*os.File, *query.DB, *query.Collection, error) {
	if o.Restrict <= 0 {
		return nil, nil, nil, usageErr(fmt.Errorf("--restrict must be positive, got %d", o.Restrict))
	}
	f, err := os.Open(o.File)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil, &exitError{code: exitNotFound, err: err}
		}
		return nil, nil, nil, err
	}
	db, err := o.globalOptions.open(true)
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	c, err := o.collection(ctx, db)
	if err != nil {
		f.Close()
		db.Close()
		return nil, nil, nil, err
	}
	return f, db, c, nil
}

// evalAnalogiesJSON is the --json output of eval analogies.
type evalAnalogiesJSON struct {
	Collection string `json:"collection"`
	File       string `json:"file"`
	*query.AnalogyReport
	SkippedShare float64 `json:"skipped_share"`
	Seconds      float64 `json:"seconds"`
}

func runEvalAnalogies(ctx context.Context, opts *evalAnalogiesOptions, out io.Writer) (err error) {
	method, err := query.ParseMethod(opts.Method)
	if err != nil {
		return usageErr(err)
	}
	if opts.Ef < 0 || opts.Workers < 0 || opts.Candidates < 0 {
		return usageErr(errors.New("--ef, --candidates and --workers must not be negative"))
	}
	f, db, c, err := opts.evalOptions.open(ctx)
	if err != nil {
		return err
	}
	defer f.Close()
	defer closeDB(db, &err)
	bar := newCountBar(opts.progress, opts.stderr, 0, "analogies")
	eo := query.AnalogyEvalOptions{
		Restrict: opts.Restrict, CaseSensitive: opts.CaseSensitive, Method: method,
		Exact: opts.Exact, Ef: opts.Ef, Candidates: opts.Candidates, Workers: opts.Workers,
	}
	if bar != nil {
		eo.Progress = func(done, total int) {
			bar.ChangeMax(total)
			bar.Set(done)
		}
	}
	start := time.Now()
	rep, err := c.EvaluateAnalogies(ctx, f, eo)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		if errors.Is(err, query.ErrEvalInput) {
			return invalidErr(fmt.Errorf("%s: %w", opts.File, err))
		}
		return err
	}
	elapsed := time.Since(start)
	if opts.JSON {
		return writeJSON(out, evalAnalogiesJSON{Collection: opts.Collection, File: opts.File, AnalogyReport: rep, SkippedShare: rep.SkippedShare(), Seconds: elapsed.Seconds()})
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SECTION\tCORRECT\tANSWERED\tACCURACY\t")
	row := func(s query.SectionScore) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f%%\t\n", s.Name, s.Correct, s.Total, 100*s.Accuracy())
	}
	for _, s := range rep.Sections {
		row(s)
	}
	fmt.Fprintln(tw, "\t\t\t\t")
	row(rep.Semantic)
	row(rep.Syntactic)
	row(rep.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	mode := "HNSW"
	if opts.Exact {
		mode = "exact"
	}
	_, err = fmt.Fprintf(out, "\n%d questions, %d skipped (%.1f%%) with a word outside the first %d records; 3Cos%s, %s, %.2f s\n",
		rep.Questions, rep.Skipped, 100*rep.SkippedShare(), rep.Vocabulary, map[query.Method]string{query.CosAdd: "Add", query.CosMul: "Mul"}[method], mode, elapsed.Seconds())
	return err
}

// evalSimilarityJSON is the --json output of eval similarity.
type evalSimilarityJSON struct {
	Collection string `json:"collection"`
	File       string `json:"file"`
	*query.PairsReport
	OOVShare float64 `json:"oov_share"`
}

func runEvalSimilarity(ctx context.Context, opts *evalOptions, out io.Writer) (err error) {
	f, db, c, err := opts.open(ctx)
	if err != nil {
		return err
	}
	defer f.Close()
	defer closeDB(db, &err)
	rep, err := c.EvaluateWordPairs(ctx, f, query.PairsEvalOptions{Restrict: opts.Restrict, CaseSensitive: opts.CaseSensitive})
	if err != nil {
		if errors.Is(err, query.ErrEvalInput) {
			return invalidErr(fmt.Errorf("%s: %w", opts.File, err))
		}
		return err
	}
	if opts.JSON {
		return writeJSON(out, evalSimilarityJSON{Collection: opts.Collection, File: opts.File, PairsReport: rep, OOVShare: rep.OOVShare()})
	}
	corr := func(r query.Correlation) string {
		if !r.Defined() {
			return "undefined (" + rep.Undefined + ")"
		}
		return fmt.Sprintf("%.4f", float64(r))
	}
	_, err = fmt.Fprintf(out, "Pearson   %s\nSpearman  %s\npairs     %d scored, %d with a word outside the first %d records (%.1f%%)\n",
		corr(rep.Pearson), corr(rep.Spearman), rep.Pairs, rep.OOV, rep.Vocabulary, 100*rep.OOVShare())
	if err == nil && rep.Malformed > 0 {
		_, err = fmt.Fprintf(out, "%d malformed line(s) skipped (first: line %d)\n", rep.Malformed, rep.MalformedLines[0])
	}
	return err
}
