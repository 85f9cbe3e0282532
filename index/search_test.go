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

func TestSearchIntoDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	vecs := clustered(60, 2000, 16, 10, true)
	g, _ := build(t, 16, index.Cosine, index.Options{Seed: 60, EfConstruction: 64}, vecs)
	dst := make([]index.Neighbor, 0, 10)
	allow := func(id uint32) bool { return id%3 == 0 }
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		dst = g.SearchInto(dst, vecs[i%len(vecs)], 10, 64, nil)
		dst = g.SearchInto(dst, vecs[(i+1)%len(vecs)], 10, 32, allow)
		i++
	})
	if allocs != 0 {
		t.Errorf("SearchInto allocates %.1f times per call", allocs/2)
	}
}
