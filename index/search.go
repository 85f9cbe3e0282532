package index

import (
	"math"
	"sync/atomic"
	"unsafe"
)

// Filter reports whether a node may appear in search results. A nil Filter
// allows every node. Filters are called under the graph's read lock, from
// the searching goroutine: they must not call Update, Delete or Reserve on
// the same graph.
type Filter func(id uint32) bool

// Search returns the k nearest live nodes to q found by HNSW search with
// beam width max(k, ef), where ef 0 means Options().Ef. Results are sorted
// by distance, ties by id; the caller owns the slice. With a filter, only
// allowed nodes are returned, and the level-0 search keeps going until it
// holds ef allowed nodes or the graph is exhausted, so a selective filter
// still yields min(k, allowed live nodes) results (it may then visit the
// whole graph). q must have Dim() components (the result is empty
// otherwise) and, under Cosine, unit length. k and ef larger than MaxID()
// count as MaxID(), so any int is safe (math.MaxInt allocates nothing
// extra). Safe for concurrent use. Cost: O(ef·M) distance computations.
func (g *Graph) Search(q []float32, k, ef int, filter Filter) []Neighbor {
	k = g.clampK(k)
	if k <= 0 {
		return nil
	}
	return g.SearchInto(make([]Neighbor, 0, k), q, k, ef, filter)
}

// clampK returns k limited to MaxID(), the most results any query can
// have, so that a huge k never sizes an allocation.
func (g *Graph) clampK(k int) int {
	if n := int(g.next.Load()); k > n {
		return n
	}
	return k
}

// SearchInto is Search writing into dst[:0]: it returns dst[:n] with the n
// results, reallocating only if cap(dst) < n. With cap(dst) >= k it does not
// allocate. On an encoded graph (SetEncoding) the distances are from q to
// the codes (see SearchRescore for exact ones), and a query the INT8
// parameters refuse (a NaN, infinite or beyond-MaxComponent component)
// returns no results.
func (g *Graph) SearchInto(dst []Neighbor, q []float32, k, ef int, filter Filter) []Neighbor {
	dst = dst[:0]
	k = g.clampK(k)
	if k <= 0 || len(q) != g.dim {
		return dst
	}
	if ef <= 0 {
		ef = g.opts.Ef
	}
	ef = max(g.clampK(ef), k)
	g.mu.RLock()
	s := g.getSearcher()
	if g.searchLocked(s, q, ef, filter) {
		for len(s.res) > k {
			s.res.pop()
		}
		dst = s.res.drainSorted(dst)
	}
	g.mu.RUnlock()
	g.putSearcher(s)
	return dst
}

// searchLocked runs the search for q with beam ef and leaves up to ef
// results in s.res. It returns false when there is nothing to search (an
// empty graph, a query the encoding refuses). Caller holds mu.
func (g *Graph) searchLocked(s *searcher, q []float32, ef int, filter Filter) bool {
	e := g.entry.Load()
	if e == noEntry || !g.prepareVec(&s.qry, q) {
		return false
	}
	p := &s.qry
	ep, top := unpackEntry(e)
	cur, curDist := ep, g.pdist(p, ep)
	s.ndist++
	for l := top; l > 0; l-- {
		cur, curDist = g.greedy(s, p, cur, curDist, l)
	}
	g.searchLayer(s, p, cur, curDist, ef, 0, filter)
	return true
}

// greedy walks level from cur to the closest node to q it can reach by
// always moving to a closer neighbour (the upper-level search of the paper
// with ef = 1). Caller holds mu.
func (g *Graph) greedy(s *searcher, q *prepared, cur uint32, curDist float32, level int) (uint32, float32) {
	for changed := true; changed; {
		changed = false
		blk := g.block(cur, level)
		n := int(atomic.LoadUint32(&blk[0]))
		for i := 1; i <= n; i++ {
			nb := atomic.LoadUint32(&blk[i])
			d := g.pdist(q, nb)
			s.ndist++
			if d < curDist {
				cur, curDist, changed = nb, d, true
			}
		}
	}
	return cur, curDist
}

