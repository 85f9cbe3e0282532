package index

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// Local repair keeps every live node reachable from the entry point on
// level 0 after each write, doing work bounded by the neighbourhood the
// write changed. The argument (see doc.go, "Local repair"):
//
// If every live node was reachable before a write, and after it, for every
// level-0 edge a->b the write removed (b still live), b can be reached from
// a, then every node that was reachable is still reachable: in any old path
// from the entry point, replace each removed edge by its a ~> b path. A
// deleted node x is handled like a pair of removed edges: its live
// in-neighbours U and out-neighbours Y are joined through one hub h of U
// (u ~> h for every u, h ~> y for every y), and a new entry point joins U.
// An insert that becomes the entry point must reach the old one.
// A new (or moved) node is reachable once a node that is itself certified
// links to it; nodes whose insert is still running are not certified
// (pending), so two concurrent inserts cannot certify each other.
//
// Each "a ~> b" is proved by a breadth-first walk from a on level 0,
// bounded by pathBudget expansions and costing no distance computation,
// then if need be by a beam search of width 2*M from a towards b. A search
// that does not meet b adds a link to b from the node closest to b it found
// that has a free slot (so a ~> c -> b); if all are full, the closest
// replaces its farthest link by b, and the evicted edge joins the queue. After maxRepairSteps such steps a write falls back to
// the full repair (Reconnect's traversal), counted in RepairStats.

// pathBudget is the number of nodes a walk a ~> b expands before giving up
// and adding a link.
const pathBudget = 32

// probeBudget is the number of nodes a proof a ~> b expands from a before
// it also follows in-links back from b.
const probeBudget = 4

// backBudget is the number of nodes whose in-links a proof a ~> b follows
// backwards from b before walking forwards from a.
const backBudget = 16

// maxRepairSteps bounds the links one write may add before it falls back
// to the full repair.
const maxRepairSteps = 256

// inStripes is the number of locks guarding the in-link lists.
const inStripes = 64

// edge is a level-0 link from a to b, or a pair "b must be reachable from a".
type edge struct{ a, b uint32 }

// repairState holds what local repair needs beside the link lists: the
// in-link index (who links to each node, per level), the nodes whose insert
// is not yet certified, and per-level node counts.
type repairState struct {
	// topMu serialises inserts that raise the top level: such an insert
	// holds it from reading the top level until it has become the entry
	// point, so a concurrent one links its upper levels to it (hnswlib
	// holds its global lock the same way). Order: after mu, before nodeMu.
	topMu sync.Mutex

	// inMu[t%inStripes] protects node t's lists in in0 and inU. A leaf
	// lock: taken under nodeMu of the node whose list changes, never
	// nested. The outer slices are chunked like the graph's slabs (see
	// chunkShift) and change only under mu held for writing: growing
	// allocates new chunks and copies at most the last, partial one.
	inMu [inStripes]sync.Mutex
	in0  [][][]uint32 // chunks; per node: the nodes that link to it on level 0
	inU  [][][]uint64 // chunks; per node: upper-level in-links, src | level<<32

	pending [][]uint32 // chunks of chunkNodes/32 words: a bitset of inserts not yet certified reachable; atomic

	levelCount [MaxLevel + 1]atomic.Int64 // live nodes per exact level

	// snap and snapDirty are set only during an exclusive write (mu held
	// for writing): the lists of each node it touched, as they were, and
	// whether the node was already dirty (dirty.go).
	snap      map[uint32][]uint32
	snapDirty map[uint32]bool

	visited     atomic.Uint64 // nodes local repair's proofs expanded or measured
	localSteps  atomic.Uint64 // links added by local repair
	fullRuns    atomic.Uint64 // falls back to the full repair
	bulkRepairs atomic.Uint64 // AddBulk batches that left nodes unreachable
}

// RepairStats counts the work of local repair since New or Restore.
type RepairStats struct {
	// LinksAdded is the number of links local repair added to keep a node
	// reachable (a walk a ~> b that failed within its budget).
	LinksAdded uint64
	// FullRepairs is the number of writes whose local repair gave up and
	// ran the full repair (a traversal of level 0) instead.
	FullRepairs uint64
	// NodesVisited is the number of nodes local repair's proofs looked at:
	// the nodes its walks expanded plus those its searches measured.
	NodesVisited uint64
	// BulkRepairs is the number of AddBulk calls whose closing traversal
	// found unreachable nodes and ran the full repair.
	BulkRepairs uint64
}

