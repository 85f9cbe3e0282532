package index

import (
	"slices"
	"sync/atomic"
)

// Delete removes the given live nodes. It is exclusive: it waits for
// running searches and inserts, and no search sees a half-repaired graph.
// In order, it
//
//   - tombstones every id, so none is returned by Search or Exact again;
//   - scans every live node once and rebuilds, with the neighbour-selection
//     heuristic, each list that links to a deleted node, from the list's
//     live members plus the live neighbours of the deleted nodes it linked
//     to, level by level, and links the newly chosen neighbours back;
//   - frees the slots (Add reuses them before growing MaxID);
//   - moves the entry point to a live node on the highest remaining level
//     if it was deleted;
//   - re-links any live node no longer reachable from the entry point.
//
// If any id is not live, Delete returns a *NotFoundError and changes
// nothing. Duplicate ids are allowed. Batch ids into one call where
// possible: the cost is dominated by the scan over all nodes.
func (g *Graph) Delete(ids ...uint32) error {
	if len(ids) == 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range ids {
		if !g.isLive(id) {
			return &NotFoundError{ID: id}
		}
	}
	removed := make([]uint32, 0, len(ids))
	for _, id := range ids {
		if atomic.LoadUint32(&g.state[id]) == stateLive {
			atomic.StoreUint32(&g.state[id], stateDeleted)
			removed = append(removed, id)
		}
	}
	g.live.Add(-int64(len(removed)))
	s := g.getSearcher()
	defer g.putSearcher(s)
	g.repairLocked(s, removed)
	for _, id := range removed {
		g.freeLocked(id)
	}
	g.fixEntryLocked()
	g.reconnectLocked(s)
	return nil
}

// Update replaces node id's vector with a copy of vec and re-links it: the
// lists that linked to id are repaired as if id were deleted, then id is
// linked again from the entry point like a new node on its old level, and
// any node left unreachable is re-linked. The id keeps its slot and level.
// Update is exclusive (it waits for searches and inserts) and scans every
// node once. Errors: *DimensionError, *NotFoundError.
func (g *Graph) Update(id uint32, vec []float32) error {
	if err := g.checkVec(vec); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.isLive(id) {
		return &NotFoundError{ID: id}
	}
	s := g.getSearcher()
	defer g.putSearcher(s)
	atomic.StoreUint32(&g.state[id], stateDeleted)
	g.repairLocked(s, []uint32{id})
	atomic.StoreUint32(&g.state[id], stateLive)
	level := int(g.levels[id])
	for l := 0; l <= level; l++ {
		g.setLinks(id, l, nil)
	}
	copy(g.vec(id), vec)
	g.markDirty(id)
	if ep, _ := unpackEntry(g.entry.Load()); ep == id {
		best, bestLevel := g.highestLocked(id)
		if best == NoID {
			return nil // id is the only node
		}
		g.entry.Store(packEntry(best, bestLevel))
	}
	g.link(s, id, level)
	g.reconnectLocked(s)
	return nil
}

func (g *Graph) liveLocked(id uint32) bool {
	return atomic.LoadUint32(&g.state[id]) == stateLive
}

// repairLocked rebuilds every live list that links to a node that is not
// live (the nodes in removed, whose own lists are still intact). Caller
// holds mu for writing.
func (g *Graph) repairLocked(s *searcher, removed []uint32) {
	if len(removed) == 0 {
		return
	}
	n := g.next.Load()
	for u := uint32(0); u < n; u++ {
		if !g.liveLocked(u) {
			continue
		}
		for l := 0; l <= int(g.levels[u]); l++ {
			blk := g.block(u, l)
			cnt := int(blk[0])
			for i := 1; i <= cnt; i++ {
				if !g.liveLocked(blk[i]) {
					g.rebuildLocked(s, u, l)
					g.markDirty(u)
					break
				}
			}
		}
	}
}

