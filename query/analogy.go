package query

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/store"
)

// Method selects how an analogy combines its terms.
type Method int

const (
	// CosAdd is 3CosAdd, gensim's most_similar: the weighted mean of the
	// terms' unit vectors, normalised, ranked by cosine similarity.
	CosAdd Method = iota
	// CosMul is 3CosMul (Levy and Goldberg, 2014), gensim's
	// most_similar_cosmul: the product over positive terms of (1+cos)/2
	// divided by the product over negative terms of (1+cos)/2 plus 1e-6.
	CosMul
)

// String returns "add" or "mul".
func (m Method) String() string {
	if m == CosMul {
		return "mul"
	}
	return "add"
}

// ParseMethod parses "add" / "3cosadd" or "mul" / "3cosmul".
func ParseMethod(s string) (Method, error) {
	switch s {
	case "add", "3cosadd", "cosadd", "":
		return CosAdd, nil
	case "mul", "3cosmul", "cosmul":
		return CosMul, nil
	}
	return 0, fmt.Errorf("query: unknown analogy method %q (want add or mul)", s)
}

// CosMulCandidates is how many 3CosAdd neighbours an approximate 3CosMul
// query re-ranks, at least: max(CosMulCandidates, 10*k) unless
// AnalogyOptions.Candidates says otherwise. The 3CosMul winner is almost
// always among the 3CosAdd leaders, because both reward similarity to the
// positive terms. The cost is one graph search with ef >= the candidate
// count plus len(terms) dot products per candidate.
//
// Measured on the GloVe 50k sample with questions-words.txt (17,592
// questions answered, k = 5, so 100 candidates): exact 3CosMul scores
// 61.85% and costs 177 s of CPU; over the graph it scores 61.91% in 3.7 s
// (3CosAdd over the graph: 2.4 s). With 10, 25, 50, 100 and 200 candidates
// the accuracy is 62.09%, 61.94%, 61.93%, 61.91% and 61.87%: every size is
// within 0.25 points of exact (fewer candidates keep 3CosMul nearer the
// 3CosAdd answer, which here helps a little).
const CosMulCandidates = 100

// AnalogyOptions tunes Analogy. The zero value is 3CosAdd over the graph.
type AnalogyOptions struct {
	Method Method
	// Exact scans every record instead of searching the graph.
	Exact bool
	// Ef is the graph search beam width; 0 means the collection's Ef.
	Ef int
	// Restrict, when positive, answers only from the first Restrict records
	// in insertion order (word-vector files list the most frequent first).
	Restrict int
	// WithMetadata fills Result.Metadata.
	WithMetadata bool
	// Filter, when not zero, answers only from records whose metadata it
	// matches, planned as for Search (see SearchOptions.Filter).
	Filter Filter
	// Candidates is how many 3CosAdd neighbours an approximate 3CosMul
	// query re-ranks; 0 means max(CosMulCandidates, 10*k). Values below k
	// count as k.
	Candidates int
}

