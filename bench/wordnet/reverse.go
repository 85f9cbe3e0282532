package wordnet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
)

// ReverseOptions configures ReverseDictionary. The zero value means 5,000
// synsets, seed 0, a depth of 100, the HNSW graph, gloss words excluded.
type ReverseOptions struct {
	// Synsets is how many eligible synsets are drawn; 0 means 5,000. Fewer
	// eligible synsets than this evaluates them all.
	Synsets int
	// Seed seeds the draw (PCG).
	Seed uint64
	// Depth is how many words are retrieved per query; recall@k needs
	// k ≤ Depth and MRR is truncated at it. 0 means 100.
	Depth int
	// Exact scans the collection instead of searching the HNSW graph.
	Exact bool
	// KeepGlossWords lets the definition's own words be answers. By default
	// they are excluded from the candidates (the nearest word to a mean of
	// words is usually one of them, which a dictionary lookup would not
	// return).
	KeepGlossWords bool
}

// ReverseRow is the score of one pooling.
type ReverseRow struct {
	Pooling string  `json:"pooling"` // "mean" or "sif"
	PC      bool    `json:"pc_removed"`
	R1      float64 `json:"recall_at_1"`
	R10     float64 `json:"recall_at_10"`
	R100    float64 `json:"recall_at_100"`
	MRR     float64 `json:"mrr"`
	ranks   []int
}

// ReverseReport is the result of ReverseDictionary.
type ReverseReport struct {
	Synsets  int `json:"synsets"`  // synsets read
	Eligible int `json:"eligible"` // synsets with a target word and an embeddable definition
	// LemmaInGloss counts synsets skipped because their definition holds
	// the target word itself.
	LemmaInGloss int          `json:"lemma_in_gloss"`
	Queries      int          `json:"queries"` // synsets drawn and evaluated
	Depth        int          `json:"depth"`
	OOVWords     int          `json:"oov_words"`   // definition words not in the vocabulary (per drawn query, counted once)
	GlossWords   int          `json:"gloss_words"` // definition words of the drawn queries
	Rows         []ReverseRow `json:"rows"`
	Targets      []string     `json:"-"` // target word of each query, in draw order
}

// reverseQuery is one drawn synset.
type reverseQuery struct {
	target  string
	def     string
	exclude map[string]bool
}

// Target returns the word the reverse dictionary looks for: the first
// lemma of s, in file order, that is one word (no underscore) and whose
// lower-case form is in v; ok is false when there is none.
func Target(s Synset, v embed.Vocabulary) (string, bool) {
	for _, l := range s.Lemmas {
		w := strings.ToLower(l)
		if strings.Contains(w, "_") {
			continue
		}
		if _, _, ok := v.Lookup(w); ok {
			return w, true
		}
	}
	return "", false
}

