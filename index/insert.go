package index

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Add inserts a copy of vec and returns its id: a slot freed by Delete if
// there is one, else MaxID. vec must have Dim() components (else a
// *DimensionError) and, under Cosine, unit length. An encoded graph
// (SetEncoding) stores vec's code only, and refuses a vector its encoding
// cannot hold with a *VectorError (ErrVector, quant.ErrValue). Safe for concurrent use
// with searches and other Adds; the node becomes visible to concurrent
// searches while it is being linked, and fully linked when Add returns.
//
// Add keeps every live node reachable (local repair, see the package
// documentation): once no write is running, Check passes without a call to
// Reconnect. Cost: O(M·EfConstruction) distance computations and O(M) nodes
// rewritten, independent of n. If local repair gives up, Add runs the full
// repair (O(n), counted in RepairStats); if that fails too, it returns the
// id with an error wrapping ErrRepair.
func (g *Graph) Add(vec []float32) (uint32, error) {
	if err := g.checkVec(vec); err != nil {
		return 0, err
	}
	if err := g.checkEncodableLocking(vec); err != nil {
		return 0, err
	}
	g.ensureInLinks()
	return g.add(vec, g.randomLevel())
}

// checkEncodableLocking is checkEncodable under the read lock.
func (g *Graph) checkEncodableLocking(vec []float32) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.checkEncodable(vec)
}

func (g *Graph) add(vec []float32, level int) (uint32, error) {
	return g.addMode(vec, level, false)
}

// addMode is add; with bulk, the insert proves nothing (no pending bit, no
// certify): the caller runs repairBulk once the batch is linked.
func (g *Graph) addMode(vec []float32, level int, bulk bool) (uint32, error) {
	id, err := g.acquire()
	if err != nil {
		return 0, err
	}
	if err := g.checkEncodable(vec); err != nil {
		// SetEncoding ran since the caller's check: give the slot back.
		g.allocMu.Lock()
		g.free = append(g.free, id)
		g.allocMu.Unlock()
		g.mu.RUnlock()
		return 0, err
	}
	g.initNode(id, vec, level)
	g.rep.levelCount[level].Add(1)
	s := g.getSearcher()
	s.removed = s.removed[:0]
	if bulk {
		g.link(s, id, level, vec)
		s.removed = s.removed[:0]
		g.mu.RUnlock()
		g.putSearcher(s)
		g.markDirty(id)
		return id, nil
	}
	g.setPending(id)
	g.link(s, id, level, vec)
	fresh, from := [1]uint32{id}, [1]uint32{g.certifySource(id, s.levelSel[0])}
	ok := g.certify(s, fresh[:], from[:])
	g.clearPending(id)
	g.mu.RUnlock()
	g.putSearcher(s)
	g.markDirty(id)
	if !ok {
		if err := g.fullRepair(); err != nil {
			return id, err
		}
	}
	return id, nil
}

// AddBatch adds vecs on workers goroutines (0 means runtime.GOMAXPROCS(0))
// and returns their ids in input order. Every vector is validated before
// any is added. Levels are drawn in input order, so the level of each
// vector depends only on the seed and the graph's history, though the links
// depend on scheduling. progress, if not nil, is called with the number of
// vectors added so far, from worker goroutines but never concurrently and
// with increasing counts, at least once at the end; it must be quick.
//
// If ctx is cancelled, AddBatch stops starting new inserts and returns
// ctx's error with the ids added so far; positions not added hold NoID.
// Each insert repairs locally as Add does, so the cost is that of len(vecs)
// Adds. An error wrapping ErrRepair comes with the id of the vector that
// caused it. Safe for concurrent use like Add.
func (g *Graph) AddBatch(ctx context.Context, vecs [][]float32, workers int, progress func(done int)) ([]uint32, error) {
	return g.addBatch(ctx, vecs, workers, progress, false)
}

