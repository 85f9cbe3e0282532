package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type analogyOptions struct {
	*globalOptions
	Expr     string // the positional arguments joined by spaces
	K        int
	Ef       int
	Exact    bool
	Method   string
	Restrict int
	Filter   string
	Metadata bool
	JSON     bool
}

func newAnalogyCommand(g *globalOptions) *cobra.Command {
	opts := &analogyOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   `analogy "EXPR"`,
		Short: "Answer vector arithmetic such as king - man + woman",
		Long: `Answer vector arithmetic over stored keys, as gensim's most_similar does: each
term contributes its unit vector times its weight, the keys in the expression
are left out of the answers, and answers are ranked by cosine similarity.

EXPR is a sum of terms: keys, "quoted keys", [literal, vectors] and weights
such as 0.5*paris. A '-' inside a word belongs to the word, so put spaces
around subtraction. --method mul uses 3CosMul (Levy and Goldberg, 2014)
instead of 3CosAdd. --restrict N answers only from the first N records in
insertion order: the N most frequent words of a word-vector file. Quote the
expression, or put -- before it when it starts with '-'.`,
		Example: `  vecbolt --db words.db analogy "king - man + woman"
  vecbolt --db words.db analogy "paris - france + italy" -k 3 --method mul
  vecbolt --db words.db analogy "0.5*tokyo + 0.5*seoul - japan" --restrict 30000 --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Expr = strings.Join(args, " ")
			return runAnalogy(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.IntVarP(&opts.K, "k", "k", 10, "number of answers")
	fs.IntVar(&opts.Ef, "ef", 0, "HNSW search beam width (default: the collection's)")
	fs.BoolVar(&opts.Exact, "exact", false, "scan every record instead of searching the graph")
	fs.StringVar(&opts.Method, "method", "add", "add (3CosAdd) or mul (3CosMul)")
	_ = cmd.RegisterFlagCompletionFunc("method", completeValues("add", "mul"))
	fs.IntVar(&opts.Restrict, "restrict", 0, "answer only from the first N records (0: all)")
	fs.StringVar(&opts.Filter, "filter", "", "answer only from records whose metadata matches this filter (see search --help)")
	fs.BoolVar(&opts.Metadata, "metadata", false, "show each answer's metadata")
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

func runAnalogy(ctx context.Context, opts *analogyOptions, out io.Writer) (err error) {
	if opts.K <= 0 {
		return usageErr(fmt.Errorf("-k must be positive, got %d", opts.K))
	}
	if opts.Ef < 0 || opts.Restrict < 0 {
		return usageErr(fmt.Errorf("--ef and --restrict must not be negative"))
	}
	method, err := query.ParseMethod(opts.Method)
	if err != nil {
		return usageErr(err)
	}
	expr, err := query.ParseExpr(opts.Expr)
	if err != nil {
		return err
	}
	var filter query.Filter
	if opts.Filter != "" {
		if filter, err = query.ParseFilter(opts.Filter); err != nil {
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
	res, err := c.Analogy(ctx, expr, opts.K, query.AnalogyOptions{
		Method: method, Exact: opts.Exact, Ef: opts.Ef, Restrict: opts.Restrict, Filter: filter,
		WithMetadata: opts.Metadata || opts.JSON,
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(out, searchJSON{Collection: opts.Collection, Metric: string(c.Config().Metric), Query: opts.Expr, Results: resultsJSON(res)})
	}
	header := "COSINE"
	if method == query.CosMul {
		header = "3COSMUL"
	}
	return writeResults(out, res, header, opts.Metadata)
}
