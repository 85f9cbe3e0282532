package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

// Search modes and fusions of search --text.
const (
	modeVector  = "vector"
	modeKeyword = "keyword"
	modeHybrid  = "hybrid"

	fusionRRF      = "rrf"
	fusionWeighted = "weighted"
)

// textSearchFlags are search's flags for a text query.
type textSearchFlags struct {
	Text   string  // --text
	Mode   string  // --mode
	Fusion string  // --fusion
	Weight float64 // --weight: the vector ranking's share in a weighted fusion
	Chunks bool    // --chunks
	embedFlags

	weightSet bool
	fusionSet bool
}

func (f *textSearchFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.Text, "text", "", "search near this text, embedded by the collection's embedder")
	fs.StringVar(&f.Mode, "mode", modeVector, "with --text: vector, keyword (BM25) or hybrid (both, fused)")
	fs.StringVar(&f.Fusion, "fusion", fusionRRF, "with --mode hybrid: rrf (reciprocal rank fusion, k = 60) or weighted (normalised scores)")
	fs.Float64Var(&f.Weight, "weight", 0.5, "with --mode hybrid: the vector ranking's weight W, above 0 up to 1; keyword gets 1-W (rrf: reciprocal ranks weighted 2W and 2(1-W))")
	fs.BoolVar(&f.Chunks, "chunks", false, "with --text: list matching chunks rather than one result per document")
	f.embedFlags.register(cmd)
	_ = cmd.RegisterFlagCompletionFunc("mode", completeValues(modeVector, modeKeyword, modeHybrid))
	_ = cmd.RegisterFlagCompletionFunc("fusion", completeValues(fusionRRF, fusionWeighted))
}

// checkText checks the text flags of search: they apply to --text only,
// and take their documented values. It runs before the database is
// opened.
func (opts *searchOptions) checkTextFlags(cmd *cobra.Command) error {
	f := &opts.textSearchFlags
	f.weightSet = cmd.Flags().Changed("weight")
	f.fusionSet = cmd.Flags().Changed("fusion")
	if !cmd.Flags().Changed("text") {
		for _, name := range []string{"mode", "fusion", "weight", "chunks", "embed-url", "embed-key-file", "embed-timeout", "embed-retries", "embed-batch"} {
			if cmd.Flags().Changed(name) {
				return usageErr(fmt.Errorf("--%s applies only to --text", name))
			}
		}
		return nil
	}
	if err := checkText(f.Text); err != nil {
		return invalidErr(fmt.Errorf("--text: %w", err))
	}
	switch f.Mode {
	case modeVector, modeKeyword, modeHybrid:
	default:
		return usageErr(fmt.Errorf("--mode must be vector, keyword or hybrid, got %q", f.Mode))
	}
	switch f.Fusion {
	case fusionRRF, fusionWeighted:
	default:
		return usageErr(fmt.Errorf("--fusion must be rrf or weighted, got %q", f.Fusion))
	}
	switch {
	case f.fusionSet && f.Mode != modeHybrid:
		return usageErr(fmt.Errorf("--fusion applies only to --mode hybrid, not %s", f.Mode))
	case f.weightSet && f.Mode != modeHybrid:
		return usageErr(fmt.Errorf("--weight applies only to --mode hybrid, not %s", f.Mode))
	case math.IsNaN(f.Weight) || f.Weight <= 0 || f.Weight > 1:
		return usageErr(fmt.Errorf("--weight must be more than 0 and at most 1, got %v (for keyword alone use --mode keyword)", f.Weight))
	case opts.WithVectors:
		return usageErr(errors.New("--with-vectors does not apply to --text"))
	case opts.Exact && f.Mode == modeKeyword:
		return usageErr(errors.New("--exact applies to the vector ranking; --mode keyword has none"))
	case opts.Ef != 0 && f.Mode == modeKeyword:
		return usageErr(errors.New("--ef applies to the vector ranking; --mode keyword has none"))
	}
	return nil
}

