package main

import (
	"context"
	"io"

	"github.com/vecbolt/vecbolt/query"
)

// withinJSON is the --json output of search --threshold: search's, plus
// the threshold and the cap.
type withinJSON struct {
	searchJSON
	Threshold float32 `json:"threshold"`
	Limit     int     `json:"limit,omitempty"`
}

// searchWithin answers search --threshold: every record whose score passes
// opts.Threshold around vec, or around opts.Key when vec is nil, at most
// opts.Limit of them when positive.
func searchWithin(ctx context.Context, opts *searchOptions, c *query.Collection, vec []float32, so query.SearchOptions, out io.Writer) error {
	var (
		res []query.Result
		q   string
		err error
	)
	if vec != nil {
		q = formatVector(vec)
		res, err = c.SearchWithin(ctx, vec, opts.Threshold, opts.Limit, so)
	} else {
		q = opts.Key
		res, err = c.SearchKeyWithin(ctx, opts.Key, opts.Threshold, opts.Limit, so)
	}
	if err != nil {
		return err
	}
	metric := c.Config().Metric
	if opts.JSON {
		return writeJSON(out, withinJSON{
			searchJSON: searchJSON{Collection: opts.Collection, Metric: string(metric), Query: q, Results: resultsJSON(res)},
			Threshold:  opts.Threshold,
			Limit:      opts.Limit,
		})
	}
	return writeResults(out, res, scoreName(metric), opts.Metadata)
}
