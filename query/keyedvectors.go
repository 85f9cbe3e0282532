package query

import (
	"context"
	"fmt"
	"slices"

	"github.com/vecbolt/vecbolt/index"
)

// This file asks the questions of gensim's KeyedVectors with the same names
// and semantics (gensim 4.2, checked against gensim itself by the parity
// suite in keyedvectors_parity_test.go). Every similarity here is the cosine
// similarity whatever the collection's metric, as in gensim; under dot and
// l2 the vectors are normalised as they are read.
//
// The methods are safe for concurrent use. A key that is not stored gives a
// *KeyError wrapping ErrKeyNotFound; an empty list gives ErrEmptyQuery.

// SimilarOptions tunes MostSimilar, MostSimilarCosmul and SimilarByVector.
// The zero value searches the HNSW graph over every record (under cosine;
// under dot and l2 the graph's order is not cosine order, so these scan
// exactly, as Analogy does).
type SimilarOptions struct {
	// Exact scans every record instead of searching the graph: the answers
	// are then gensim's exactly (the parity suite's mode).
	Exact bool
	// Ef is the graph search beam width; 0 means the collection's Ef.
	Ef int
	// Restrict, when positive, answers only from the first Restrict records
	// in insertion order: gensim's restrict_vocab.
	Restrict int
	// Filter, when not zero, answers only from records whose metadata it
	// matches (see SearchOptions.Filter); gensim has no equivalent.
	Filter Filter
}

func (o SimilarOptions) analogy(m Method) AnalogyOptions {
	return AnalogyOptions{Method: m, Exact: o.Exact, Ef: o.Ef, Restrict: o.Restrict, Filter: o.Filter}
}

// unitOf returns a unit-length copy of the vector stored under key and its
// id. The caller holds c.mu.
func (c *Collection) unitOf(key string) ([]float32, uint32, error) {
	id, ok, err := c.idOf(key)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, &KeyError{Collection: c.name, Key: key}
	}
	vector, release := c.vectors(c.g) // quant_search.go
	u := append([]float32(nil), vector(id)...)
	release()
	if c.metric != index.Cosine {
		normalize(u)
	}
	return u, id, nil
}

