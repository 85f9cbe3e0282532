package index

import (
	"cmp"
	"slices"

	"github.com/vecbolt/vecbolt/index/quant"
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
	if g.enc == quant.INT8 && g.i8.Scheme() != quant.Symmetric {
		return g.selectPrepared(s, cands, m, dst)
	}
	for _, c := range cands {
		if len(dst) >= m {
			break
		}
		good := true
		for _, r := range dst {
			s.ndist++
			if g.nodeDist(c.ID, r.ID) < c.Dist {
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

// selectPrepared is selectNeighbors for INT8 codes with per-dimension
// scales, where a distance between two codes is a float loop
// (quant.Int8.CodeDistance): each kept neighbour is decoded and prepared
// as a query once (at most m of them), and every candidate is compared
// with the prepared ones by the integer kernel.
func (g *Graph) selectPrepared(s *searcher, cands []Neighbor, m int, dst []Neighbor) []Neighbor {
	if len(s.kept) < m {
		s.kept = append(s.kept, make([]prepared, m-len(s.kept))...)
	}
	for _, c := range cands {
		if len(dst) >= m {
			break
		}
		good := true
		for i := range dst {
			s.ndist++
			if g.pdist(&s.kept[i], c.ID) < c.Dist {
				good = false
				break
			}
		}
		if good {
			g.prepareNode(&s.kept[len(dst)], c.ID)
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