// RepairStats returns the counters of local repair. Safe for concurrent
// use; O(1).
func (g *Graph) RepairStats() RepairStats {
	return RepairStats{LinksAdded: g.rep.localSteps.Load(), FullRepairs: g.rep.fullRuns.Load(), NodesVisited: g.rep.visited.Load(), BulkRepairs: g.rep.bulkRepairs.Load()}
}

// grow sizes the repair state for n nodes, adding chunks and copying at
// most the last, partial chunk of each array: O(chunkNodes), whatever n.
// Caller holds mu for writing.
func (r *repairState) grow(n int) {
	r.in0 = growChunks(r.in0, n, 1)
	r.inU = growChunks(r.inU, n, 1)
	for c := 0; c*chunkNodes < n; c++ {
		want := (min(n-c*chunkNodes, chunkNodes) + 31) / 32
		if c == len(r.pending) {
			r.pending = append(r.pending, make([]uint32, want))
		} else if len(r.pending[c]) < want {
			r.pending[c] = append(make([]uint32, 0, want), r.pending[c]...)[:want]
		}
	}
}

// in0At and inUAt return node t's in-link lists; the caller holds
// inMu[t%inStripes] (or mu for writing) to read or change them.
func (r *repairState) in0At(t uint32) *[]uint32 { return &r.in0[t>>chunkShift][t&chunkMask] }
func (r *repairState) inUAt(t uint32) *[]uint64 { return &r.inU[t>>chunkShift][t&chunkMask] }

// pendingWord returns the word of the pending bitset that holds id.
func (r *repairState) pendingWord(id uint32) *uint32 {
	return &r.pending[id>>chunkShift][(id&chunkMask)>>5]
}

func (g *Graph) setPending(id uint32) {
	atomic.OrUint32(g.rep.pendingWord(id), 1<<(id&31))
}

func (g *Graph) clearPending(id uint32) {
	atomic.AndUint32(g.rep.pendingWord(id), ^uint32(1<<(id&31)))
}

func (g *Graph) isPending(id uint32) bool {
	return atomic.LoadUint32(g.rep.pendingWord(id))&(1<<(id&31)) != 0
}

// inAdd records that src links to t on level; a no-op while the index is
// not built (ensureInLinks builds it from the lists). Caller holds mu.
func (g *Graph) inAdd(t, src uint32, level int) {
	if !g.inBuilt.Load() {
		return
	}
	mu := &g.rep.inMu[t%inStripes]
	mu.Lock()
	if level == 0 {
		l := g.rep.in0At(t)
		*l = append(*l, src)
	} else {
		l := g.rep.inUAt(t)
		*l = append(*l, uint64(src)|uint64(level)<<32)
	}
	mu.Unlock()
}

// inRemove forgets that src links to t on level; a no-op while the index
// is not built. Caller holds mu.
func (g *Graph) inRemove(t, src uint32, level int) {
	if !g.inBuilt.Load() {
		return
	}
	mu := &g.rep.inMu[t%inStripes]
	mu.Lock()
	if level == 0 {
		l := g.rep.in0At(t)
		if i := slices.Index(*l, src); i >= 0 {
			(*l)[i] = (*l)[len(*l)-1]
			*l = (*l)[:len(*l)-1]
		}
	} else {
		l := g.rep.inUAt(t)
		if i := slices.Index(*l, uint64(src)|uint64(level)<<32); i >= 0 {
			(*l)[i] = (*l)[len(*l)-1]
			*l = (*l)[:len(*l)-1]
		}
	}
	mu.Unlock()
}

// inLinks appends to dst the nodes that link to t on level. Caller holds mu.
func (g *Graph) inLinks(dst []uint32, t uint32, level int) []uint32 {
	mu := &g.rep.inMu[t%inStripes]
	mu.Lock()
	if level == 0 {
		dst = append(dst, *g.rep.in0At(t)...)
	} else {
		for _, e := range *g.rep.inUAt(t) {
			if int(e>>32) == level {
				dst = append(dst, uint32(e))
			}
		}
	}
	mu.Unlock()
	return dst
}

