package index

import (
	"fmt"
	"slices"
	"sync/atomic"
)

// Reconnect is the full repair: it traverses level 0 from the entry point
// and makes every live node reachable again, returning how many nodes were
// unreachable before it ran.
//
// Add, AddBatch, Update and Delete keep every live node reachable on their
// own (local repair, see the package documentation), so callers need not
// call Reconnect after them. It remains for graphs restored from older
// files, for tests, and as the fallback local repair uses when it gives up
// (counted in RepairStats.FullRepairs). Re-linked nodes and the nodes given
// links to them are reported by TakeDirty.
//
// Reconnect costs one traversal of level 0 (O(n)), under the read lock
// (searches continue); only when it finds an unreachable node does it take
// the graph exclusively to re-link. If nodes are still unreachable after
// its rounds, it returns their number in an error wrapping ErrRepair, and
// the graph fails Check.
func (g *Graph) Reconnect() (int, error) {
	g.ensureInLinks()
	// Look under the read lock first: searches go on meanwhile, and
	// usually nothing is lost. Only then take the graph exclusively.
	g.mu.RLock()
	if g.entry.Load() == noEntry {
		g.mu.RUnlock()
		return 0, nil
	}
	s := g.getSearcher()
	defer g.putSearcher(s)
	lost := len(g.unreachableLocked(s))
	g.mu.RUnlock()
	if lost == 0 {
		return 0, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := len(g.unreachableLocked(s))
	if n == 0 {
		return 0, nil
	}
	return n, g.reconnectLocked(s)
}

// fullRepair runs the full repair for a write whose local repair gave up.
func (g *Graph) fullRepair() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.getSearcher()
	defer g.putSearcher(s)
	return g.fullRepairLocked(s)
}

// fullRepairLocked counts and runs the full repair. Caller holds mu for
// writing.
func (g *Graph) fullRepairLocked(s *searcher) error {
	g.rep.fullRuns.Add(1)
	return g.reconnectLocked(s)
}

// reconnectRounds bounds the passes of reconnectLocked.
const reconnectRounds = 16

// reconnectLocked makes every live node reachable from the entry point
// again: unreachable nodes are first unlinked and linked again like new
// nodes (a shrinking neighbour may drop the new back-link, hence rounds);
// any still unreachable are then attached to a reachable node with a free
// level-0 slot. It returns an error wrapping ErrRepair if nodes remain
// unreachable after reconnectRounds passes. Caller holds mu for writing.
func (g *Graph) reconnectLocked(s *searcher) error {
	return g.reconnectWith(s, func() []uint32 { return g.unreachableLocked(s) })
}

// reconnectWith is reconnectLocked with the traversal that lists the
// unreachable nodes given. Caller holds mu for writing.
func (g *Graph) reconnectWith(s *searcher, unreachable func() []uint32) error {
	var lost []uint32
	for round := 0; round < reconnectRounds; round++ {
		lost = unreachable()
		if len(lost) == 0 {
			s.removed = s.removed[:0]
			return nil
		}
		for _, u := range lost {
			if round < 3 {
				for l := 0; l <= int(g.levels[u]); l++ {
					g.writeList(nil, u, l, nil)
				}
				g.link(s, u, int(g.levels[u]), nil)
			} else {
				g.attachLocked(s, u, round >= reconnectRounds/2)
			}
		}
		s.removed = s.removed[:0]
	}
	return fmt.Errorf("%w: %d nodes still unreachable after %d rounds of the full repair", ErrRepair, len(lost), reconnectRounds)
}

// attachLocked adds a level-0 link to u from the closest node a search
// from the entry point finds, preferring nodes with a free slot. With
// anyFree, when none of them has a free slot it takes the first reachable
// node with one (a traversal) before evicting a link. Caller holds mu for
// writing.
func (g *Graph) attachLocked(s *searcher, u uint32, anyFree bool) {
	e := g.entry.Load()
	if e == noEntry {
		return
	}
	// Search level 0 from the entry point itself, not from where a descent
	// through the upper levels lands: that node may sit in a part of
	// level 0 the entry point does not reach, and linking u there would
	// not help.
	ep, _ := unpackEntry(e)
	q := &s.qry
	g.prepareNode(q, u)
	// A wide beam: the nearest nodes are usually full, and taking a slot
	// that is free spares a link that keeps another node reachable.
	g.searchLayer(s, q, ep, g.pdist(q, ep), max(g.opts.EfConstruction, 4*g.m0), 0, nil)
	sorted := removeID(s.res.drainSorted(s.sorted[:0]), u)
	s.sorted = sorted
	if len(sorted) == 0 {
		return
	}
	for _, v := range sorted {
		if g.appendLink(v.ID, u) {
			return
		}
	}
	if anyFree {
		// Every node the search found is full: walk everything reachable.
		reached := g.reachedLocked(s)
		for _, v := range reached {
			if v != u && g.appendLink(v, u) {
				return
			}
		}
	}
	v := sorted[0].ID
	g.replaceFarthest(s, v, u)
	// v no longer links to the evicted node x: let u, reachable through v
	// now, link to x so that x does not become the next lost node.
	if n := len(s.removed); n > 0 {
		if x := s.removed[n-1].b; x != u && !slices.Contains(g.links(s.ids[:0], u, 0), x) {
			g.appendLink(u, x)
		}
	}
}

// reachedLocked returns the nodes reachable from the entry point on level
// 0, in breadth-first order. Caller holds mu.
func (g *Graph) reachedLocked(s *searcher) []uint32 {
	ep, _ := unpackEntry(g.entry.Load())
	s.visited.reset(g.capacity)
	s.visited.visit(ep)
	queue := []uint32{ep}
	for i := 0; i < len(queue); i++ {
		blk := g.block(queue[i], 0)
		cnt := int(atomic.LoadUint32(&blk[0]))
		for j := 1; j <= cnt; j++ {
			if nb := atomic.LoadUint32(&blk[j]); !s.visited.visit(nb) {
				queue = append(queue, nb)
			}
		}
	}
	return queue
}
