package index_test

import (
	"math"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// TestHugeK: k and ef beyond the graph's size are clamped, so math.MaxInt
// neither panics (makeslice) nor asks for terabytes, and the answer is every
// live node in brute-force order.
func TestHugeK(t *testing.T) {
	const n, dim = 60, 8
	vecs := clustered(70, n, dim, 4, true)
	for _, m := range []index.Metric{index.Cosine, index.Dot, index.L2} {
		g, byID := build(t, dim, m, index.Options{Seed: 70}, vecs)
		if err := g.Delete(3, 17); err != nil {
			t.Fatal(err)
		}
		delete(byID, 3)
		delete(byID, 17)
		q := vecs[5]
		want := bruteForce(m, byID, q, len(byID), nil)
		empty, err := index.New(dim, m, index.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{math.MaxInt, math.MaxInt - 1, 1e11, 1 << 32, n + 1} {
			for _, ef := range []int{0, math.MaxInt, 1e11} {
				calls := map[string][]index.Neighbor{
					"Search":     g.Search(q, k, ef, nil),
					"SearchInto": g.SearchInto(nil, q, k, ef, nil),
					"Exact":      g.Exact(q, k, nil),
				}
				for name, got := range calls {
					if len(got) != len(want) {
						t.Errorf("%v %s k=%d ef=%d: %d results, want %d", m, name, k, ef, len(got), len(want))
						continue
					}
					if name == "Exact" && cap(got) > 2*len(want) {
						t.Errorf("%v Exact k=%d: result capacity %d for %d results", m, k, cap(got), len(got))
					}
					for i := range want {
						if got[i].ID != want[i] && math.Abs(float64(got[i].Dist)-refDist(m, q, byID[want[i]])) > 1e-4 {
							t.Errorf("%v %s k=%d: result %d is %d, want %d", m, name, k, i, got[i].ID, want[i])
							break
						}
					}
				}
				if r := empty.Search(q, k, ef, nil); len(r) != 0 {
					t.Errorf("%v empty graph Search k=%d: %d results", m, k, len(r))
				}
				if r := empty.Exact(q, k, nil); len(r) != 0 {
					t.Errorf("%v empty graph Exact k=%d: %d results", m, k, len(r))
				}
			}
		}
	}
}