// hasCertifiedInLink reports whether a node other than t whose insert is
// certified links to t on level 0. Caller holds mu.
func (g *Graph) hasCertifiedInLink(t uint32) bool {
	mu := &g.rep.inMu[t%inStripes]
	mu.Lock()
	defer mu.Unlock()
	for _, src := range *g.rep.in0At(t) {
		if src != t && !g.isPending(src) {
			return true
		}
	}
	return false
}

// writeList replaces node id's list on level by list, keeps the in-link
// index in step, marks id dirty if the list changed and, when s is not
// nil, queues the removed level-0 links in s.removed. Caller holds
// nodeMu[id] (or mu for writing).
func (g *Graph) writeList(s *searcher, id uint32, level int, list []Neighbor) {
	blk := g.block(id, level)
	cnt := int(atomic.LoadUint32(&blk[0]))
	old := blk[1 : 1+cnt]
	changed := cnt != len(list)
	for i, n := range list {
		if !changed && old[i] != n.ID {
			changed = true
		}
	}
	if !changed {
		return
	}
	g.touch(id)
	// Copy the old members out before the slots are overwritten.
	var buf [64]uint32
	prev := append(buf[:0], old...)
	g.setLinks(id, level, list)
	for _, o := range prev {
		if !slices.ContainsFunc(list, func(n Neighbor) bool { return n.ID == o }) {
			g.inRemove(o, id, level)
			if s != nil && level == 0 {
				s.removed = append(s.removed, edge{id, o})
			}
		}
	}
	for _, n := range list {
		if !slices.Contains(prev, n.ID) {
			g.inAdd(n.ID, id, level)
		}
	}
	g.markDirty(id)
}

// appendLink adds x to node id's level-0 list if it is not there and the
// list has room. It reports whether id now links to x. Caller holds mu;
// appendLink takes nodeMu[id].
func (g *Graph) appendLink(id, x uint32) bool {
	g.nodeMu[id].Lock()
	defer g.nodeMu[id].Unlock()
	blk := g.block(id, 0)
	cnt := int(atomic.LoadUint32(&blk[0]))
	for i := 1; i <= cnt; i++ {
		if atomic.LoadUint32(&blk[i]) == x {
			return true
		}
	}
	if cnt >= g.m0 {
		return false
	}
	g.touch(id)
	atomic.StoreUint32(&blk[1+cnt], x)
	atomic.StoreUint32(&blk[0], uint32(cnt+1))
	g.inAdd(x, id, 0)
	g.markDirty(id)
	return true
}

// replaceFarthest makes node c link to x on level 0 in place of one of
// c's links, and queues the evicted link for its proof. It evicts the link
// whose target has the most other in-links (the farthest among those), as
// that target most likely stays reachable without it; evicting by distance
// alone can start a chain of evictions on sparse graphs. Caller holds mu;
// it takes nodeMu[c].
func (g *Graph) replaceFarthest(s *searcher, c, x uint32) {
	g.nodeMu[c].Lock()
	defer g.nodeMu[c].Unlock()
	list := g.links(s.ids[:0], c, 0)
	s.ids = list
	if slices.Contains(list, x) {
		return
	}
	g.touch(c)
	if len(list) < g.m0 {
		blk := g.block(c, 0)
		atomic.StoreUint32(&blk[1+len(list)], x)
		atomic.StoreUint32(&blk[0], uint32(len(list)+1))
		g.inAdd(x, c, 0)
		g.markDirty(c)
		return
	}
	far, bestIn, worst := 0, -1, float32(-1)
	for i, y := range list {
		in := g.inDegree0(y)
		d := g.nodeDist(c, y)
		if in > bestIn || (in == bestIn && d > worst) {
			far, bestIn, worst = i, in, d
		}
	}
	s.ndist += uint64(len(list))
	z := list[far]
	atomic.StoreUint32(&g.block(c, 0)[1+far], x)
	g.inRemove(z, c, 0)
	g.inAdd(x, c, 0)
	g.markDirty(c)
	s.removed = append(s.removed, edge{c, z})
}