// rebuildLocked replaces node u's list on level by the heuristic's choice
// among its live neighbours and the live neighbours of its removed
// neighbours (the EfConstruction closest of them), then links the newly
// chosen neighbours back to u, as an insert would, so that in-degrees lost
// with the removed nodes are restored. Caller holds mu for writing.
func (g *Graph) rebuildLocked(s *searcher, u uint32, level int) {
	uv := g.vec(u)
	s.visited.reset(g.capacity)
	s.visited.visit(u)
	old := g.links(s.ids[:0], u, level)
	s.ids = old
	cands := s.cands[:0]
	for _, x := range old {
		if g.liveLocked(x) && !s.visited.visit(x) {
			cands = append(cands, Neighbor{x, distance(g.metric, uv, g.vec(x))})
		}
	}
	for _, x := range old {
		if g.liveLocked(x) {
			continue
		}
		blk := g.block(x, level)
		for i := 1; i <= int(blk[0]); i++ {
			if y := blk[i]; g.liveLocked(y) && !s.visited.visit(y) {
				cands = append(cands, Neighbor{y, distance(g.metric, uv, g.vec(y))})
			}
		}
	}
	s.ndist += uint64(len(cands))
	sortNeighbors(cands)
	if len(cands) > g.opts.EfConstruction {
		cands = cands[:g.opts.EfConstruction]
	}
	sel := g.selectNeighbors(s, cands, g.maxLinks(level), s.sel[:0])
	g.setLinks(u, level, sel)
	s.cands = cands
	// s.sel is reused by addLink: copy the new members out first.
	added := s.stack[:0]
	for _, n := range sel {
		if !slices.Contains(old, n.ID) {
			added = append(added, n.ID)
		}
	}
	s.stack = added
	for _, y := range added {
		g.addLink(s, y, u, distance(g.metric, uv, g.vec(y)), level)
	}
}

// freeLocked clears slot id and puts it on the free list. Caller holds mu
// for writing.
func (g *Graph) freeLocked(id uint32) {
	for l := 0; l <= int(g.levels[id]); l++ {
		g.setLinks(id, l, nil)
	}
	g.upper[id] = nil
	g.levels[id] = 0
	clear(g.vec(id))
	atomic.StoreUint32(&g.state[id], stateFree)
	g.allocMu.Lock()
	g.free = append(g.free, id)
	g.allocMu.Unlock()
	g.markDirty(id)
}

// highestLocked returns the live node other than except with the highest
// level (lowest id among ties), or NoID. Caller holds mu.
func (g *Graph) highestLocked(except uint32) (uint32, int) {
	best, bestLevel := NoID, -1
	n := g.next.Load()
	for id := uint32(0); id < n; id++ {
		if id != except && g.liveLocked(id) && int(g.levels[id]) > bestLevel {
			best, bestLevel = id, int(g.levels[id])
		}
	}
	return best, bestLevel
}

// fixEntryLocked moves the entry point to a live node on the highest level
// if it is not live. Caller holds mu for writing.
func (g *Graph) fixEntryLocked() {
	if e := g.entry.Load(); e != noEntry {
		if ep, _ := unpackEntry(e); g.liveLocked(ep) {
			return
		}
	}
	best, bestLevel := g.highestLocked(NoID)
	if best == NoID {
		g.entry.Store(noEntry)
		return
	}
	g.entry.Store(packEntry(best, bestLevel))
}

