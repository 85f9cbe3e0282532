package index

import (
	"math"
	"slices"
	"sync/atomic"
)

// Delete removes the given live nodes. It is exclusive: it waits for
// running searches and inserts, and no search sees a half-repaired graph.
// For each id in turn it
//
//   - tombstones the id, so it is never returned by Search or Exact again;
//   - rebuilds with the neighbour-selection heuristic the list of every
//     node that links to it (found in the in-link index, no scan), from the
//     list's live members plus the deleted node's live neighbours, level by
//     level, and links the newly chosen neighbours back;
//   - moves the entry point to a live neighbour on the highest remaining
//     level if it was the entry point;
//   - frees the slot (Add reuses it before growing MaxID);
//   - proves by local repair (doc.go) that every live node is still
//     reachable from the entry point, adding links where a bounded walk
//     does not find a path.
//
// Cost per id: O(d·(M+EfConstruction)·M) distance computations and O(d·M)
// nodes rewritten, where d is the node's in-degree (about 2*M), whatever the
// graph's size. Only when local repair gives up (counted in RepairStats)
// does it run the full repair, a traversal of level 0.
//
// If any id is not live, Delete returns a *NotFoundError and changes
// nothing. Duplicate ids are allowed. If even the full repair cannot make
// every node reachable, Delete returns an error wrapping ErrRepair; the
// nodes are deleted and the graph fails Check.
func (g *Graph) Delete(ids ...uint32) error {
	if len(ids) == 0 {
		return nil
	}
	g.ensureInLinks()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range ids {
		if !g.isLive(id) {
			return &NotFoundError{ID: id}
		}
	}
	s := g.getSearcher()
	defer g.putSearcher(s)
	g.beginSnapshot()
	defer g.endSnapshot(NoID)
	ok := true
	for _, id := range ids {
		if g.liveLocked(id) && !g.deleteOneLocked(s, id) {
			ok = false
		}
	}
	if !ok {
		return g.fullRepairLocked(s)
	}
	return nil
}

// deleteOneLocked deletes live node x and repairs around it. It returns
// false if local repair gave up. Caller holds mu for writing.
func (g *Graph) deleteOneLocked(s *searcher, x uint32) bool {
	s.removed = s.removed[:0]
	g.touch(x)
	atomic.StoreUint32(&g.state[x], stateDeleted)
	g.live.Add(-1)
	us, ys := g.detachLocked(s, x)
	if ep, _ := unpackEntry(g.entry.Load()); ep == x {
		e, el := g.newEntryLocked(s, x)
		if e == NoID {
			g.entry.Store(noEntry)
		} else {
			g.entry.Store(packEntry(e, el))
			us = append(us, e)
		}
	}
	g.queueHubPairs(s, x, us, ys)
	g.freeLocked(x)
	return g.certify(s, nil, nil)
}

// detachLocked removes every link to and from x (which is not live): it
// rebuilds the lists of x's in-neighbours on each level and clears x's own
// lists. It returns x's former live level-0 in- and out-neighbours.
// Caller holds mu for writing.
func (g *Graph) detachLocked(s *searcher, x uint32) (us, ys []uint32) {
	level := int(g.levels[x])
	us = g.inLinks(nil, x, 0)
	ys = g.links(nil, x, 0)
	for l := 0; l <= level; l++ {
		ins := g.inLinks(nil, x, l)
		for _, u := range ins {
			if g.liveLocked(u) {
				g.rebuildLocked(s, u, l)
			}
		}
	}
	for l := 0; l <= level; l++ {
		g.writeList(nil, x, l, nil)
	}
	// A list rebuilt from its live members no longer holds x; a stale
	// in-link left here would be a bug in the index, which Check reports.
	us = slices.DeleteFunc(us, func(u uint32) bool { return !g.liveLocked(u) })
	ys = slices.DeleteFunc(ys, func(y uint32) bool { return !g.liveLocked(y) })
	return us, ys
}

// queueHubPairs queues the proofs that stand in for the paths u -> x -> y
// through a removed node x: every u in us reaches a hub, and the
// hub reaches every y in ys. The hub is the y closest to x: the in-neighbours'
// rebuilt lists drew on x's neighbours, so they usually link to it
// directly, and x's other neighbours lie around it.
func (g *Graph) queueHubPairs(s *searcher, x uint32, us, ys []uint32) {
	if len(us) == 0 {
		return // x had no live in-link: no path went through it
	}
	h, best := us[0], float32(math.Inf(1))
	for _, y := range ys {
		if d := g.nodeDist(x, y); d < best {
			h, best = y, d
		}
	}
	s.ndist += uint64(len(ys))
	for _, u := range us {
		s.removed = append(s.removed, edge{u, h})
	}
	for _, y := range ys {
		s.removed = append(s.removed, edge{h, y})
	}
}