// units returns the unit vectors of keys, in order.
func (c *Collection) units(keys []string) ([][]float32, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([][]float32, len(keys))
	for i, k := range keys {
		u, _, err := c.unitOf(k)
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

// dot64 returns the dot product of a and b accumulated in float64.
func dot64(a, b []float32) float64 {
	var s float64
	for i, x := range a {
		s += float64(x) * float64(b[i])
	}
	return s
}

// Similarity returns the cosine similarity of the vectors stored under a
// and b: gensim's similarity(w1, w2). Cost: O(d).
func (c *Collection) Similarity(ctx context.Context, a, b string) (float32, error) {
	u, err := c.units([]string{a, b})
	if err != nil {
		return 0, err
	}
	return float32(dot64(u[0], u[1])), nil
}

// Distance returns 1 - Similarity(a, b): gensim's distance(w1, w2).
// Cost: O(d).
func (c *Collection) Distance(ctx context.Context, a, b string) (float32, error) {
	s, err := c.Similarity(ctx, a, b)
	return 1 - s, err
}

// NSimilarity returns the cosine similarity of the mean vectors of two
// sets of keys: gensim's n_similarity(ws1, ws2). As in gensim the means are
// of the vectors as stored, not of their unit vectors, so it reads the
// stored vectors from the file. Either list empty gives ErrEmptyQuery (gensim
// raises ZeroDivisionError). Cost: O((len(as)+len(bs))·d) plus one read
// per key.
func (c *Collection) NSimilarity(ctx context.Context, as, bs []string) (float32, error) {
	if len(as) == 0 || len(bs) == 0 {
		return 0, fmt.Errorf("%w: n_similarity needs two non-empty lists (got %d and %d keys)", ErrEmptyQuery, len(as), len(bs))
	}
	recs, err := c.GetMany(ctx, append(append([]string(nil), as...), bs...))
	if err != nil {
		return 0, err
	}
	mean := func(rs []Record) []float32 {
		m := make([]float64, c.cfg.Dim)
		for _, r := range rs {
			for j, x := range r.Vector {
				m[j] += float64(x)
			}
		}
		out := make([]float32, len(m))
		for j, x := range m {
			out[j] = float32(x / float64(len(rs)))
		}
		normalize(out)
		return out
	}
	return float32(dot64(mean(recs[:len(as)]), mean(recs[len(as):]))), nil
}

// Distances returns 1 - cosine similarity between key and each of others,
// in the order of others: gensim's distances(word, other_words). When
// others is empty it returns the distance to every record, in insertion
// order, as gensim does with an empty list (key itself included, at
// distance ~0). Result.Score is the distance. Cost: O(len(others)·d), or
// O(n·d) when others is empty.
func (c *Collection) Distances(ctx context.Context, key string, others []string) ([]Result, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if len(others) == 0 {
		if err := c.ensureCatalog(ctx); err != nil {
			return nil, err
		}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	u, _, err := c.unitOf(key)
	if err != nil {
		return nil, err
	}
	if len(others) > 0 {
		out := make([]Result, len(others))
		for i, o := range others {
			v, _, err := c.unitOf(o)
			if err != nil {
				return nil, err
			}
			out[i] = Result{Key: o, Score: float32(1 - dot64(u, v))}
		}
		return out, nil
	}
	var out []Result
	err = c.scanAll(ctx, func(id uint32, v []float32) {
		out = append(out, Result{Key: c.keys[id], Score: float32(1 - dot64(u, v))})
	})
	return out, err
}

// scanAll calls fn with the unit vector of every committed record in
// insertion order. v is reused between calls. The caller holds c.mu.
func (c *Collection) scanAll(ctx context.Context, fn func(id uint32, v []float32)) error {
	ids := make([]uint32, 0, len(c.ids))
	for id, k := range c.keys {
		if k != "" {
			ids = append(ids, uint32(id))
		}
	}
	slices.SortFunc(ids, func(a, b uint32) int {
		if c.seqs[a] < c.seqs[b] {
			return -1
		}
		if c.seqs[a] > c.seqs[b] {
			return 1
		}
		return 0
	})
	var unit []float32
	if c.metric != index.Cosine {
		unit = make([]float32, c.cfg.Dim)
	}
	vector, release := c.vectors(c.g) // quant_search.go
	defer release()
	for i, id := range ids {
		if i&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		v := vector(id)
		if unit != nil {
			copy(unit, v)
			normalize(unit)
			v = unit
		}
		fn(id, v)
	}
	return nil
}

// CloserThan returns every key whose vector is closer to a (by cosine
// similarity) than b's is, in insertion order, a itself left out: gensim's
// closer_than(key1, key2). The answer is exact: it scans every record.
// Cost: O(n·d).
func (c *Collection) CloserThan(ctx context.Context, a, b string) ([]string, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if err := c.ensureCatalog(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	ua, ida, err := c.unitOf(a)
	if err != nil {
		return nil, err
	}
	ub, _, err := c.unitOf(b)
	if err != nil {
		return nil, err
	}
	// Distances as gensim computes them, 1 - cos in float32, so that ties
	// fall the same way.
	limit := float32(1 - dot64(ua, ub))
	var out []string
	err = c.scanAll(ctx, func(id uint32, v []float32) {
		if id != ida && float32(1-dot64(ua, v)) < limit {
			out = append(out, c.keys[id])
		}
	})
	return out, err
}

// Rank returns 1 + the number of keys closer to a than b is: b's rank among
// a's neighbours, gensim's rank(key1, key2). It is exact. Cost: O(n·d).
func (c *Collection) Rank(ctx context.Context, a, b string) (int, error) {
	closer, err := c.CloserThan(ctx, a, b)
	if err != nil {
		return 0, err
	}
	return len(closer) + 1, nil
}

// MostSimilar returns the topn keys most similar to the mean of the
// positive keys' unit vectors minus the negative keys' unit vectors, the
// query keys left out, with their cosine similarities: gensim's
// most_similar(positive, negative, topn, restrict_vocab). Each positive key
// weighs +1 and each negative key -1, as gensim's default weights. For
// other weights or literal vectors build an Expr and call Analogy; for a
// vector alone call SimilarByVector. Both lists empty give ErrEmptyQuery.
// Cost: one graph search (O(ef·M·d)), or O(n·d) with opts.Exact.
func (c *Collection) MostSimilar(ctx context.Context, positive, negative []string, topn int, opts SimilarOptions) ([]Result, error) {
	if len(positive)+len(negative) == 0 {
		return nil, fmt.Errorf("%w: most_similar needs a positive or a negative key", ErrEmptyQuery)
	}
	return c.Analogy(ctx, termsOf(positive, negative), topn, opts.analogy(CosAdd))
}

// MostSimilarCosmul answers as MostSimilar with 3CosMul (Levy and
// Goldberg's multiplicative objective, similarities shifted to [0, 1]):
// gensim's most_similar_cosmul(positive, negative, topn, restrict_vocab).
// Score is the objective, not a similarity. At least one positive key is
// needed (gensim raises otherwise): none gives ErrEmptyQuery. Over the
// graph it re-ranks the best 3CosAdd candidates (see CosMulCandidates);
// opts.Exact scores every record, O(n·d·terms).
func (c *Collection) MostSimilarCosmul(ctx context.Context, positive, negative []string, topn int, opts SimilarOptions) ([]Result, error) {
	if len(positive) == 0 {
		return nil, fmt.Errorf("%w: most_similar_cosmul needs at least one positive key", ErrEmptyQuery)
	}
	return c.Analogy(ctx, termsOf(positive, negative), topn, opts.analogy(CosMul))
}

func termsOf(positive, negative []string) Expr {
	e := Expr{Terms: make([]Term, 0, len(positive)+len(negative))}
	for _, k := range positive {
		e.Terms = append(e.Terms, Term{Weight: 1, Key: k})
	}
	for _, k := range negative {
		e.Terms = append(e.Terms, Term{Weight: -1, Key: k})
	}
	return e
}

// SimilarByVector returns the topn keys most similar to vec by cosine
// similarity: gensim's similar_by_vector(vector, topn, restrict_vocab).
// Nothing is left out. vec must have the collection's dimension, finite
// components (a bad one gives the store's error). Cost: as MostSimilar.
func (c *Collection) SimilarByVector(ctx context.Context, vec []float32, topn int, opts SimilarOptions) ([]Result, error) {
	return c.Analogy(ctx, Expr{Terms: []Term{{Weight: 1, Vector: vec, Column: 1}}}, topn, opts.analogy(CosAdd))
}

// MostSimilarToGiven returns the key among candidates most similar to key
// (the first one on a tie): gensim's most_similar_to_given(key1,
// keys_list). An empty list gives ErrEmptyQuery. Cost:
// O(len(candidates)·d).
func (c *Collection) MostSimilarToGiven(ctx context.Context, key string, candidates []string) (string, error) {
	if len(candidates) == 0 {
		return "", fmt.Errorf("%w: most_similar_to_given needs candidates", ErrEmptyQuery)
	}
	u, err := c.units(append([]string{key}, candidates...))
	if err != nil {
		return "", err
	}
	best, bestSim := 0, float32(0)
	for i := range candidates {
		s := float32(dot64(u[0], u[i+1]))
		if i == 0 || s > bestSim {
			best, bestSim = i, s
		}
	}
	return candidates[best], nil
}

// RelativeCosineSimilarity returns Similarity(a, b) divided by the sum of
// the similarities of a's topn nearest keys (exact): gensim's
// relative_cosine_similarity(wa, wb, topn), after Leeuwenberg et al.
// (2016). Cost: O(n·d).
func (c *Collection) RelativeCosineSimilarity(ctx context.Context, a, b string, topn int) (float32, error) {
	sims, err := c.MostSimilar(ctx, []string{a}, nil, topn, SimilarOptions{Exact: true})
	if err != nil {
		return 0, err
	}
	s, err := c.Similarity(ctx, a, b)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, r := range sims {
		sum += float64(r.Score)
	}
	return float32(float64(s) / sum), nil
}
