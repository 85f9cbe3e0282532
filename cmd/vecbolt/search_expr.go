package main

import (
	"context"
	"io"

	"github.com/vecbolt/vecbolt/query"
)

// searchExpr answers search --expr: the k records nearest to the
// expression's 3CosAdd vector, as analogy does, scored by cosine
// similarity whatever the collection's metric, the expression's keys left
// out.
func searchExpr(ctx context.Context, opts *searchOptions, c *query.Collection, e query.Expr, so query.SearchOptions, out io.Writer) error {
	res, err := c.Analogy(ctx, e, opts.K, query.AnalogyOptions{
		Method: query.CosAdd, Exact: so.Exact, Ef: so.Ef, Restrict: so.Restrict, Filter: so.Filter,
		WithMetadata: so.WithMetadata,
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(out, searchJSON{Collection: opts.Collection, Metric: string(c.Config().Metric), Query: opts.Expr, Results: resultsJSON(res)})
	}
	return writeResults(out, res, "COSINE", opts.Metadata)
}