// unreachableLocked returns the live nodes not reachable from the entry
// point on level 0, ascending. It leaves the reached set in s.visited.
// Caller holds mu.
func (g *Graph) unreachableLocked(s *searcher) []uint32 {
	s.visited.reset(g.capacity)
	e := g.entry.Load()
	n := g.next.Load()
	if e != noEntry {
		ep, _ := unpackEntry(e)
		queue := append(s.stack[:0], ep)
		s.visited.visit(ep)
		for i := 0; i < len(queue); i++ {
			blk := g.block(queue[i], 0)
			cnt := int(atomic.LoadUint32(&blk[0]))
			for j := 1; j <= cnt; j++ {
				if nb := atomic.LoadUint32(&blk[j]); !s.visited.visit(nb) {
					queue = append(queue, nb)
				}
			}
		}
		s.stack = queue[:0]
	}
	var out []uint32
	for id := uint32(0); id < n; id++ {
		if s.visited.tags[id] != s.visited.gen && atomic.LoadUint32(&g.state[id]) == stateLive {
			out = append(out, id)
		}
	}
	return out
}

// reconnectLocked makes every live node reachable from the entry point
// again: unreachable nodes are unlinked and linked again like new nodes (a
// few rounds, since a shrinking neighbour may drop the new back-link); any
// still unreachable are then attached to the closest reachable node with a
// free level-0 slot (or replace that node's farthest link). Caller holds mu
// for writing.
func (g *Graph) reconnectLocked(s *searcher) {
	for round := 0; round < 16; round++ {
		lost := g.unreachableLocked(s)
		if len(lost) == 0 {
			return
		}
		for _, u := range lost {
			if round < 3 {
				for l := 0; l <= int(g.levels[u]); l++ {
					g.setLinks(u, l, nil)
				}
				g.link(s, u, int(g.levels[u]))
			} else {
				g.attachLocked(s, u)
			}
			g.markDirty(u)
		}
	}
}

// attachLocked adds a level-0 link to u from the closest node a search
// from the entry point finds, preferring nodes with a free slot. Caller
// holds mu for writing.
func (g *Graph) attachLocked(s *searcher, u uint32) {
	e := g.entry.Load()
	if e == noEntry {
		return
	}
	// Search level 0 from the entry point itself, not from where a descent
	// through the upper levels lands: that node may sit in a part of
	// level 0 the entry point does not reach, and linking u there would
	// not help.
	ep, _ := unpackEntry(e)
	q := g.vec(u)
	cur, curDist := ep, g.dist(q, ep)
	// A wide beam: the nearest nodes are usually full, and taking a slot
	// that is free spares a link that keeps another node reachable.
	g.searchLayer(s, q, cur, curDist, max(g.opts.EfConstruction, 4*g.m0), 0, nil)
	sorted := removeID(s.res.drainSorted(s.sorted[:0]), u)
	s.sorted = sorted
	if len(sorted) == 0 {
		return
	}
	for _, v := range sorted {
		blk := g.block(v.ID, 0)
		cnt := int(blk[0])
		if slices.Contains(blk[1:1+cnt], u) {
			// v joined the reachable part earlier in this round and
			// already links to u: u is reachable again.
			return
		}
		if cnt < g.m0 {
			atomic.StoreUint32(&blk[1+cnt], u)
			atomic.StoreUint32(&blk[0], uint32(cnt+1))
			g.markDirty(v.ID)
			return
		}
	}
	v := sorted[0].ID
	vv := g.vec(v)
	list := g.links(s.ids[:0], v, 0)
	s.ids = list
	far := slices.IndexFunc(list, func(x uint32) bool { return x == u })
	if far >= 0 {
		return
	}
	worst := float32(-1)
	for i, x := range list {
		if d := distance(g.metric, vv, g.vec(x)); d > worst {
			worst, far = d, i
		}
	}
	x := list[far]
	atomic.StoreUint32(&g.block(v, 0)[1+far], u)
	g.markDirty(v)
	// v no longer links to x: let u, reachable through v now, link to x so
	// that x does not become the next lost node.
	ub := g.block(u, 0)
	if c := int(ub[0]); c < g.m0 && x != u && !slices.Contains(ub[1:1+c], x) {
		atomic.StoreUint32(&ub[1+c], x)
		atomic.StoreUint32(&ub[0], uint32(c+1))
		g.markDirty(u)
	}
}