// inDegree0 returns the number of level-0 in-links of t. Caller holds mu.
func (g *Graph) inDegree0(t uint32) int {
	mu := &g.rep.inMu[t%inStripes]
	mu.Lock()
	defer mu.Unlock()
	return len(*g.rep.in0At(t))
}

// ensurePath makes b reachable from a on level 0. It first walks from a,
// breadth first, expanding at most pathBudget nodes (no distance
// computation); most proofs end there, within two hops. Otherwise it runs
// a beam search of width 2*M from a towards b's vector: if the search
// meets b, b is reachable from a. It returns true in both cases. Otherwise
// it links b from the node closest to b the search found with a free slot
// (or, if all are full, from the closest, evicting its farthest link into
// s.removed) and returns false. Caller holds mu.
func (g *Graph) ensurePath(s *searcher, a, b uint32) bool {
	if a == b {
		return true
	}
	// Most proofs end within two hops of a: look there first.
	s.visited.reset(g.capacity)
	s.visited.visit(a)
	probe := append(s.stack[:0], a)
	for i := 0; i < len(probe) && i < probeBudget; i++ {
		blk := g.block(probe[i], 0)
		n := int(atomic.LoadUint32(&blk[0]))
		for j := 1; j <= n; j++ {
			nb := atomic.LoadUint32(&blk[j])
			if nb == b {
				s.stack = probe[:0]
				g.rep.visited.Add(uint64(i + 1))
				return true
			}
			if !s.visited.visit(nb) {
				probe = append(probe, nb)
			}
		}
	}
	s.stack = probe[:0]
	g.rep.visited.Add(uint64(min(len(probe), probeBudget)))
	// Mark the nodes that reach b within a few in-links (tag back), then
	// walk forward from a until the walk meets one of them.
	s.visited.reset(g.capacity)
	if s.visited.gen == math.MaxUint16 {
		s.visited.reset(g.capacity) // the next reset must not clear the tags
	}
	s.visited.visit(b)
	back := append(s.back[:0], b)
	for i := 0; i < len(back) && i < backBudget; i++ {
		preds := g.inLinks(s.ids[:0], back[i], 0)
		s.ids = preds
		for _, p := range preds {
			if !s.visited.visit(p) {
				back = append(back, p)
			}
		}
	}
	s.back = back[:0]
	tag := s.visited.gen
	s.visited.reset(g.capacity)
	if s.visited.tags[a] == tag {
		g.rep.visited.Add(uint64(min(len(back), backBudget)))
		return true
	}
	s.visited.visit(a)
	queue := append(s.stack[:0], a)
	for i := 0; i < len(queue) && i < pathBudget; i++ {
		blk := g.block(queue[i], 0)
		n := int(atomic.LoadUint32(&blk[0]))
		for j := 1; j <= n; j++ {
			nb := atomic.LoadUint32(&blk[j])
			if s.visited.tags[nb] == tag {
				s.stack = queue[:0]
				g.rep.visited.Add(uint64(i + 1 + min(len(back), backBudget)))
				return true
			}
			if !s.visited.visit(nb) {
				queue = append(queue, nb)
			}
		}
	}
	s.stack = queue[:0]
	bv := &s.qry
	g.prepareNode(bv, b)
	s.ndist++
	before := s.ndist
	g.searchLayer(s, bv, a, g.pdist(bv, a), g.m0, 0, nil)
	g.rep.visited.Add(uint64(min(len(queue), pathBudget)) + s.ndist - before + 1)
	if s.visited.tags[b] == s.visited.gen {
		return true
	}
	// Every node the search found is reachable from a.
	cands := removeID(s.res.drainSorted(s.sorted[:0]), b)
	s.sorted = cands
	g.rep.localSteps.Add(1)
	for _, c := range cands {
		if g.appendLink(c.ID, b) {
			return false
		}
	}
	g.replaceFarthest(s, cands[0].ID, b)
	return false
}