// ReverseDictionary runs the reverse-dictionary evaluation of Hill et al.
// (TACL 2016) with vecbolt's words embedder: for each drawn synset it
// embeds the definition (the gloss without its examples), searches c (the
// word collection behind v) for the nearest words, and records the rank of
// the synset's target word (see Target). A synset is eligible when it has
// a target, its definition has a word in v, and the definition does not
// contain the target itself (those are counted in LemmaInGloss). The
// eligible synsets are shuffled with the seed and the first opts.Synsets
// taken.
//
// It scores four poolings on the same queries: mean and SIF (a = 1e-3,
// p(w) by Zipf's law from the word's rank in v), each without and with the
// first principal component removed; the component is fitted on the
// pooled definitions of the drawn synsets, as Arora et al. fit it on the
// sentences being embedded.
//
// Errors: a bad option or no eligible synset (ErrOption, ErrNoSynsets),
// ctx's error, an error of the embedder or of the search.
// Cost: O(S·g) to screen S synsets of g words, then 4·Q searches of depth
// Depth plus the definition's words (O(ef·M·d) each on the graph, O(n·d)
// with Exact) and two component fits, O(Q·d²).
func ReverseDictionary(ctx context.Context, synsets []Synset, c *query.Collection, v embed.Vocabulary, opts ReverseOptions) (*ReverseReport, error) {
	if opts.Synsets < 0 || opts.Depth < 0 {
		return nil, fmt.Errorf("%w: synsets %d and depth %d must not be negative", ErrOption, opts.Synsets, opts.Depth)
	}
	if opts.Synsets == 0 {
		opts.Synsets = 5000
	}
	if opts.Depth == 0 {
		opts.Depth = 100
	}
	rep := &ReverseReport{Synsets: len(synsets), Depth: opts.Depth}
	var qs []reverseQuery
	for _, s := range synsets {
		target, ok := Target(s, v)
		if !ok {
			continue
		}
		toks, err := text.Tokenize(s.Definition)
		if err != nil || len(toks) == 0 {
			continue
		}
		words := map[string]bool{}
		known := false
		for _, t := range toks {
			words[t.Text] = true
			if _, _, ok := v.Lookup(t.Text); ok {
				known = true
			}
		}
		if !known {
			continue
		}
		if words[target] {
			rep.LemmaInGloss++
			continue
		}
		qs = append(qs, reverseQuery{target: target, def: s.Definition, exclude: words})
	}
	rep.Eligible = len(qs)
	if len(qs) == 0 {
		return nil, fmt.Errorf("%w: none of %d synsets has a one-word lemma in the vocabulary and a definition with a known word", ErrNoSynsets, len(synsets))
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	r.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	qs = qs[:min(opts.Synsets, len(qs))]
	rep.Queries = len(qs)
	defs := make([]string, len(qs))
	for i, q := range qs {
		defs[i] = q.def
		rep.Targets = append(rep.Targets, q.target)
	}
	for _, pool := range []embed.Pooling{embed.Mean, embed.SIF} {
		e, err := embed.NewWords(v, embed.WordsOptions{Collection: c.Name(), Pool: pool})
		if err != nil {
			return nil, err
		}
		es, err := e.Pool(ctx, defs)
		if err != nil {
			return nil, err
		}
		if pool == embed.Mean {
			for _, x := range es {
				rep.OOVWords += len(x.OOV)
				rep.GlossWords += x.Words
			}
		}
		vecs := make([][]float32, len(es))
		for i, x := range es {
			vecs[i] = x.Vector
		}
		comp, err := text.FitComponent(vecs)
		if err != nil {
			return nil, err
		}
		name := map[embed.Pooling]string{embed.Mean: "mean", embed.SIF: "sif"}[pool]
		for _, pc := range []bool{false, true} {
			row := ReverseRow{Pooling: name, PC: pc, ranks: make([]int, len(qs))}
			for i, q := range qs {
				vec := append([]float32(nil), vecs[i]...)
				if pc {
					if err := comp.Remove(vec); err != nil {
						return nil, err
					}
				}
				rank, err := rankOf(ctx, c, vec, q, opts)
				if err != nil {
					return nil, fmt.Errorf("wordnet: reverse dictionary, %s pooling, query %q: %w", name, q.target, err)
				}
				row.ranks[i] = rank
			}
			row.R1, row.R10, row.R100 = RecallAt(row.ranks, 1), RecallAt(row.ranks, 10), RecallAt(row.ranks, 100)
			row.MRR = MRR(row.ranks)
			rep.Rows = append(rep.Rows, row)
		}
	}
	return rep, nil
}

// Ranks returns the rank of each query's target for row i of the report
// (0: beyond the depth), in the order of Targets.
func (r *ReverseReport) Ranks(i int) []int { return r.Rows[i].ranks }

// rankOf searches c for vec and returns the 1-based rank of q.target among
// the results that are not excluded, or 0 beyond opts.Depth.
func rankOf(ctx context.Context, c *query.Collection, vec []float32, q reverseQuery, opts ReverseOptions) (int, error) {
	k := opts.Depth
	if !opts.KeepGlossWords {
		k += len(q.exclude)
	}
	res, err := c.Search(ctx, vec, k, query.SearchOptions{Exact: opts.Exact})
	if errors.Is(err, query.ErrZeroVector) {
		return 0, nil // a definition whose only direction was the component
	}
	if err != nil {
		return 0, err
	}
	rank := 0
	for _, x := range res {
		if !opts.KeepGlossWords && q.exclude[x.Key] {
			continue
		}
		rank++
		if rank > opts.Depth {
			return 0, nil
		}
		if x.Key == q.target {
			return rank, nil
		}
	}
	return 0, nil
}
