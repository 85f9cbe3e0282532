package text

import (
	"fmt"
	"math"
	"slices"
)

// DefaultRRFK is the constant k of reciprocal rank fusion (Cormack, Clarke
// and Büttcher, SIGIR 2009), as Elasticsearch, OpenSearch and Weaviate use.
const DefaultRRFK = 60

// Scored is a document and a score in one ranked list. Lists are ordered
// best first.
type Scored[K comparable] struct {
	ID    K
	Score float64
}

// FuseOptions configures RRF and WeightedScore. The zero value means k = 60
// and weight 1 for every list.
type FuseOptions struct {
	// K is RRF's rank constant; 0 means DefaultRRFK. Must be ≥ 0 and finite.
	// WeightedScore ignores it.
	K float64
	// Weights has one weight per list (≥ 0, finite); nil means 1 each.
	Weights []float64
}

func (o FuseOptions) check(lists int) (float64, []float64, error) {
	k := o.K
	if k == 0 {
		k = DefaultRRFK
	}
	if !(k > 0) || math.IsInf(k, 0) {
		return 0, nil, &OptionError{Name: "RRF k", Value: o.K, Rule: "positive and finite"}
	}
	w := o.Weights
	if w == nil {
		w = make([]float64, lists)
		for i := range w {
			w[i] = 1
		}
	}
	if len(w) != lists {
		return 0, nil, &OptionError{Name: "number of fusion weights", Value: float64(len(w)),
			Rule: fmt.Sprintf("the number of lists (%d)", lists)}
	}
	for _, x := range w {
		if !(x >= 0) || math.IsInf(x, 0) {
			return 0, nil, &OptionError{Name: "fusion weight", Value: x, Rule: "finite and zero or more"}
		}
	}
	return k, w, nil
}

// fused accumulates scores in order of first appearance.
type fused[K comparable] struct {
	pos map[K]int
	out []Scored[K]
}

func (f *fused[K]) add(id K, s float64) {
	if i, ok := f.pos[id]; ok {
		f.out[i].Score += s
		return
	}
	f.pos[id] = len(f.out)
	f.out = append(f.out, Scored[K]{ID: id, Score: s})
}

// result sorts by fused score, best first; ties keep the order of first
// appearance (list 0 first, then list 1, ...), so results are deterministic.
func (f *fused[K]) result() []Scored[K] {
	slices.SortStableFunc(f.out, func(a, b Scored[K]) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return f.out
}

func checkDuplicates[K comparable](lists [][]Scored[K]) error {
	for li, l := range lists {
		seen := make(map[K]struct{}, len(l))
		for _, s := range l {
			if _, ok := seen[s.ID]; ok {
				return &DuplicateError{List: li, ID: fmt.Sprint(s.ID)}
			}
			seen[s.ID] = struct{}{}
		}
	}
	return nil
}

// RRF fuses ranked lists by reciprocal rank fusion: a document scores
// Σ_i w_i / (k + rank_i), summed over the lists that hold it, with rank_i
// its 1-based position in list i. Only positions matter, so lists may carry
// any kind of score (similarities, distances, BM25). The result holds every
// document of every list, best first (ties in order of first appearance).
//
// Errors: a document twice in one list (*DuplicateError), bad options
// (*OptionError). Cost: O(L log L) for L entries in all. Safe for
// concurrent use.
func RRF[K comparable](lists [][]Scored[K], opts FuseOptions) ([]Scored[K], error) {
	k, w, err := opts.check(len(lists))
	if err != nil {
		return nil, err
	}
	if err := checkDuplicates(lists); err != nil {
		return nil, err
	}
	f := fused[K]{pos: make(map[K]int)}
	for li, l := range lists {
		for r, s := range l {
			f.add(s.ID, w[li]/(k+float64(r+1)))
		}
	}
	return f.result(), nil
}

// WeightedScore fuses ranked lists by a weighted sum of min-max normalised
// scores: in each list, score s becomes (s − min)/(max − min), so the best
// document of a list gets 1 and the worst 0; a list whose scores are all
// equal gives each of its documents 1. A document absent from a list gets 0
// from it. Scores must be higher-is-better: negate distances (the
// normalisation of −d is (max d − d)/(max d − min d)). The result holds
// every document of every list, best first (ties in order of first
// appearance).
//
// Errors: a NaN or infinite score (ErrNotFinite), a document twice in one
// list (*DuplicateError), bad weights (*OptionError). Cost: O(L log L) for
// L entries in all. Safe for concurrent use.
func WeightedScore[K comparable](lists [][]Scored[K], opts FuseOptions) ([]Scored[K], error) {
	_, w, err := opts.check(len(lists))
	if err != nil {
		return nil, err
	}
	if err := checkDuplicates(lists); err != nil {
		return nil, err
	}
	f := fused[K]{pos: make(map[K]int)}
	for li, l := range lists {
		lo, hi := math.Inf(1), math.Inf(-1)
		for r, s := range l {
			if math.IsNaN(s.Score) || math.IsInf(s.Score, 0) {
				return nil, fmt.Errorf("%w: list %d position %d has score %v", ErrNotFinite, li, r+1, s.Score)
			}
			lo, hi = min(lo, s.Score), max(hi, s.Score)
		}
		for _, s := range l {
			norm := 1.0
			if hi > lo {
				norm = (s.Score - lo) / (hi - lo)
			}
			f.add(s.ID, w[li]*norm)
		}
	}
	return f.result(), nil
}
