package wordnet

// Ranks are 1-based positions of the right answer in a ranked list, with 0
// for an answer that is not in the list (beyond its depth).

// RecallAt returns the share of ranks in 1..k: recall@k with one relevant
// item per query. It returns 0 for no ranks. Cost: O(len(ranks)).
func RecallAt(ranks []int, k int) float64 {
	if len(ranks) == 0 {
		return 0
	}
	hit := 0
	for _, r := range ranks {
		if r >= 1 && r <= k {
			hit++
		}
	}
	return float64(hit) / float64(len(ranks))
}

// MRR returns the mean reciprocal rank, counting 0 (not found within the
// list's depth) as 0: the MRR truncated at the depth. It returns 0 for no
// ranks. Cost: O(len(ranks)).
func MRR(ranks []int) float64 {
	if len(ranks) == 0 {
		return 0
	}
	s := 0.0
	for _, r := range ranks {
		if r >= 1 {
			s += 1 / float64(r)
		}
	}
	return s / float64(len(ranks))
}