// searchLayer is the beam search of the paper (Algorithm 2) on one level,
// from entry point ep, with beam width ef, for the prepared query q. It
// leaves up to ef nodes allowed by filter in s.res. Like hnswlib's
// searchBaseLayerST, with a filter it stops only once s.res holds ef
// allowed nodes. Caller holds mu.
func (g *Graph) searchLayer(s *searcher, q *prepared, ep uint32, epDist float32, ef, level int, filter Filter) {
	s.visited.reset(g.capacity)
	s.cand = s.cand[:0]
	s.res = s.res[:0]
	s.visited.visit(ep)
	lower := float32(math.Inf(1))
	if filter == nil || filter(ep) {
		s.res.push(Neighbor{ep, epDist})
		lower = epDist
	}
	s.cand.push(Neighbor{ep, epDist})
	var ndist uint64
	for len(s.cand) > 0 {
		c := s.cand[0]
		if c.Dist > lower && len(s.res) >= ef {
			break
		}
		s.cand.pop()
		blk := g.block(c.ID, level)
		n := int(atomic.LoadUint32(&blk[0]))
		// Two passes, as hnswlib does with _mm_prefetch: first gather the
		// unvisited neighbours and start loading their vectors (or codes),
		// then compute the distances. The loads overlap instead of each
		// distance waiting for its own cache misses (1.5x on GloVe 100d).
		batch := s.batch[:0]
		for i := 1; i <= n; i++ {
			nb := atomic.LoadUint32(&blk[i])
			if s.visited.visit(nb) {
				continue
			}
			batch = append(batch, nb)
			g.prefetchRow(nb)
		}
		s.batch = batch
		dists := g.batchDist(s, q, batch)
		ndist += uint64(len(batch))
		for i, nb := range batch {
			d := dists[i]
			if len(s.res) < ef || d < lower {
				s.cand.push(Neighbor{nb, d})
				if filter == nil || filter(nb) {
					s.res.push(Neighbor{nb, d})
					if len(s.res) > ef {
						s.res.pop()
					}
					lower = s.res[0].Dist
				}
			}
		}
		// The next node to expand is most likely the closest candidate:
		// start loading its link list now, as hnswlib prefetches
		// candidate_set.top()'s, so that the next round does not begin
		// with a cache miss on a list it could have known about.
		if len(s.cand) > 0 {
			g.prefetchLinks(s.cand[0].ID, level)
		}
	}
	s.ndist += ndist
}

// prefetchLinks starts loading node id's link list on level into the
// cache (every line it spans). Caller holds mu; levels[id] >= level.
func (g *Graph) prefetchLinks(id uint32, level int) {
	blk := g.block(id, level)
	a := uintptr(unsafe.Pointer(&blk[0]))
	prefetchVec((*float32)(unsafe.Pointer(&blk[0])), int((a+uintptr(4*len(blk))-1)>>6-a>>6)+1)
}

// Exact returns the k nearest live nodes to q allowed by filter, by brute
// force over every live node with the same kernels as Search. Results are
// sorted by distance, ties by id; the caller owns the slice. On an encoded
// graph the distances are those of Search, from q to the codes, so the
// result is the exact top k of the approximate distance, not of the exact
// vectors (ExactWith re-ranks with them). q must have Dim() components
// (the result is empty otherwise); k larger than MaxID() counts as
// MaxID(). Safe for concurrent use. Cost: O(n) distance computations.
func (g *Graph) Exact(q []float32, k int, filter Filter) []Neighbor {
	k = g.clampK(k)
	if k <= 0 || len(q) != g.dim {
		return nil
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	s := g.getSearcher()
	defer g.putSearcher(s)
	if !g.prepareVec(&s.qry, q) {
		return nil
	}
	h := make(maxHeap, 0, k+1)
	n := g.next.Load()
	for id := uint32(0); id < n; id++ {
		if atomic.LoadUint32(&g.state[id]) != stateLive {
			continue
		}
		if filter != nil && !filter(id) {
			continue
		}
		d := g.pdist(&s.qry, id)
		if len(h) < k {
			h.push(Neighbor{id, d})
		} else if less(Neighbor{id, d}, h[0]) {
			h.pop()
			h.push(Neighbor{id, d})
		}
	}
	g.ndist.Add(uint64(n))
	return h.drainSorted(make([]Neighbor, 0, len(h)))
}
