package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/vecbolt/vecbolt/query"
)

// checkPage checks --offset and --with-vectors, which apply to a search by
// --key or --vector.
func (opts *searchOptions) checkPage() error {
	if opts.Offset < 0 {
		return usageErr(fmt.Errorf("--offset must not be negative, got %d", opts.Offset))
	}
	if (opts.Offset > 0 || opts.WithVectors) && (opts.Expr != "" || opts.Batch != "" || opts.thresholdSet) {
		return usageErr(errors.New("--offset and --with-vectors work with --key or --vector only"))
	}
	return nil
}

// pageResultJSON is one result of a search with --offset or
// --with-vectors: rank counts from the first result of the whole answer.
type pageResultJSON struct {
	resultJSON
	Vector []float32 `json:"vector,omitempty"`
}

// pageJSON is the --json output of a search with --offset or
// --with-vectors.
type pageJSON struct {
	Collection string           `json:"collection"`
	Metric     string           `json:"metric"`
	Query      string           `json:"query"`
	Offset     int              `json:"offset"`
	Results    []pageResultJSON `json:"results"`
}

// writePage prints a page of search results: ranks start at offset+1, and
// with --with-vectors each result's stored vector follows.
func writePage(out io.Writer, opts *searchOptions, res []query.Result, metric query.Metric, q string) error {
	if opts.JSON {
		rs := make([]pageResultJSON, len(res))
		for i, r := range res {
			rs[i] = pageResultJSON{resultJSON: resultJSON{Rank: opts.Offset + i + 1, Key: r.Key, Score: r.Score, Metadata: r.Metadata}, Vector: r.Vector}
		}
		return writeJSON(out, pageJSON{Collection: opts.Collection, Metric: string(metric), Query: q, Offset: opts.Offset, Results: rs})
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := "RANK\tKEY\t" + scoreName(metric)
	if opts.Metadata {
		header += "\tMETADATA"
	}
	if opts.WithVectors {
		header += "\tVECTOR"
	}
	fmt.Fprintln(tw, header)
	for i, r := range res {
		line := fmt.Sprintf("%d\t%s\t%.4f", opts.Offset+i+1, tableKey(r.Key), r.Score)
		if opts.Metadata {
			line += "\t" + string(r.Metadata)
		}
		if opts.WithVectors {
			line += "\t" + formatVector(r.Vector)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