// textResultJSON is one result of search --text --json, with its whole
// text (the best chunk's, for a chunked document).
type textResultJSON struct {
	Rank         int             `json:"rank"`
	Key          string          `json:"key"`
	Score        float64         `json:"score"`
	Chunk        string          `json:"chunk,omitempty"` // the best chunk's record key, when not Key
	VectorScore  *float64        `json:"vector_score,omitempty"`
	VectorRank   int             `json:"vector_rank,omitempty"`
	KeywordScore *float64        `json:"keyword_score,omitempty"`
	KeywordRank  int             `json:"keyword_rank,omitempty"`
	Text         string          `json:"text"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
}

// textSearchJSON is the --json output of search --text.
type textSearchJSON struct {
	Collection string           `json:"collection"`
	Embedder   string           `json:"embedder"`
	Mode       string           `json:"mode"`
	Fusion     string           `json:"fusion,omitempty"`
	Query      string           `json:"query"`
	Results    []textResultJSON `json:"results"`
}

// textHit is one result of a text search as the CLI shows it.
type textHit struct {
	Key      string // the document's key (the chunk's with --chunks)
	Score    float64
	Text     string // the best chunk's text
	Metadata json.RawMessage
	Chunk    string // the best chunk's record key

	VectorScore, KeywordScore float64
	VectorRank, KeywordRank   int
}

// tableTextWidth is how many characters of a text the table shows.
const tableTextWidth = 60

// snippet returns s on one line, runs of white space and control
// characters collapsed to one space, cut to at most width runes with "…"
// when cut. Cost: O(len(s)).
func snippet(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	one := strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(one) <= width {
		return one
	}
	rs := []rune(one)[:width-1]
	return strings.TrimRight(string(rs), " ") + "…"
}

// writeTextResults prints text hits as a table: rank, key, score and the
// start of the text on one line (the best chunk's).
func writeTextResults(w io.Writer, hits []textHit, scoreHeader string, withMeta bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "RANK\tKEY\t" + scoreHeader + "\tTEXT"
	if withMeta {
		header += "\tMETADATA"
	}
	fmt.Fprintln(tw, header)
	for i, h := range hits {
		line := fmt.Sprintf("%d\t%s\t%.4f\t%s", i+1, tableKey(h.Key), h.Score, snippet(h.Text, tableTextWidth))
		if withMeta {
			line += "\t" + string(h.Metadata)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// textScoreName names the score column of a text search.
func textScoreName(mode, fusion string, metric query.Metric) string {
	switch mode {
	case modeKeyword:
		return "BM25"
	case modeHybrid:
		if fusion == fusionWeighted {
			return "FUSED"
		}
		return "RRF"
	}
	return scoreName(metric)
}

// searchTextMode answers search --text.
func searchTextMode(ctx context.Context, opts *searchOptions, db *query.DB, c *query.Collection, so query.SearchOptions, out io.Writer) error {
	f := &opts.textSearchFlags
	te, err := newTextEmbedding(ctx, db, c, &f.embedFlags)
	if err != nil {
		return err
	}
	hits, err := te.search(ctx, c, opts, so, opts.stderr)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(out, textSearchOutput(opts.Collection, c.Config().Embedder, f.Mode, f.Fusion, f.Text, hits))
	}
	return writeTextResults(out, hits, textScoreName(f.Mode, f.Fusion, c.Config().Metric), opts.Metadata)
}

// checkTextThreshold checks --threshold with --text: it keeps the results
// of the k best whose score passes it (the score of the mode: similarity
// or distance, BM25, or the fused score), so -k applies and --limit does
// not.
func (opts *searchOptions) checkTextThreshold() error {
	switch {
	case opts.Limit != 0:
		return usageErr(errors.New("--limit does not apply to --text; -k caps the results"))
	case math.IsNaN(float64(opts.Threshold)) || math.IsInf(float64(opts.Threshold), 0):
		return usageErr(fmt.Errorf("--threshold must be a finite number, got %v", opts.Threshold))
	}
	return nil
}

// textSearchOutput is the --json output of search --text for hits, on the
// file and over --server alike: each ranking's score and rank in hybrid
// mode, the best chunk's key where it is not the document's.
func textSearchOutput(collection, embedder, mode, fusion, q string, hits []textHit) textSearchJSON {
	res := make([]textResultJSON, len(hits))
	for i, h := range hits {
		res[i] = textResultJSON{Rank: i + 1, Key: h.Key, Score: h.Score, Text: h.Text, Metadata: h.Metadata}
		if h.Chunk != h.Key {
			res[i].Chunk = h.Chunk
		}
		if mode == modeHybrid {
			res[i].VectorRank, res[i].KeywordRank = h.VectorRank, h.KeywordRank
			if h.VectorRank > 0 {
				res[i].VectorScore = &h.VectorScore
			}
			if h.KeywordRank > 0 {
				res[i].KeywordScore = &h.KeywordScore
			}
		}
	}
	if mode != modeHybrid {
		fusion = ""
	}
	return textSearchJSON{Collection: collection, Embedder: embedder, Mode: mode, Fusion: fusion, Query: q, Results: res}
}