// AddBulk adds vecs like AddBatch, but proves reachability once for the
// whole batch instead of once per insert: the inserts link as in hnswlib
// (no local repair), then one traversal of level 0 finds the nodes that
// are not reachable and the full repair links them again (Reconnect). The
// graph passes Check when AddBulk returns, as after AddBatch, but a
// concurrent search may miss a node while the batch runs.
//
// On a graph that is empty when it starts, or whose in-link index has not
// been built since a Restore, AddBulk leaves that index unbuilt (no
// upkeep, about 100 bytes per node less memory): the first write that
// needs it (Add, AddBatch, Update, Delete, Check) builds it, O(n·M).
//
// Cost: that of the inserts, O(len(vecs)·M·EfConstruction) distance
// computations, without local repair's proofs (about a sixth of an
// insert's time at 1M nodes), plus the traversal, O(n·M) memory reads
// with no distance computation, plus a search per node found unreachable
// (few). It pays over AddBatch when len(vecs) is a sizable fraction of
// n, such as the batches of a bulk load (query uses it from n/64). If
// ctx is cancelled, the nodes added so far are repaired before AddBulk
// returns ctx's error. Safe for concurrent use like AddBatch.
func (g *Graph) AddBulk(ctx context.Context, vecs [][]float32, workers int, progress func(done int)) ([]uint32, error) {
	return g.addBatch(ctx, vecs, workers, progress, true)
}

func (g *Graph) addBatch(ctx context.Context, vecs [][]float32, workers int, progress func(done int), bulk bool) ([]uint32, error) {
	for i, v := range vecs {
		if err := g.checkVec(v); err != nil {
			return nil, fmt.Errorf("index: AddBatch: vector %d: %w", i, err)
		}
	}
	g.mu.RLock()
	for i, v := range vecs {
		if err := g.checkEncodable(v); err != nil {
			g.mu.RUnlock()
			return nil, fmt.Errorf("index: AddBatch: vector %d: %w", i, err)
		}
	}
	g.mu.RUnlock()
	if bulk {
		g.mu.Lock()
		// Writers need their per-node state (node mutexes, the pending
		// bits), which a restored graph leaves out until its first write,
		// even when the in-link index stays unbuilt.
		g.unviewLocked()
		g.growWriterStateLocked(g.capacity)
		if g.live.Load() == 0 {
			g.inBuilt.Store(false) // nothing to index: leave it to the first write that needs it
		}
		g.mu.Unlock()
	} else {
		g.ensureInLinks()
	}
	n := len(vecs)
	ids := make([]uint32, n)
	if n == 0 {
		return ids, ctx.Err()
	}
	levels := make([]uint8, n)
	g.rngMu.Lock()
	for i := range levels {
		levels[i] = uint8(levelFor(g.rng.Float64(), g.mL))
	}
	g.rngMu.Unlock()
	for i := range ids {
		ids[i] = NoID
	}
	g.allocMu.Lock()
	want := int(g.next.Load()) + n - len(g.free)
	g.allocMu.Unlock()
	g.Reserve(want)

	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	step := max(1, n/1000)
	var (
		next, done atomic.Int64
		progMu     sync.Mutex // protects reported and serialises progress calls
		reported   int
		errMu      sync.Mutex // protects firstErr
		firstErr   error
		wg         sync.WaitGroup
	)
	report := func(d int) {
		progMu.Lock()
		if d > reported {
			reported = d
			progress(d)
		}
		progMu.Unlock()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				id, err := g.addMode(vecs[i], int(levels[i]), bulk)
				if err != nil && errors.Is(err, ErrRepair) {
					ids[i] = id // added, but the graph needs repair
				}
				if err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
					return
				}
				ids[i] = id
				if d := int(done.Add(1)); progress != nil && (d%step == 0 || d == n) {
					report(d)
				}
			}
		}()
	}
	wg.Wait()
	if bulk {
		if err := g.repairBulk(workers); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if progress != nil {
		report(int(done.Load()))
	}
	if firstErr != nil {
		return ids, firstErr
	}
	return ids, ctx.Err()
}

