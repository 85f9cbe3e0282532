package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type similarOptions struct {
	*globalOptions
	Positive []string // --positive (repeatable) and the positional keys
	Negative []string // --negative (repeatable)
	K        int
	CosMul   bool
	Restrict int
	Exact    bool
	Ef       int
	Vector   string   // --vector: similar_by_vector
	Among    []string // --among: most_similar_to_given
	JSON     bool
}

func newSimilarCommand(g *globalOptions) *cobra.Command {
	opts := &similarOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "similar [KEY...] [--positive KEY]... [--negative KEY]...",
		Short: "Find the keys most similar to positive and negative keys (gensim's most_similar)",
		Long: `Find the k keys most similar to the mean of the positive keys' unit vectors
minus the negative keys' unit vectors, by cosine similarity, the query keys
left out: gensim's KeyedVectors.most_similar(positive, negative, topn,
restrict_vocab). Positional keys are positive too. Repeat --positive and
--negative for several keys (a key may hold commas).

--cosmul ranks with gensim's most_similar_cosmul (3CosMul; needs a positive
key). --restrict N answers from the first N records only (gensim's
restrict_vocab; unlike gensim 4.2, --cosmul honours it too). --vector V asks
for the keys nearest to a vector instead (similar_by_vector). --among KEYS...
prints which of the listed keys is most similar to the one positive key
(most_similar_to_given).

The HNSW graph answers unless --exact asks for a scan of every record; exact
answers are gensim's (see the parity table in the README).`,
		Example: `  vecbolt --db words.db similar coffee
  vecbolt --db words.db similar --positive king --positive woman --negative man -k 3
  vecbolt --db words.db similar --positive paris --positive italy --negative france --cosmul
  vecbolt --db words.db similar --vector "0.1 0.2 ..." --restrict 10000 --json
  vecbolt --db words.db similar cat --among dog --among car --among tree`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Positive = append(args, opts.Positive...)
			return runSimilar(cmd.Context(), opts, cmd.OutOrStdout())
		},
		ValidArgsFunction: completeKeys(g),
	}
	fs := cmd.Flags()
	fs.StringArrayVarP(&opts.Positive, "positive", "p", nil, "a key that pulls towards the answer (repeatable)")
	fs.StringArrayVarP(&opts.Negative, "negative", "n", nil, "a key that pushes away from the answer (repeatable)")
	fs.IntVarP(&opts.K, "k", "k", 10, "number of results (gensim's topn)")
	fs.BoolVar(&opts.CosMul, "cosmul", false, "rank with 3CosMul (most_similar_cosmul)")
	fs.IntVar(&opts.Restrict, "restrict", 0, "answer only from the first N records (restrict_vocab; 0: all)")
	fs.BoolVar(&opts.Exact, "exact", false, "scan every record instead of searching the graph")
	fs.IntVar(&opts.Ef, "ef", 0, "HNSW search beam width (default: the collection's)")
	fs.StringVar(&opts.Vector, "vector", "", "keys nearest to this vector (similar_by_vector)")
	fs.StringArrayVar(&opts.Among, "among", nil, "print which of these keys is most similar (most_similar_to_given; repeatable)")
	fs.BoolVar(&opts.JSON, "json", false, "print as JSON")
	_ = cmd.RegisterFlagCompletionFunc("positive", completeKeys(g))
	_ = cmd.RegisterFlagCompletionFunc("negative", completeKeys(g))
	_ = cmd.RegisterFlagCompletionFunc("among", completeKeys(g))
	return cmd
}

// similarJSON is the --json output of similar.
type similarJSON struct {
	Collection string       `json:"collection"`
	Method     string       `json:"method"` // most_similar, most_similar_cosmul or similar_by_vector
	Positive   []string     `json:"positive"`
	Negative   []string     `json:"negative"`
	Exact      bool         `json:"exact"`
	Results    []resultJSON `json:"results"` // score: cosine similarity, or the 3CosMul objective
}

// givenJSON is the --json output of similar --among.
type givenJSON struct {
	Collection string   `json:"collection"`
	Key        string   `json:"key"`
	Among      []string `json:"among"`
	Best       string   `json:"best"`
}

func (opts *similarOptions) check() error {
	switch {
	case opts.K <= 0:
		return usageErr(fmt.Errorf("-k must be positive, got %d", opts.K))
	case opts.Restrict < 0 || opts.Ef < 0:
		return usageErr(errors.New("--restrict and --ef must not be negative"))
	case opts.Vector != "" && len(opts.Positive)+len(opts.Negative) > 0:
		return usageErr(errors.New("--vector does not mix with keys"))
	case opts.Vector != "" && opts.CosMul:
		return usageErr(errors.New("--cosmul needs keys, not --vector"))
	case len(opts.Among) > 0 && (len(opts.Positive) != 1 || len(opts.Negative) > 0 || opts.Vector != "" || opts.CosMul):
		return usageErr(errors.New("--among takes exactly one key to compare with, and no --negative, --vector or --cosmul"))
	case opts.Vector == "" && len(opts.Positive)+len(opts.Negative) == 0:
		return usageErr(errors.New("give a key, --positive, --negative or --vector"))
	case opts.CosMul && len(opts.Positive) == 0:
		return usageErr(errors.New("--cosmul needs at least one positive key"))
	}
	return nil
}

func runSimilar(ctx context.Context, opts *similarOptions, out io.Writer) (err error) {
	if err := opts.check(); err != nil {
		return err
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
	if len(opts.Among) > 0 {
		best, err := c.MostSimilarToGiven(ctx, opts.Positive[0], opts.Among)
		if err != nil {
			return err
		}
		if opts.JSON {
			return writeJSON(out, givenJSON{Collection: opts.Collection, Key: opts.Positive[0], Among: opts.Among, Best: best})
		}
		_, err = fmt.Fprintln(out, tableKey(best))
		return err
	}
	so := query.SimilarOptions{Exact: opts.Exact, Ef: opts.Ef, Restrict: opts.Restrict}
	var (
		res    []query.Result
		method = "most_similar"
		header = "COSINE"
	)
	switch {
	case vec != nil:
		method = "similar_by_vector"
		res, err = c.SimilarByVector(ctx, vec, opts.K, so)
	case opts.CosMul:
		method, header = "most_similar_cosmul", "COSMUL"
		res, err = c.MostSimilarCosmul(ctx, opts.Positive, opts.Negative, opts.K, so)
	default:
		res, err = c.MostSimilar(ctx, opts.Positive, opts.Negative, opts.K, so)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		pos, neg := opts.Positive, opts.Negative
		if pos == nil {
			pos = []string{}
		}
		if neg == nil {
			neg = []string{}
		}
		return writeJSON(out, similarJSON{Collection: opts.Collection, Method: method, Positive: pos, Negative: neg, Exact: opts.Exact, Results: resultsJSON(res)})
	}
	return writeResults(out, res, header, false)
}
