package bench

import "fmt"

// QueryRecall returns |got[:k] ∩ truth[:k]| / k for one query: the share of
// the true k nearest neighbours found among the first k results.
//
// Tie handling: truth is one particular top-k, in which equal distances are
// ordered by lower base index (see GroundTruth). A system that returns a
// different member of a tie at the k-th place gets no credit for it: recall
// is about identities, as in ann-benchmarks' recall@k. Use RecallWithTies
// to credit any result as close as the k-th true neighbour. A result list
// shorter than k counts the missing places as misses; a repeated id counts
// once.
func QueryRecall(truth []int32, got []int, k int) float64 {
	if k <= 0 {
		return 0
	}
	t := truth[:min(k, len(truth))]
	g := got[:min(k, len(got))]
	hits := 0
	for i, id := range g {
		dup := false
		for _, prev := range g[:i] {
			if prev == id {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		for _, want := range t {
			if int(want) == id {
				hits++
				break
			}
		}
	}
	return float64(hits) / float64(k)
}

// Recall returns recall@k averaged over queries: results[q] holds the base
// row indices a system returned for query q, best first. truth needs at least
// k columns and exactly len(results) rows.
func Recall(truth *IntMatrix, results [][]int, k int) (float64, error) {
	if k <= 0 || k > truth.Dim {
		return 0, fmt.Errorf("%w: recall@%d against a truth of depth %d", ErrBadArgument, k, truth.Dim)
	}
	if len(results) != truth.Rows {
		return 0, fmt.Errorf("%w: %d result lists for %d truth rows", ErrShape, len(results), truth.Rows)
	}
	if len(results) == 0 {
		return 0, fmt.Errorf("%w: no queries", ErrEmpty)
	}
	var sum float64
	for q, got := range results {
		sum += QueryRecall(truth.Row(q), got, k)
	}
	return sum / float64(len(results)), nil
}

// RecallWithTies is the tie-tolerant variant used by ann-benchmarks'
// implementation: the share of the first k returned distances that are no
// larger than the k-th true distance plus eps. trueDists and gotDists use
// the Truth convention (smaller is closer) and are sorted ascending. It
// credits any member of a tie, but also trusts the distances a system
// reports; QueryRecall trusts only ids.
func RecallWithTies(trueDists, gotDists []float32, k int, eps float32) float64 {
	if k <= 0 || len(trueDists) < k {
		return 0
	}
	threshold := trueDists[k-1] + eps
	hits := 0
	for _, d := range gotDists[:min(k, len(gotDists))] {
		if d <= threshold {
			hits++
		}
	}
	return float64(hits) / float64(k)
}