// Analogy answers vector arithmetic such as "king - man + woman" with
// gensim's semantics: each key term contributes its unit vector times its
// weight, the terms' keys are excluded from the answers, and results are
// ranked by cosine similarity (Score is that similarity for 3CosAdd and the
// 3CosMul objective for CosMul), whatever the collection's metric. As in
// gensim, a literal [vector] term is used as given, not normalised, and
// 3CosMul uses only the sign of a weight (most_similar_cosmul has no
// weights). A term with a zero vector, or terms that cancel out ("king -
// king", "0*king"), give an error wrapping ErrZeroVector; records with a
// zero vector (possible under dot and l2) are never answers. Under cosine the graph answers; under dot and l2 the graph's
// order is not cosine order, so the scan is exact. k (and
// opts.Candidates, opts.Ef) beyond the collection's size count as its size.
// Cost: O(ef·M) distance computations over the graph, O(n) when exact.
func (c *Collection) Analogy(ctx context.Context, e Expr, k int, opts AnalogyOptions) ([]Result, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if k <= 0 {
		return nil, fmt.Errorf("%w (got %d)", ErrInvalidK, k)
	}
	if len(e.Terms) == 0 {
		return nil, ErrEmptyQuery
	}
	if err := opts.Filter.Err(); err != nil {
		return nil, err
	}
	if err := c.ensureCatalog(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	g := c.g
	k = clampK(g, k)
	vector, release := c.vectors(g) // quant_search.go: exact vectors of an encoded graph
	defer release()
	// Unit vectors of the terms.
	units := make([][]float32, len(e.Terms))
	var exclude []uint32
	for i, t := range e.Terms {
		var v []float32
		if t.Vector != nil {
			if err := store.ValidateVector(c.cfg.storeConfig(), t.Vector); err != nil {
				return nil, fmt.Errorf("query: term at column %d: %w", t.Column, err)
			}
			v = append([]float32(nil), t.Vector...)
		} else {
			id, ok := c.ids[t.Key]
			if !ok {
				return nil, &KeyError{Collection: c.name, Key: t.Key}
			}
			exclude = append(exclude, id)
			v = append([]float32(nil), vector(id)...)
			normalize(v)
		}
		if isZero(v) { // only possible under dot and l2
			return nil, &zeroQueryError{fmt.Sprintf("query: term %s at column %d has a zero vector, which has no direction", termName(t), t.Column)}
		}
		units[i] = v
	}
	// The weighted sum, in float64 so that large weights cannot overflow
	// before the normalisation.
	sum := make([]float64, c.cfg.Dim)
	for i, t := range e.Terms {
		for j, x := range units[i] {
			sum[j] += t.Weight * float64(x)
		}
	}
	var sq, big float64
	for _, x := range sum {
		big = max(big, math.Abs(x))
	}
	for _, x := range sum {
		if big > 0 {
			sq += (x / big) * (x / big)
		}
	}
	if math.IsInf(big, 0) || math.IsNaN(big) {
		return nil, fmt.Errorf("query: the expression's weighted sum overflows: %w", ErrInvalidVector)
	}
	if big == 0 {
		return nil, &zeroQueryError{"query: the expression's terms cancel out to a zero vector, which has no direction"}
	}
	mean := make([]float32, c.cfg.Dim)
	for j, x := range sum {
		mean[j] = float32(x / big / math.Sqrt(sq))
	}
	ef := opts.Ef
	if ef == 0 {
		ef = c.cfg.Ef
	}
	cand := max(CosMulCandidates, 10*k) // k <= MaxID < 2^32: no overflow
	if opts.Candidates > 0 {
		cand = max(opts.Candidates, k)
	}
	cand, ef = clampK(g, cand), clampK(g, ef)
	if opts.Method == CosMul {
		ef = max(ef, cand)
	}
	filter, scan := c.plan(exclude, opts.Restrict, opts.Filter, opts.Exact || c.metric != index.Cosine, max(k, ef))

	var res []Result
	switch {
	case opts.Method == CosMul:
		res = c.cosMul(g, e, units, mean, k, cand, ef, filter, scan)
	case c.metric == index.Cosine && !scan:
		ns, err := c.searchGraph(g, mean, k, ef, filter, false, 0)
		if err != nil {
			return nil, err
		}
		res = c.results(ns)
	case c.metric == index.Cosine:
		ns, err := c.searchGraph(g, mean, k, ef, filter, true, 0)
		if err != nil {
			return nil, err
		}
		res = c.results(ns)
	default:
		res = c.scanCosine(g, k, filter, func(u []float32) float32 { return index.DotProduct(u, mean) })
	}
	if opts.WithMetadata {
		if err := c.fillMetadata(res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// results maps graph neighbours to results with the metric's score.
// The caller holds c.mu.
func (c *Collection) results(ns []index.Neighbor) []Result {
	out := make([]Result, len(ns))
	for i, n := range ns {
		out[i] = Result{Key: c.keys[n.ID], Score: c.score(n.Dist)}
	}
	return out
}

// cosMul ranks by the 3CosMul objective: exactly over every allowed record
// when scan is set, or over the cand best 3CosAdd candidates from a graph
// search with beam width ef >= cand. The caller holds c.mu.
func (c *Collection) cosMul(g *index.Graph, e Expr, units [][]float32, mean []float32, k, cand, ef int, filter index.Filter, scan bool) []Result {
	obj := func(u []float32) float32 {
		num, den := 1.0, 1.0
		for i := range e.Terms {
			s := (1 + float64(index.DotProduct(u, units[i]))) / 2
			if e.Terms[i].Weight >= 0 {
				num *= s
			} else {
				den *= s
			}
		}
		return float32(num / (den + 1e-6))
	}
	if scan || c.metric != index.Cosine {
		return c.scanCosine(g, k, filter, obj)
	}
	ns, _ := c.searchGraph(g, mean, cand, ef, filter, false, 0)
	vector, release := c.vectors(g)
	defer release()
	res := make([]Result, 0, len(ns))
	for _, n := range ns {
		if v := vector(n.ID); v != nil {
			res = append(res, Result{Key: c.keys[n.ID], Score: obj(v)})
		}
	}
	sortResults(res)
	if len(res) > k {
		res = res[:k]
	}
	return res
}

// scanCosine scores every allowed live record's unit vector with score
// (higher is better) and returns the k best. The caller holds c.mu.
func (c *Collection) scanCosine(g *index.Graph, k int, filter index.Filter, score func(u []float32) float32) []Result {
	var top []Result
	floor := float32(math.Inf(-1)) // the k-th best score once top was trimmed
	var unit []float32
	if c.metric != index.Cosine {
		unit = make([]float32, c.cfg.Dim)
	}
	vector, release := c.vectors(g)
	defer release()
	for id := uint32(0); id < g.MaxID(); id++ {
		if (filter != nil && !filter(id)) || !g.Live(id) {
			continue
		}
		v := vector(id)
		if v == nil {
			continue
		}
		if unit != nil {
			if !unitInto(unit, v) {
				continue // no direction: never an answer to a cosine question
			}
			v = unit
		}
		sc := score(v)
		if sc < floor {
			continue
		}
		top = append(top, Result{Key: c.keys[id], Score: sc})
		if len(top) >= 4*k+64 {
			sortResults(top)
			top = top[:k]
			floor = top[k-1].Score
		}
	}
	sortResults(top)
	if len(top) > k {
		top = top[:k]
	}
	return top
}

// zeroQueryError is a cosine question about a zero vector, in one sentence.
// It wraps ErrZeroVector.
type zeroQueryError struct{ msg string }

func (e *zeroQueryError) Error() string { return e.msg }
func (e *zeroQueryError) Unwrap() error { return ErrZeroVector }

// isZero reports whether v is the zero vector (or so close to it that its
// squared length underflows float64).
func isZero(v []float32) bool {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s == 0
}

// unitInto sets dst to src scaled to unit length, as normalize does, and
// reports false (leaving dst unspecified) when src is the zero vector.
func unitInto(dst, src []float32) bool {
	var s float64
	for _, x := range src {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return false
	}
	inv := 1 / math.Sqrt(s)
	for i, x := range src {
		dst[i] = float32(float64(x) * inv)
	}
	return true
}

// termName quotes a term's key, or says "[vector]" for a literal.
func termName(t Term) string {
	if t.Vector != nil {
		return "[vector]"
	}
	return fmt.Sprintf("%q", t.Key)
}

// sortResults orders by descending score, then key, so ties are stable.
func sortResults(rs []Result) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Score != rs[j].Score {
			return rs[i].Score > rs[j].Score
		}
		return rs[i].Key < rs[j].Key
	})
}

// restrictCutoff returns the insertion sequence below which the first n
// records lie, or MaxUint64 when n covers everything. The caller holds c.mu.
func (c *Collection) restrictCutoff(n int) uint64 {
	if n <= 0 || n >= c.count() {
		return math.MaxUint64
	}
	c.cutMu.Lock()
	defer c.cutMu.Unlock()
	if c.cutGen == c.gen && c.cutN == n {
		return c.cut
	}
	seqs := make([]uint64, 0, len(c.ids))
	for id, k := range c.keys {
		if k != "" {
			seqs = append(seqs, c.seqs[id])
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	c.cut, c.cutN, c.cutGen = seqs[n], n, c.gen
	return c.cut
}

// filter combines visibility, exclusions and a first-n restriction.
// The caller holds c.mu.
func (c *Collection) filter(exclude []uint32, restrict int) index.Filter {
	vis := c.visible(exclude)
	cut := c.restrictCutoff(restrict)
	if cut == math.MaxUint64 {
		return vis
	}
	seqs, keys := c.seqs, c.keys
	return func(id uint32) bool {
		if int(id) >= len(keys) || keys[id] == "" || seqs[id] >= cut {
			return false
		}
		return vis == nil || vis(id)
	}
}

// RankByCentrality ranks keys by the cosine similarity of their unit
// vectors to the normalised mean of those unit vectors, most central first
// (gensim's rank_by_centrality); ties are broken by key, descending, as
// gensim's sort of (similarity, key) pairs does. Every key must exist: an
// unknown one gives a *KeyError (gensim would skip it with a warning), and a
// key whose vector is zero (possible under dot and l2) an error wrapping
// ErrZeroVector. A key given twice counts twice in the mean and appears
// twice. Cost: O(len(keys)·dim).
func (c *Collection) RankByCentrality(ctx context.Context, keys []string) ([]Result, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if len(keys) == 0 {
		return nil, ErrEmptyQuery
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	units := make([][]float32, len(keys))
	c.mu.RLock()
	vector, release := c.vectors(c.g)
	defer release()
	for i, k := range keys {
		id, ok, err := c.idOf(k)
		if err != nil || !ok {
			c.mu.RUnlock()
			if err != nil {
				return nil, err
			}
			return nil, &KeyError{Collection: c.name, Key: k}
		}
		units[i] = append([]float32(nil), vector(id)...)
		if isZero(units[i]) { // only possible under dot and l2
			c.mu.RUnlock()
			return nil, &zeroQueryError{fmt.Sprintf("query: key %q has a zero vector, which has no direction to compare", k)}
		}
	}
	c.mu.RUnlock()
	mean := make([]float32, c.cfg.Dim)
	for _, u := range units {
		normalize(u)
		for j, x := range u {
			mean[j] += x
		}
	}
	normalize(mean)
	out := make([]Result, len(keys))
	for i, u := range units {
		out[i] = Result{Key: keys[i], Score: index.DotProduct(u, mean)}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Key > out[j].Key
	})
	return out, nil
}

// DoesntMatch returns the key that does not go with the others (gensim's
// doesnt_match): the last of RankByCentrality, the key least similar to the
// mean of the group's unit vectors.
func (c *Collection) DoesntMatch(ctx context.Context, keys []string) (string, error) {
	r, err := c.RankByCentrality(ctx, keys)
	if err != nil {
		return "", err
	}
	return r[len(r)-1].Key, nil
}
