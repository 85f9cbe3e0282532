package index_test

import (
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

func TestFilteredSearch(t *testing.T) {
	n, dim := 10000, 16
	if testing.Short() {
		n = 3000
	}
	if raceEnabled {
		n = 1500
	}
	vecs := clustered(20, n, dim, 30, true)
	queries := clustered(21, 50, dim, 30, true)
	g, _ := build(t, dim, index.Cosine, index.Options{Seed: 20}, vecs)
	// a multiplicative hash spreads allowed ids over the graph
	hash := func(id uint32) uint32 { return (id * 2654435761) % 1000 }
	for _, tc := range []struct {
		name      string
		perMille  uint32
		minRecall float64
	}{
		{"50%", 500, 0.95},
		{"5%", 50, 0.95},
		{"0.1%", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allow := func(id uint32) bool { return hash(id) < tc.perMille }
			allowed := 0
			for id := uint32(0); id < uint32(n); id++ {
				if allow(id) {
					allowed++
				}
			}
			const k = 10
			var sum float64
			for _, q := range queries {
				got := g.Search(q, k, 64, allow)
				want := g.Exact(q, k, allow)
				if len(got) != min(k, allowed) || len(want) != min(k, allowed) {
					t.Fatalf("%d allowed: Search returned %d, Exact %d, want %d", allowed, len(got), len(want), min(k, allowed))
				}
				for _, nb := range got {
					if !allow(nb.ID) {
						t.Fatalf("result %d not allowed by the filter", nb.ID)
					}
				}
				ids := make([]uint32, len(want))
				for i, w := range want {
					ids[i] = w.ID
				}
				sum += recall(got, ids)
			}
			r := sum / float64(len(queries))
			t.Logf("%d of %d allowed: recall@10 vs Exact = %.4f", allowed, n, r)
			if r < tc.minRecall {
				t.Errorf("recall %.4f < %.2f", r, tc.minRecall)
			}
		})
	}
}

func TestExactMatchesBruteForce(t *testing.T) {
	const n, dim = 500, 7
	for _, m := range []index.Metric{index.Cosine, index.Dot, index.L2} {
		vecs := clustered(22, n, dim, 5, m != index.L2)
		g, byID := build(t, dim, m, index.Options{Seed: 22}, vecs)
		for _, q := range clustered(23, 20, dim, 5, m != index.L2) {
			got := g.Exact(q, 10, nil)
			want := bruteForce(m, byID, q, 10, nil)
			if recall(got, want) < 1 {
				t.Fatalf("%s: Exact %v, brute force %v", m, got, want)
			}
			for i, nb := range got {
				if d := refDist(m, q, byID[nb.ID]); !near(float64(nb.Dist), d) {
					t.Fatalf("%s: result %d distance %g, reference %g", m, i, nb.Dist, d)
				}
				if i > 0 && got[i-1].Dist > nb.Dist {
					t.Fatalf("%s: results not sorted: %v", m, got)
				}
			}
		}
	}
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-4*(1+abs(b))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
