package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/query"
)

type searchOptions struct {
	*globalOptions
	Key    string
	Vector string
	K      int
	Ef     int
	// Oversample is SearchOptions.Oversample (quantized collections).
	Oversample float64
	Exact      bool
	Filter     string
	Restrict   int
	Metadata   bool
	JSON       bool

	Threshold   float32 // --threshold, when thresholdSet
	Limit       int     // --limit: cap on threshold results (0: none)
	Batch       string  // --batch FILE, "-" for standard input
	BatchFormat string  // --batch-format: auto, key or vector
	Expr        string  // --expr
	WithVectors bool    // --with-vectors
	Offset      int     // --offset

	thresholdSet bool // --threshold was given
	kSet         bool // -k was given

	textSearchFlags // --text and its flags (text_search.go)
}

func newSearchCommand(g *globalOptions) *cobra.Command {
	opts := &searchOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "search (--key KEY | --vector V | --expr EXPR | --batch FILE | --text TEXT)",
		Short: "Find the nearest neighbours of a key, a vector, an expression or a text",
		Long: `Find the k records nearest to a stored key (the key itself left out) or to a
vector given as numbers separated by commas or spaces, brackets optional.

The score follows the collection's metric: cosine similarity or dot product
(higher is closer), or Euclidean distance (lower is closer). The HNSW graph
answers unless --exact asks for a scan of every record; a larger --ef trades
speed for recall. --filter keeps only records whose metadata matches, e.g.
'lang = "en" and year >= 2000 and tag in ("a", "b") and not exists(draft)';
--restrict N keeps only the first N records in insertion order.

--threshold S returns every record at least S similar (cosine, dot), or at
most S away (l2), instead of the k nearest; --limit N caps the count.

--expr searches near a vector expression such as "king - man + woman", as
'vecbolt analogy' does with 3CosAdd: the expression's keys are left out and
the score is cosine similarity whatever the metric.

--batch FILE ("-": standard input) runs one query per line on all cores and
prints the answers in input order, with the line number and the query. A line
that is a stored key is that key; otherwise it is a vector when it holds only
numbers, at least two of them or any in brackets ("[0.5]"), and else a key
(so "1990", "1,000" and "[UNK]" are keys when stored, and an unknown "1990" is
a missing key). White space around a line is ignored and blank lines are
skipped. --batch-format key or vector reads every line one way. A bad line
stops the batch before any search, and the error names it.

--text TEXT searches a collection of documents (made with 'create --embedder')
for a text. --mode vector (the default) embeds it with the collection's
embedder; keyword ranks the documents by BM25 (Lucene's, k1 = 1.2, b = 0.75)
over their words; hybrid fuses both rankings by reciprocal rank fusion
(--fusion rrf, k = 60: the score is the sum of 1/(60 + rank) over the two
rankings) or by a weighted sum of min-max normalised scores (--fusion
weighted, from 0 to 1); --weight W weighs the vector ranking W and the keyword
one 1 - W (default 0.5). Each ranking goes 4k deep (at least 50) before
fusion. --filter and --restrict apply to both rankings before fusion. There
is one result per document, scored by its best chunk, with the text of that
chunk (cut short in the table, whole with --json); --chunks lists the chunks
instead. --threshold S keeps those of the k best whose score passes S: the
similarity (at least S; at most S for an l2 distance) in vector mode, the BM25
score in keyword mode, the fused score in hybrid mode (RRF's is at most
2/61 = 0.0328 at the default weight).`,
		Example: `  vecbolt --db words.db search --key coffee -k 5
  vecbolt search --vector "0.1, -0.2, 0.3" --exact
  vecbolt --db words.db search --key paris --ef 200 --json
  vecbolt --db docs.db search --key doc42 --filter 'lang = "en" and year >= 2020' --metadata
  vecbolt --db words.db search --key coffee --threshold 0.7 --limit 100
  vecbolt --db words.db search --expr "paris - france + italy" -k 3
  printf 'coffee\ntea\n' | vecbolt --db words.db search --batch - -k 5 --json
  vecbolt --db words.db -c notes search --text "coffee at breakfast" -k 3
  vecbolt --db words.db -c notes search --text "red car" --mode hybrid --fusion weighted --weight 0.7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.thresholdSet = cmd.Flags().Changed("threshold")
			opts.kSet = cmd.Flags().Changed("k")
			if err := opts.checkTextFlags(cmd); err != nil {
				return err
			}
			return runSearch(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Key, "key", "", "search near the record stored under this key")
	fs.StringVar(&opts.Vector, "vector", "", "search near this vector")
	fs.IntVarP(&opts.K, "k", "k", 10, "number of results")
	fs.IntVar(&opts.Ef, "ef", 0, "HNSW search beam width (default: the collection's)")
	fs.Float64Var(&opts.Oversample, "oversample", 0, fmt.Sprintf("quantized collections: re-rank the best k x this many candidates by exact distance (0: the default, %g)", index.DefaultOversample))
	fs.BoolVar(&opts.Exact, "exact", false, "scan every record instead of searching the graph")
	fs.StringVar(&opts.Filter, "filter", "", "answer only from records whose metadata matches this filter")
	fs.IntVar(&opts.Restrict, "restrict", 0, "answer only from the first N records (0: all)")
	fs.BoolVar(&opts.Metadata, "metadata", false, "show each result's metadata")
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
	fs.Float32Var(&opts.Threshold, "threshold", 0, "return every record this similar (cosine, dot) or this close (l2), instead of -k")
	fs.IntVar(&opts.Limit, "limit", 0, "with --threshold: at most N results (0: no cap)")
	fs.StringVar(&opts.Expr, "expr", "", `search near a vector expression such as "king - man + woman"`)
	fs.StringVar(&opts.Batch, "batch", "", `run one query per line of this file ("-": standard input)`)
	fs.StringVar(&opts.BatchFormat, "batch-format", batchAuto, "how --batch lines read: auto, key or vector")
	fs.BoolVar(&opts.WithVectors, "with-vectors", false, "show each result's stored vector")
	fs.IntVar(&opts.Offset, "offset", 0, "skip the N closest results (paging: --offset 10 -k 10 is the second page)")
	opts.textSearchFlags.register(cmd)
	_ = cmd.RegisterFlagCompletionFunc("key", completeKeys(g))
	_ = cmd.RegisterFlagCompletionFunc("batch-format", completeValues(batchAuto, batchKey, batchVector))
	return cmd
}

// searchJSON is the --json output of search and analogy.
type searchJSON struct {
	Collection string       `json:"collection"`
	Metric     string       `json:"metric"`
	Query      string       `json:"query"`
	Results    []resultJSON `json:"results"`
}

func runSearch(ctx context.Context, opts *searchOptions, out io.Writer) (err error) {
	if err := opts.checkModes(); err != nil {
		return err
	}
	if err := opts.checkPage(); err != nil {
		return err
	}
	if opts.K <= 0 {
		return usageErr(fmt.Errorf("-k must be positive, got %d", opts.K))
	}
	if err := checkOversample(opts.Oversample); err != nil {
		return err
	}
	if opts.Ef < 0 || opts.Restrict < 0 {
		return usageErr(errors.New("--ef and --restrict must not be negative"))
	}
	var filter query.Filter
	if opts.Filter != "" {
		if filter, err = query.ParseFilter(opts.Filter); err != nil {
			return err
		}
	}
	var (
		expr    query.Expr
		queries []batchQuery
	)
	switch {
	case opts.Expr != "":
		if expr, err = query.ParseExpr(opts.Expr); err != nil {
			return err
		}
	case opts.Batch != "":
		if queries, err = opts.readBatch(); err != nil {
			return err
		}
	}
	var vec []float32
	if opts.Vector != "" {
		if vec, err = parseVector(opts.Vector); err != nil {
			return err
		}
	}
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	so := query.SearchOptions{
		Exact: opts.Exact, Ef: opts.Ef, Restrict: opts.Restrict, Filter: filter, Oversample: opts.Oversample,
		WithMetadata: opts.Metadata || opts.JSON,
		WithVectors:  opts.WithVectors, Offset: opts.Offset,
	}
	switch {
	case opts.Text != "":
		return searchTextMode(ctx, opts, db, c, so, out)
	case opts.Batch != "":
		return searchBatch(ctx, opts, c, queries, so, out)
	case opts.Expr != "":
		return searchExpr(ctx, opts, c, expr, so, out)
	case opts.thresholdSet:
		return searchWithin(ctx, opts, c, vec, so, out)
	}
	var (
		res []query.Result
		q   string
	)
	if vec != nil {
		q = formatVector(vec)
		res, err = c.Search(ctx, vec, opts.K, so)
	} else {
		q = opts.Key
		res, err = c.SearchKey(ctx, opts.Key, opts.K, so)
	}
	if err != nil {
		return err
	}
	metric := c.Config().Metric
	if opts.WithVectors || opts.Offset > 0 {
		return writePage(out, opts, res, metric, q)
	}
	if opts.JSON {
		return writeJSON(out, searchJSON{Collection: opts.Collection, Metric: string(metric), Query: q, Results: resultsJSON(res)})
	}
	return writeResults(out, res, scoreName(metric), opts.Metadata)
}

// checkOversample checks --oversample: 0 (the default) or a positive,
// finite factor. A server also refuses one beyond api.MaxOversample.
func checkOversample(x float64) error {
	if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return usageErr(fmt.Errorf("--oversample is %v, want a positive factor (0: the default)", x))
	}
	return nil
}

// checkModes checks that exactly one query source is given and that the
// flags given apply to it.
func (opts *searchOptions) checkModes() error {
	n := 0
	for _, s := range []string{opts.Key, opts.Vector, opts.Expr, opts.Batch, opts.Text} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return usageErr(errors.New("give exactly one of --key, --vector, --expr, --batch and --text"))
	}
	switch opts.BatchFormat {
	case "", batchAuto, batchKey, batchVector: // "": auto
	default:
		return usageErr(fmt.Errorf("--batch-format must be auto, key or vector, got %q", opts.BatchFormat))
	}
	if (opts.BatchFormat == batchKey || opts.BatchFormat == batchVector) && opts.Batch == "" {
		return usageErr(errors.New("--batch-format applies only to --batch"))
	}
	if opts.Limit != 0 && !opts.thresholdSet {
		return usageErr(errors.New("--limit applies only to --threshold (use -k otherwise)"))
	}
	if !opts.thresholdSet {
		return nil
	}
	if opts.Text != "" {
		return opts.checkTextThreshold()
	}
	switch {
	case opts.Batch != "" || opts.Expr != "":
		return usageErr(errors.New("--threshold works with --key, --vector or --text only"))
	case opts.kSet:
		return usageErr(errors.New("-k does not apply to --threshold; cap the results with --limit"))
	case opts.Limit < 0:
		return usageErr(fmt.Errorf("--limit must not be negative, got %d", opts.Limit))
	case math.IsNaN(float64(opts.Threshold)) || math.IsInf(float64(opts.Threshold), 0):
		return usageErr(fmt.Errorf("--threshold must be a finite number, got %v", opts.Threshold))
	}
	return nil
}