// certify runs the queued proofs of s.removed (and any pairs the caller
// queued there) and certifies the new or moved nodes in fresh: each must
// have a level-0 in-link from a certified node, else a path from from[i]
// (a certified node, or the entry point) is ensured. It returns false if
// the write needed more than maxRepairSteps added links: the caller must
// then run the full repair. Caller holds mu.
func (g *Graph) certify(s *searcher, fresh, from []uint32) bool {
	steps := 0
	for i, x := range fresh {
		if !g.isLive(x) || g.hasCertifiedInLink(x) {
			continue
		}
		if e := g.entry.Load(); e != noEntry {
			if ep, _ := unpackEntry(e); ep == x {
				continue
			}
		}
		if !g.ensurePath(s, from[i], x) {
			steps++
		}
	}
	for i := 0; i < len(s.removed); i++ {
		e := s.removed[i]
		if e.a == e.b || !g.isLive(e.a) || !g.isLive(e.b) {
			continue
		}
		if !g.ensurePath(s, e.a, e.b) {
			steps++
			if steps > maxRepairSteps {
				s.removed = s.removed[:0]
				return false
			}
		}
	}
	s.removed = s.removed[:0]
	return true
}

// repairBulk makes every live node reachable after a bulk insert (AddBulk):
// one traversal of level 0 under the read lock on workers goroutines, and
// only if it finds unreachable nodes, the full repair's rounds under the
// write lock, each checked by the same parallel traversal. Unlike
// Reconnect it does not build the in-link index (the full repair does not
// need it). Caller holds no lock of g. O(n·M) memory reads per traversal.
func (g *Graph) repairBulk(workers int) error {
	g.mu.RLock()
	lost := g.unreachableParallel(workers)
	g.mu.RUnlock()
	if len(lost) == 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rep.bulkRepairs.Add(1)
	s := g.getSearcher()
	defer g.putSearcher(s)
	return g.reconnectWith(s, func() []uint32 { return g.unreachableParallel(workers) })
}

// unreachableParallel returns the live nodes not reachable from the entry
// point on level 0, in id order: a breadth-first traversal whose frontiers
// are shared by workers goroutines (claiming nodes in an atomic bitset),
// then a scan of the live nodes. Caller holds mu. O(n·M) memory reads,
// split over the workers.
func (g *Graph) unreachableParallel(workers int) []uint32 {
	e := g.entry.Load()
	if e == noEntry {
		return nil
	}
	n := g.next.Load()
	ep, _ := unpackEntry(e)
	seen := make([]uint32, (n+31)/32)
	seen[ep>>5] |= 1 << (ep & 31)
	frontier := []uint32{ep}
	workers = max(1, workers)
	nexts := make([][]uint32, workers)
	const grain = 256
	for len(frontier) > 0 {
		var at atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := nexts[w][:0]
				for {
					lo := int(at.Add(grain)) - grain
					if lo >= len(frontier) {
						break
					}
					for _, id := range frontier[lo:min(lo+grain, len(frontier))] {
						blk := g.block(id, 0)
						cnt := int(atomic.LoadUint32(&blk[0]))
						for j := 1; j <= cnt; j++ {
							nb := atomic.LoadUint32(&blk[j])
							bit := uint32(1) << (nb & 31)
							if atomic.LoadUint32(&seen[nb>>5])&bit != 0 {
								continue
							}
							if atomic.OrUint32(&seen[nb>>5], bit)&bit == 0 {
								next = append(next, nb)
							}
						}
					}
				}
				nexts[w] = next
			}()
		}
		wg.Wait()
		frontier = frontier[:0]
		for _, next := range nexts {
			frontier = append(frontier, next...)
		}
	}
	var out []uint32
	for id := uint32(0); id < n; id++ {
		if seen[id>>5]&(1<<(id&31)) == 0 && atomic.LoadUint32(&g.state[id]) == stateLive {
			out = append(out, id)
		}
	}
	return out
}

// certifySource returns a node from which a path to the new node id proves
// it reachable: the closest certified level-0 neighbour it chose, else the
// entry point. Caller holds mu.
func (g *Graph) certifySource(id uint32, sel []Neighbor) uint32 {
	for _, n := range sel {
		if n.ID != id && !g.isPending(n.ID) {
			return n.ID
		}
	}
	ep, _ := unpackEntry(g.entry.Load())
	return ep
}

// inSlack is the room each level-0 in-link list is given beyond its
// length when the index is rebuilt, for the in-links later inserts add.
const inSlack = 2

