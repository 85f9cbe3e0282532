package index

import "sync"

// visitedSet marks node ids seen during one search. Each slot holds the
// generation that last visited it; starting a new search bumps the
// generation instead of clearing the array, so reset is O(1) except once
// every 65535 searches.
type visitedSet struct {
	tags []uint16
	gen  uint16
}

// reset prepares the set for a search over ids < n.
func (v *visitedSet) reset(n int) {
	if len(v.tags) < n {
		v.tags = make([]uint16, growCap(len(v.tags), n))
		v.gen = 0
	}
	v.gen++
	if v.gen == 0 {
		clear(v.tags)
		v.gen = 1
	}
}

// visit marks id and reports whether it was already marked.
func (v *visitedSet) visit(id uint32) bool {
	if v.tags[id] == v.gen {
		return true
	}
	v.tags[id] = v.gen
	return false
}

// growCap returns a capacity >= need, at least doubling have.
func growCap(have, need int) int {
	c := 2 * have
	if c < need {
		c = need
	}
	return c
}

// searcher holds the scratch state of one search or insertion. Searchers
// are pooled per graph; one is used by one goroutine at a time.
type searcher struct {
	visited  visitedSet
	cand     minHeap      // frontier, closest first
	res      maxHeap      // best found so far, farthest first
	sorted   []Neighbor   // scratch: results in ascending order
	sel      []Neighbor   // scratch: output of the heuristic
	ids      []uint32     // scratch: a copy of one neighbour list
	cands    []Neighbor   // scratch: candidates of a list being rebuilt
	stack    []uint32     // scratch: removed nodes to walk, BFS queue
	levelSel [][]Neighbor // scratch: per level, the neighbours chosen for a node being linked
	batch    []uint32     // scratch: unvisited neighbours of one node, prefetched
	rows     [][]float32  // scratch: exact rows of the candidates being re-ranked (rescore), cleared after use
	rowBuf   []float32    // scratch: buffers the exact rows may be read into (rescore), a row per candidate
	dists    []float32    // scratch: distances to the nodes of batch (batchDist)
	codes    [][]int8     // scratch: INT8 codes of the nodes of batch (batchDist)
	corrs    []float32    // scratch: their correction terms
	back     []uint32     // scratch: nodes that reach a proof's target (repair.go)
	removed  []edge       // level-0 links removed by the current write, to prove reachable (repair.go)
	qry      prepared     // the query of the current search or insert
	aux      prepared     // a node prepared as a query inside a write (addLink)
	ndist    uint64       // distance computations since taken from the pool
}

type searcherPool struct {
	pool sync.Pool
}

func (p *searcherPool) get() *searcher {
	if s, ok := p.pool.Get().(*searcher); ok {
		return s
	}
	return &searcher{}
}

func (p *searcherPool) put(s *searcher) {
	s.cand = s.cand[:0]
	s.res = s.res[:0]
	s.removed = s.removed[:0]
	p.pool.Put(s)
}
