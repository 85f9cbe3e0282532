package index

import (
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/vecbolt/vecbolt/index/quant"
	"github.com/viterin/vek/vek32"
)

// DefaultOversample is the oversampling factor SearchRescore uses when it
// is given 0 or less: the search keeps the best ceil(k·DefaultOversample)
// candidates by code distance and re-ranks them by exact distance. See the
// package documentation (Encodings) for the measurement behind it: 2
// suffices on GloVe, 3 is needed on tightly clustered synthetic data.
const DefaultOversample = 3.0

// ExactSource returns node id's exact vector as stored by the caller (raw:
// under Cosine not normalised), or nil if it is unavailable. buf holds
// Dim() components that the source may fill and return (a row read from a
// file), or it may return a view of its own memory (a mapped row) and
// leave buf alone. Each call gets its own buf, owned by the graph: a
// search re-ranking c candidates passes c distinct buffers, reused by its
// next search. It must be safe for concurrent use and should not
// allocate; the graph only reads the returned slice, and only until the
// call that asked for it returns.
type ExactSource func(id uint32, buf []float32) []float32

// SearchRescore returns the k nearest live nodes to q by exact distance,
// found on the codes: the search traverses the graph with beam
// max(ef, ceil(k·oversample)) (ef 0 means Options().Ef, oversample 0 or
// less DefaultOversample, below 1 counts as 1), keeps the best
// ceil(k·oversample) candidates by code distance, re-ranks them with the
// exact vectors from exact and returns the best k, sorted by exact
// distance, ties by id, in dst[:0] (reallocated only if cap(dst) < k).
// Exact distances: 1 - q·v/|v| under Cosine (q unit, v as stored), -q·v
// under Dot, Σ(q-v)² under L2. A candidate whose exact vector is nil (a
// node being deleted) is dropped. On a float32 graph it is SearchInto
// (the distances are exact already). Filter, k and q as SearchInto. Safe
// for concurrent use; exact is called without the graph's lock held.
// Cost: O(ef·M) code distances plus ceil(k·oversample) exact ones.
func (g *Graph) SearchRescore(dst []Neighbor, q []float32, k, ef int, filter Filter, oversample float64, exact ExactSource) []Neighbor {
	g.mu.RLock()
	enc := g.enc
	g.mu.RUnlock()
	if enc == quant.None || exact == nil {
		return g.SearchInto(dst, q, k, ef, filter)
	}
	dst = dst[:0]
	k = g.clampK(k)
	if k <= 0 || len(q) != g.dim {
		return dst
	}
	if !(oversample > 0) {
		oversample = DefaultOversample
	}
	kk := g.clampK(math.MaxInt32)
	if f := math.Ceil(float64(k) * max(oversample, 1)); f < float64(kk) {
		kk = int(f) // a huge or infinite oversample counts as MaxID()
	}
	if ef <= 0 {
		ef = g.opts.Ef
	}
	ef = max(g.clampK(ef), kk)
	g.mu.RLock()
	s := g.getSearcher()
	ok := g.searchLocked(s, q, ef, filter)
	g.mu.RUnlock()
	if ok {
		for len(s.res) > kk {
			s.res.pop()
		}
		cands := s.res.drainSorted(s.sorted[:0])
		s.sorted = cands
		cands = g.rescore(s, cands, q, exact)
		sortNeighbors(cands)
		dst = append(dst, cands[:min(k, len(cands))]...)
	}
	g.putSearcher(s)
	return dst
}

// rescore replaces the distances of cands by exact ones, in place, and
// drops candidates without an exact vector. Two passes, as the search
// loop does: first fetch every exact row (into its own slot of s.rowBuf,
// or a view of the caller's memory) and start loading it (they are cold,
// one or more cache lines each), then compute the distances, so that the
// loads overlap. s.rows is cleared after use.
func (g *Graph) rescore(s *searcher, cands []Neighbor, q []float32, exact ExactSource) []Neighbor {
	if need := len(cands) * g.dim; cap(s.rowBuf) < need {
		s.rowBuf = make([]float32, need)
	}
	rows := s.rows[:0]
	out := cands[:0]
	for i, c := range cands {
		v := exact(c.ID, s.rowBuf[i*g.dim:(i+1)*g.dim:(i+1)*g.dim])
		if len(v) != g.dim {
			continue
		}
		prefetchFloats(v)
		out = append(out, c)
		rows = append(rows, v)
	}
	for i, v := range rows {
		out[i].Dist = exactDistance(g.metric, q, v)
	}
	g.ndist.Add(uint64(len(cands)))
	clear(rows) // drop the views: the pool must not keep the caller's memory reachable
	s.rows = rows[:0]
	return out
}

// prefetchFloats starts loading every cache line v spans.
func prefetchFloats(v []float32) {
	a := uintptr(unsafe.Pointer(&v[0]))
	prefetchVec(&v[0], int((a+uintptr(4*len(v))-1)>>6-a>>6)+1)
}

// exactDistance is the metric's distance from q to a raw stored vector v:
// under Cosine v is normalised here (q is unit).
func exactDistance(m Metric, q, v []float32) float32 {
	switch m {
	case Cosine:
		n := vek32.Dot(v, v)
		if n <= 0 {
			return 1
		}
		return 1 - vek32.Dot(q, v)/float32(math.Sqrt(float64(n)))
	case Dot:
		return -vek32.Dot(q, v)
	default:
		d := vek32.Distance(q, v)
		return d * d
	}
}

// ExactWith returns the k nearest live nodes to q allowed by filter by
// brute force over the exact vectors from exact (distances as
// SearchRescore), sorted by distance, ties by id; nodes whose exact vector
// is nil are skipped. On a float32 graph with a nil exact it is Exact. q
// must have Dim() components (the result is empty otherwise). Safe for
// concurrent use; exact is called under the graph's read lock, so it must
// not call exclusive methods of g. Cost: O(n) exact distances.
func (g *Graph) ExactWith(q []float32, k int, filter Filter, exact ExactSource) []Neighbor {
	if exact == nil {
		return g.Exact(q, k, filter)
	}
	k = g.clampK(k)
	if k <= 0 || len(q) != g.dim {
		return nil
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	h := make(maxHeap, 0, k+1)
	buf := make([]float32, g.dim)
	n := g.next.Load()
	for id := uint32(0); id < n; id++ {
		if atomic.LoadUint32(&g.state[id]) != stateLive || (filter != nil && !filter(id)) {
			continue
		}
		v := exact(id, buf)
		if len(v) != g.dim {
			continue
		}
		nb := Neighbor{id, exactDistance(g.metric, q, v)}
		if len(h) < k {
			h.push(nb)
		} else if less(nb, h[0]) {
			h.pop()
			h.push(nb)
		}
	}
	g.ndist.Add(uint64(n))
	return h.drainSorted(make([]Neighbor, 0, len(h)))
}
