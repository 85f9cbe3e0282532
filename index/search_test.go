package index_test

import (
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

func TestRecallSynthetic(t *testing.T) {
	n, dim := 10000, 32
	if testing.Short() {
		n = 2000
	}
	if raceEnabled {
		n = 800
	}
	for _, m := range []index.Metric{index.Cosine, index.Dot, index.L2} {
		t.Run(m.String(), func(t *testing.T) {
			vecs := clustered(1, n, dim, 50, m != index.L2)
			queries := clustered(2, 100, dim, 50, m != index.L2)
			g, byID := build(t, dim, m, index.Options{Seed: 1}, vecs)
			mustCheck(t, g)
			want := truth(m, byID, queries, 10)
			for _, ef := range []int{16, 64, 200} {
				r := recallVs(g, queries, want, 10, ef)
				t.Logf("n=%d ef=%d recall@10=%.4f", n, ef, r)
				if ef == 64 && r < 0.95 {
					t.Errorf("recall@10 at ef=64 = %.4f, want >= 0.95", r)
				}
			}
		})
	}
}
