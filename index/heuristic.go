package index

import (
	"cmp"
	"slices"
)

// selectNeighbors is the neighbour-selection heuristic of the paper
// (Algorithm 4 without extending candidates or keeping pruned ones), as in
// hnswlib's getNeighborsByHeuristic2. cands hold distances to the base node
// and must be sorted closest first. A candidate is kept only if it is closer
// to the base than to every candidate already kept, which spreads links
// over directions instead of piling them into one cluster. At most m are
// appended to dst[:0]; fewer than m candidates are kept as they are.
// Caller holds mu.
func (g *Graph) selectNeighbors(s *searcher, cands []Neighbor, m int, dst []Neighbor) []Neighbor {
	dst = dst[:0]
	if len(cands) < m {
		return append(dst, cands...)
	}
	for _, c := range cands {
		if len(dst) >= m {
			break
		}
		cv := g.vec(c.ID)
		good := true
		for _, r := range dst {
			s.ndist++
			if distance(g.metric, cv, g.vec(r.ID)) < c.Dist {
				good = false
				break
			}
		}
		if good {
			dst = append(dst, c)
		}
	}
	return dst
}

func sortNeighbors(ns []Neighbor) {
	slices.SortFunc(ns, func(a, b Neighbor) int {
		if c := cmp.Compare(a.Dist, b.Dist); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
