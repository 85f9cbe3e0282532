package wordnet_test

import (
	"math"
	"testing"

	"github.com/vecbolt/vecbolt/bench/wordnet"
)

func TestMetrics(t *testing.T) {
	// Ranks 1, 3, 0 (not found), 12, 2:
	// recall@1 = 1/5, recall@10 = 3/5 (1, 3, 2), recall@100 = 4/5;
	// MRR = (1 + 1/3 + 0 + 1/12 + 1/2)/5 = (12 + 4 + 1 + 6)/12/5 = 23/60.
	ranks := []int{1, 3, 0, 12, 2}
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"recall@1", wordnet.RecallAt(ranks, 1), 0.2},
		{"recall@10", wordnet.RecallAt(ranks, 10), 0.6},
		{"recall@100", wordnet.RecallAt(ranks, 100), 0.8},
		{"recall@2", wordnet.RecallAt(ranks, 2), 0.4},
		{"mrr", wordnet.MRR(ranks), 23.0 / 60},
		{"empty recall", wordnet.RecallAt(nil, 10), 0},
		{"empty mrr", wordnet.MRR(nil), 0},
		{"none found", wordnet.MRR([]int{0, 0}), 0},
	} {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