// Update replaces node id's vector with a copy of vec and re-links it: the
// lists that linked to id are rebuilt as if id were deleted (found in the
// in-link index, no scan), then id is linked again from the entry point
// like a new node on its old level, and local repair proves every node
// reachable. The id keeps its slot and level. Update is exclusive (it waits
// for searches and inserts); it costs what a Delete plus an Add cost,
// independent of the graph's size, unless local repair gives up and runs
// the full repair. An encoded graph stores vec's code. Errors:
// *DimensionError, *NotFoundError, *VectorError (a vector the encoding
// cannot hold; nothing changes), and ErrRepair as for Delete.
func (g *Graph) Update(id uint32, vec []float32) error {
	if err := g.checkVec(vec); err != nil {
		return err
	}
	g.ensureInLinks()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.isLive(id) {
		return &NotFoundError{ID: id}
	}
	if err := g.checkEncodable(vec); err != nil {
		return err
	}
	s := g.getSearcher()
	defer g.putSearcher(s)
	g.beginSnapshot()
	defer g.endSnapshot(id)
	s.removed = s.removed[:0]
	atomic.StoreUint32(&g.state[id], stateDeleted)
	us, ys := g.detachLocked(s, id)
	// The links to id just removed need no proof: id is certified below
	// as a new node.
	s.removed = slices.DeleteFunc(s.removed, func(e edge) bool { return e.b == id })
	atomic.StoreUint32(&g.state[id], stateLive)
	if ep, _ := unpackEntry(g.entry.Load()); ep == id {
		best, bestLevel := g.newEntryLocked(s, id)
		if best == NoID {
			g.putRow(id, vec)
			g.markDirty(id)
			return nil // id is the only node
		}
		g.entry.Store(packEntry(best, bestLevel))
		us = append(us, best)
	}
	g.queueHubPairs(s, id, us, ys)
	g.putRow(id, vec)
	g.markDirty(id)
	level := int(g.levels[id])
	g.link(s, id, level, vec)
	fresh, from := [1]uint32{id}, [1]uint32{g.certifySource(id, s.levelSel[0])}
	if !g.certify(s, fresh[:], from[:]) {
		return g.fullRepairLocked(s)
	}
	return nil
}

func (g *Graph) liveLocked(id uint32) bool {
	return atomic.LoadUint32(&g.state[id]) == stateLive
}

// rebuildLocked removes the links of node u's list on level to nodes that
// are not live, keeps its live members, and fills the freed slots with
// the live neighbours of the removed members that pass the
// neighbour-selection heuristic against the list (closest first). It then
// links the newly chosen neighbours back to u, as an insert would, so that
// in-degrees lost with the removed nodes are restored. Keeping the live
// members (instead of re-selecting the whole list, which drops links and
// the in-degree of their targets each time a neighbour is deleted) keeps
// recall after many single deletes as good as after one batch. Caller
// holds mu for writing.
func (g *Graph) rebuildLocked(s *searcher, u uint32, level int) {
	s.visited.reset(g.capacity)
	s.visited.visit(u)
	old := g.links(s.ids[:0], u, level)
	s.ids = old
	cands := s.cands[:0]
	for _, x := range old {
		if g.liveLocked(x) && !s.visited.visit(x) {
			cands = append(cands, Neighbor{x, g.nodeDist(u, x)})
		}
	}
	nKeep := len(cands)
	for _, x := range old {
		if g.liveLocked(x) {
			continue
		}
		blk := g.block(x, level)
		for i := 1; i <= int(blk[0]); i++ {
			if y := blk[i]; g.liveLocked(y) && !s.visited.visit(y) {
				cands = append(cands, Neighbor{y, g.nodeDist(u, y)})
			}
		}
	}
	s.ndist += uint64(len(cands))
	extra := cands[nKeep:]
	sortNeighbors(extra)
	sel := append(s.sel[:0], cands[:nKeep]...)
	maxM := g.maxLinks(level)
	for _, c := range extra {
		if len(sel) >= maxM {
			break
		}
		good := true
		for _, r := range sel {
			s.ndist++
			if g.nodeDist(c.ID, r.ID) < c.Dist {
				good = false
				break
			}
		}
		if good {
			sel = append(sel, c)
		}
	}
	// Keep the list as long as it was: top it up with the closest
	// candidates the heuristic passed over, so that deletes do not thin
	// the graph out.
	for _, c := range extra {
		if len(sel) >= len(old) {
			break
		}
		if !slices.ContainsFunc(sel, func(n Neighbor) bool { return n.ID == c.ID }) {
			sel = append(sel, c)
		}
	}
	s.sel = sel
	g.writeList(s, u, level, sel)
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
		g.addLink(s, y, u, g.nodeDist(u, y), level)
	}
}

// freeLocked clears slot id and puts it on the free list. Caller holds mu
// for writing.
func (g *Graph) freeLocked(id uint32) {
	for l := 0; l <= int(g.levels[id]); l++ {
		g.writeList(nil, id, l, nil)
	}
	g.rep.levelCount[g.levels[id]].Add(-1)
	*g.rep.in0At(id) = (*g.rep.in0At(id))[:0]
	*g.rep.inUAt(id) = (*g.rep.inUAt(id))[:0]
	g.dropUpper(id)
	g.levels[id] = 0
	g.clearRow(id)
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