// link connects node id (initialised, not yet reachable) at levels
// level..0: greedy descent from the entry point to level+1, then for each
// level a beam search with EfConstruction, the heuristic picks M
// neighbours, the node's own lists are written first, and only then do the
// back-links publish the node. Raises the entry point if level is above the
// current top. The distances are from vec, the node's exact vector, when
// the caller has it (an encoded graph then compares it with the codes, as
// a search does), else from the node's stored row. Caller holds mu (read
// or write); the entry point is not id.
func (g *Graph) link(s *searcher, id uint32, level int, vec []float32) {
	q := &s.qry
	if vec == nil || !g.prepareVec(q, vec) {
		g.prepareNode(q, id)
	}
	if len(s.levelSel) < MaxLevel+1 {
		s.levelSel = make([][]Neighbor, MaxLevel+1)
	}
	s.levelSel[0] = s.levelSel[0][:0]
	e := g.entry.Load()
	if e == noEntry {
		g.epMu.Lock()
		if g.entry.Load() == noEntry {
			g.entry.Store(packEntry(id, level))
			g.epMu.Unlock()
			return
		}
		g.epMu.Unlock()
		e = g.entry.Load()
	}
	ep, top := unpackEntry(e)
	if level > top {
		// This insert may raise the top level. Hold topMu until it is
		// the entry point, and read the top again under it: a concurrent
		// insert above the old top then waits and links its upper levels
		// to this node instead of leaving them empty.
		g.rep.topMu.Lock()
		defer g.rep.topMu.Unlock()
		ep, top = unpackEntry(g.entry.Load())
	}
	cur, curDist := ep, g.pdist(q, ep)
	s.ndist++
	for l := top; l > level; l-- {
		cur, curDist = g.greedy(s, q, cur, curDist, l)
	}
	low := min(level, top)
	for l := low; l >= 0; l-- {
		g.searchLayer(s, q, cur, curDist, g.opts.EfConstruction, l, nil)
		sorted := s.res.drainSorted(s.sorted[:0])
		s.sorted = sorted
		sorted = removeID(sorted, id)
		s.levelSel[l] = g.selectNeighbors(s, sorted, g.m, s.levelSel[l][:0])
		if len(sorted) > 0 {
			cur, curDist = sorted[0].ID, sorted[0].Dist
		}
	}
	g.nodeMu[id].Lock()
	for l := low; l >= 0; l-- {
		g.writeList(nil, id, l, s.levelSel[l])
	}
	g.nodeMu[id].Unlock()
	for l := low; l >= 0; l-- {
		for _, n := range s.levelSel[l] {
			g.addLink(s, n.ID, id, n.Dist, l)
		}
	}
	if level > top {
		g.epMu.Lock()
		if old, t := unpackEntry(g.entry.Load()); level > t {
			g.entry.Store(packEntry(id, level))
			// Every node was reachable from the old entry point: it must
			// be reachable from the new one (repair.go).
			s.removed = append(s.removed, edge{id, old})
		}
		g.epMu.Unlock()
	}
}

// removeID removes id from ns in place, keeping the order.
func removeID(ns []Neighbor, id uint32) []Neighbor {
	for i, n := range ns {
		if n.ID == id {
			return append(ns[:i], ns[i+1:]...)
		}
	}
	return ns
}

// addLink adds a link from node n to node id (at distance d) on level.
// If n's list is full, it is shrunk with the heuristic over the old links
// plus id, and the level-0 links it drops are queued in s.removed. Caller
// holds mu; addLink takes nodeMu[n].
func (g *Graph) addLink(s *searcher, n, id uint32, d float32, level int) {
	maxM := g.maxLinks(level)
	g.nodeMu[n].Lock()
	blk := g.block(n, level)
	cnt := int(atomic.LoadUint32(&blk[0]))
	for i := 1; i <= cnt; i++ {
		if atomic.LoadUint32(&blk[i]) == id {
			g.nodeMu[n].Unlock()
			return
		}
	}
	if cnt < maxM {
		g.touch(n)
		atomic.StoreUint32(&blk[1+cnt], id)
		atomic.StoreUint32(&blk[0], uint32(cnt+1))
		g.inAdd(id, n, level)
		g.markDirty(n)
	} else {
		// n as a query, decoded once on an encoded graph.
		g.prepareNode(&s.aux, n)
		cands := append(s.cands[:0], Neighbor{id, d})
		for i := 1; i <= cnt; i++ {
			x := atomic.LoadUint32(&blk[i])
			cands = append(cands, Neighbor{x, g.pdist(&s.aux, x)})
		}
		s.ndist += uint64(cnt)
		sortNeighbors(cands)
		s.cands = cands
		s.sel = g.selectNeighbors(s, cands, maxM, s.sel[:0])
		// Links the heuristic drops are queued in s.removed: their
		// targets must stay reachable (repair.go).
		g.writeList(s, n, level, s.sel)
	}
	g.nodeMu[n].Unlock()
}
