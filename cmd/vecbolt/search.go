package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type searchOptions struct {
	*globalOptions
	Key      string
	Vector   string
	K        int
	Ef       int
	Exact    bool
	Filter   string
	Restrict int
	Metadata bool
	JSON     bool
}

func newSearchCommand(g *globalOptions) *cobra.Command {
	opts := &searchOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "search (--key KEY | --vector V)",
		Short: "Find the nearest neighbours of a key or a vector",
		Long: `Find the k records nearest to a stored key (the key itself left out) or to a
vector given as numbers separated by commas or spaces, brackets optional.

The score follows the collection's metric: cosine similarity or dot product
(higher is closer), or Euclidean distance (lower is closer). The HNSW graph
answers unless --exact asks for a scan of every record; a larger --ef trades
speed for recall. --filter keeps only records whose metadata matches, e.g.
'lang = "en" and year >= 2000 and tag in ("a", "b") and not exists(draft)';
--restrict N keeps only the first N records in insertion order.`,
		Example: `  vecbolt --db words.db search --key coffee -k 5
  vecbolt search --vector "0.1, -0.2, 0.3" --exact
  vecbolt --db words.db search --key paris --ef 200 --json
  vecbolt --db docs.db search --key doc42 --filter 'lang = "en" and year >= 2020' --metadata`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSearch(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Key, "key", "", "search near the record stored under this key")
	fs.StringVar(&opts.Vector, "vector", "", "search near this vector")
	fs.IntVarP(&opts.K, "k", "k", 10, "number of results")
	fs.IntVar(&opts.Ef, "ef", 0, "HNSW search beam width (default: the collection's)")
	fs.BoolVar(&opts.Exact, "exact", false, "scan every record instead of searching the graph")
	fs.StringVar(&opts.Filter, "filter", "", "answer only from records whose metadata matches this filter")
	fs.IntVar(&opts.Restrict, "restrict", 0, "answer only from the first N records (0: all)")
	fs.BoolVar(&opts.Metadata, "metadata", false, "show each result's metadata")
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
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
	if (opts.Key == "") == (opts.Vector == "") {
		return usageErr(errors.New("give exactly one of --key and --vector"))
	}
	if opts.K <= 0 {
		return usageErr(fmt.Errorf("-k must be positive, got %d", opts.K))
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
		Exact: opts.Exact, Ef: opts.Ef, Restrict: opts.Restrict, Filter: filter,
		WithMetadata: opts.Metadata || opts.JSON,
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
	if opts.JSON {
		return writeJSON(out, searchJSON{Collection: opts.Collection, Metric: string(metric), Query: q, Results: resultsJSON(res)})
	}
	return writeResults(out, res, scoreName(metric), opts.Metadata)
}