// rebuildInLinks recomputes the in-link index and level counts from the
// lists, for a restored graph. It counts first, so that the lists of each
// chunk share one backing array (one allocation per 64K nodes instead of
// one per node, and that many fewer objects for the collector to scan); a
// list that outgrows its share later moves to an array of its own. Caller
// holds mu for writing or owns g. O(n·M).
func (g *Graph) rebuildInLinks() {
	for l := range g.rep.levelCount {
		g.rep.levelCount[l].Store(0)
	}
	n := g.next.Load()
	cnt0, cntU := make([]uint32, n), make([]uint32, n)
	g.forEachLink(n, func(id, t uint32, l int) {
		if l == 0 {
			cnt0[t]++
		} else {
			cntU[t]++
		}
	})
	for c := range g.rep.in0 {
		lists0, listsU := g.rep.in0[c], g.rep.inU[c]
		from := uint32(c) << chunkShift
		var total0, totalU int
		for i := range lists0 {
			if t := from + uint32(i); t < n {
				total0 += int(cnt0[t]) + inSlack
				totalU += int(cntU[t])
			}
		}
		back0, backU := make([]uint32, total0), make([]uint64, totalU)
		off0, offU := 0, 0
		for i := range lists0 {
			t := from + uint32(i)
			if t >= n {
				lists0[i], listsU[i] = nil, nil
				continue
			}
			k0, kU := int(cnt0[t])+inSlack, int(cntU[t])
			lists0[i] = back0[off0 : off0 : off0+k0]
			listsU[i] = backU[offU : offU : offU+kU]
			off0, offU = off0+k0, offU+kU
		}
	}
	g.forEachLink(n, func(id, t uint32, l int) {
		if l == 0 {
			in := g.rep.in0At(t)
			*in = append(*in, id)
		} else {
			in := g.rep.inUAt(t)
			*in = append(*in, uint64(id)|uint64(l)<<32)
		}
	})
	for id := uint32(0); id < n; id++ {
		if g.stateAt(id) == stateLive {
			g.rep.levelCount[int(g.levels[id])].Add(1)
		}
	}
}

// forEachLink calls fn for every link id -> t on level l of the live nodes
// below n.
func (g *Graph) forEachLink(n uint32, fn func(id, t uint32, l int)) {
	for id := uint32(0); id < n; id++ {
		if g.stateAt(id) != stateLive {
			continue
		}
		for l := 0; l <= int(g.levels[id]); l++ {
			blk := g.block(id, l)
			for i := 1; i <= int(blk[0]); i++ {
				fn(id, blk[i], l)
			}
		}
	}
}

// topLevelExcept returns the highest level of a live node other than x
// (whose level is lx), or -1. O(MaxLevel).
func (g *Graph) topLevelExcept(lx int) int {
	for l := MaxLevel; l >= 0; l-- {
		c := g.rep.levelCount[l].Load()
		if l == lx {
			c--
		}
		if c > 0 {
			return l
		}
	}
	return -1
}

// newEntryLocked picks the entry point that replaces x: the live node of
// the highest level among x's out- and in-neighbours, or, if none of them
// is on the top level of the other nodes, the result of a scan over all
// nodes (O(n), rare: the top level's nodes link to each other). It returns
// NoID if x is the only live node. Caller holds mu for writing.
func (g *Graph) newEntryLocked(s *searcher, x uint32) (uint32, int) {
	lx := int(g.levels[x])
	top := g.topLevelExcept(lx)
	if top < 0 {
		return NoID, -1
	}
	best, bestLevel := NoID, -1
	consider := func(y uint32) {
		if y == x || !g.liveLocked(y) {
			return
		}
		if l := int(g.levels[y]); l > bestLevel || (l == bestLevel && y < best) {
			best, bestLevel = y, l
		}
	}
	for l := lx; l >= 0 && bestLevel < top; l-- {
		for _, y := range g.links(s.ids[:0], x, l) {
			consider(y)
		}
		ins := g.inLinks(s.ids[:0], x, l)
		s.ids = ins
		for _, y := range ins {
			consider(y)
		}
	}
	if bestLevel == top {
		return best, bestLevel
	}
	return g.highestLocked(x)
}
