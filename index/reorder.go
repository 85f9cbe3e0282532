package index

import (
	"fmt"
	"os"
	"slices"
	"sync/atomic"

	"github.com/vecbolt/vecbolt/index/quant"
)

// Order names a renumbering of a graph's nodes for memory locality (see
// Graph.Reorder). The zero value, OrderNone, keeps the ids.
type Order uint8

const (
	// OrderNone keeps every id (Reorder only compacts freed slots away).
	OrderNone Order = iota
	// OrderBFS numbers the nodes in breadth-first order of the level-0
	// graph from the entry point, each node's neighbours in list order
	// (closest first), so that a node and its neighbours get nearby ids.
	OrderBFS
	// OrderRCM is reverse Cuthill-McKee: breadth-first from the entry
	// point with each node's unnumbered neighbours taken in increasing
	// degree, the whole order then reversed. It bounds the bandwidth of
	// the adjacency matrix (|new(u)-new(v)| over links), the classic
	// locality order for sparse matrices.
	OrderRCM
	// OrderGorder is a light Gorder (Wei et al., SIGMOD 2016): nodes are
	// placed one at a time, each time the unplaced node that shares the
	// most links and in-neighbours with the last GorderWindow placed ones,
	// so that nodes searched together sit together.
	OrderGorder
)

// GorderWindow is the window of OrderGorder: how many of the last placed
// nodes a candidate's score counts links to.
const GorderWindow = 5

var orderNames = [...]string{OrderNone: "none", OrderBFS: "bfs", OrderRCM: "rcm", OrderGorder: "gorder"}

// String returns the order's name as ParseOrder accepts it.
func (o Order) String() string {
	if int(o) < len(orderNames) {
		return orderNames[o]
	}
	return fmt.Sprintf("Order(%d)", uint8(o))
}

// ParseOrder returns the Order named s ("none", "bfs", "rcm" or
// "gorder"), or an error wrapping ErrOptions.
func ParseOrder(s string) (Order, error) {
	for i, n := range orderNames {
		if n == s {
			return Order(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown node order %q (want none, bfs, rcm or gorder)", ErrOptions, s)
}

// Reorder renumbers the graph's live nodes 0..Len()-1 in order o, moving
// their vectors (or codes, on an encoded graph), link lists and levels,
// and returns the permutation: perm
// has MaxID() entries as they were before the call, perm[old] is the node's
// new id, NoID for a slot that was free. A renumbered graph is the same
// graph: a search returns the same neighbours under their new ids. Freed
// slots are compacted away whatever the order, so MaxID() becomes Len().
//
// The caller keeps its keys by mapping ids through perm, and must rewrite
// every stored node and vector under its new id: TakeDirty reports every
// id below the old MaxID (MarshalNode returns nil for those now free).
// Ids held from before the call name other nodes after it.
//
// Reorder is exclusive: it waits for running searches and writes, and
// holds the graph for O(n·(dim+M)) time to move it (OrderBFS and OrderRCM
// add O(n·M), OrderGorder O(n·M²)). Vectors, codes and level-0 lists are
// permuted in place (permuteRows), so the graph's memory does not double;
// a graph whose vectors are views of the caller's memory
// (Restorer.SetVectors, SetCodes) gets vectors or codes of its own, and
// those new slabs are advised onto transparent huge pages on Linux
// (adviseHuge) unless the environment has VECBOLT_HUGEPAGES=off (read at
// each call). The in-link index that writes need is rebuilt lazily by the
// next write or Check.
func (g *Graph) Reorder(o Order) ([]uint32, error) {
	if o > OrderGorder {
		return nil, fmt.Errorf("%w: unknown node order %d", ErrOptions, uint8(o))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.next.Load()
	order := g.orderLocked(o, n) // new id -> old id, live nodes only
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = NoID
	}
	for nu, old := range order {
		perm[old] = uint32(nu)
	}
	g.permuteLocked(order, perm)
	return perm, nil
}

// orderLocked returns the live nodes below n in order o (new id -> old
// id). Caller holds mu.
func (g *Graph) orderLocked(o Order, n uint32) []uint32 {
	live := make([]uint32, 0, g.live.Load())
	for id := uint32(0); id < n; id++ {
		if g.stateAt(id) == stateLive {
			live = append(live, id)
		}
	}
	e := g.entry.Load()
	if o == OrderNone || e == noEntry {
		return live
	}
	ep, _ := unpackEntry(e)
	switch o {
	case OrderRCM:
		return g.orderCM(ep, n, live, true)
	case OrderGorder:
		return g.orderGorder(ep, n, live)
	}
	return g.orderCM(ep, n, live, false)
}

// orderCM numbers the level-0 graph breadth-first from ep, each node's
// new neighbours in list order (byDegree false: BFS) or by increasing
// degree, then reversed (byDegree true: RCM). Live nodes the traversal
// does not reach (none in a graph that passes Check) follow in id order,
// each starting a traversal of its own.
func (g *Graph) orderCM(ep, n uint32, live []uint32, byDegree bool) []uint32 {
	seen := make([]bool, n)
	out := make([]uint32, 0, len(live))
	var nbs []uint32
	bfs := func(start uint32) {
		seen[start] = true
		out = append(out, start)
		for head := len(out) - 1; head < len(out); head++ {
			nbs = g.links(nbs[:0], out[head], 0)
			tail := len(out)
			for _, nb := range nbs {
				if nb < n && !seen[nb] && g.stateAt(nb) == stateLive {
					seen[nb] = true
					out = append(out, nb)
				}
			}
			if byDegree {
				added := out[tail:]
				slices.SortStableFunc(added, func(a, b uint32) int { return g.degree(a, 0) - g.degree(b, 0) })
			}
		}
	}
	bfs(ep)
	for _, id := range live {
		if !seen[id] {
			bfs(id)
		}
	}
	if byDegree {
		slices.Reverse(out)
	}
	return out
}

// permuteLocked moves every live node old = order[new] to new, remapping
// links through perm, and compacts the id space to len(order). Caller
// holds mu for writing. The vectors (or codes) and level-0 lists are
// permuted in place, following the permutation's cycles with one spare
// row, so the graph's memory does not double; vectors or codes that are
// views of the caller's memory are copied into slabs of their own instead.
func (g *Graph) permuteLocked(order, perm []uint32) {
	g.unpackLocked() // lists are permuted in place, at their full stride
	oldNext := g.next.Load()
	live := make([]bool, oldNext)
	for _, old := range order {
		live[old] = true
	}
	huge := os.Getenv("VECBOLT_HUGEPAGES") != "off"
	switch {
	case g.enc == quant.None && g.viewed:
		vecs := growChunks[float32](nil, g.capacity, g.dim)
		for _, c := range vecs {
			if huge {
				adviseHuge(c)
			}
		}
		for nu, old := range order {
			id := uint32(nu)
			b := int(id&chunkMask) * g.dim
			copy(vecs[id>>chunkShift][b:b+g.dim], g.vec(old))
		}
		g.vecs, g.vshift, g.viewed = vecs, chunkShift, false
	case g.enc == quant.None:
		permuteRows(g.vec, perm, live)
	case g.cviewed:
		codes, corrs := g.newCodeSlabs()
		for nu, old := range order {
			g.copyCode(codes, corrs, uint32(nu), old)
		}
		g.codes, g.corrs, g.cshift, g.cviewed = codes, corrs, chunkShift, false
	default:
		permuteRows(g.code, perm, live)
		if g.corrs != nil {
			permuteRows(func(id uint32) []float32 {
				return g.corrs[id>>chunkShift][id&chunkMask : id&chunkMask+1]
			}, perm, live)
		}
	}
	permuteRows(func(id uint32) []uint32 { return g.block(id, 0) }, perm, live)
	upper := make([]uint32, len(g.up.off))
	for i := range upper {
		upper[i] = noUpper
	}
	levels := make([]uint8, g.capacity)
	state := make([]uint32, g.capacity)
	for nu, old := range order {
		id := uint32(nu)
		remapList(g.block(id, 0), g.block(id, 0), perm)
		levels[id] = g.levels[old]
		if u := g.upperOf(old); u != nil {
			for l := 0; l < len(u); l += g.strideU {
				remapList(u[l:], u[l:l+g.strideU], perm)
			}
			upper[id] = g.up.off[old]
		}
		state[id] = stateLive
	}
	// Rows past the new end held free or moved nodes: clear their lists.
	for id := uint32(len(order)); id < oldNext; id++ {
		clear(g.block(id, 0))
	}
	g.up.off, g.levels, g.state = upper, levels, state
	if e := g.entry.Load(); e != noEntry {
		ep, top := unpackEntry(e)
		g.entry.Store(packEntry(perm[ep], top))
	}
	g.allocMu.Lock()
	g.free = nil
	g.next.Store(uint32(len(order)))
	g.allocMu.Unlock()
	// The in-link index is keyed by id: drop it, ensureInLinks rebuilds it
	// (with the level counts, which a permutation does not change).
	g.inBuilt.Store(false)
	for c := range g.rep.in0 {
		clear(g.rep.in0[c])
		clear(g.rep.inU[c])
	}
	g.dirtyMu.Lock()
	g.dirtyBits, g.dirtyList = nil, nil
	g.dirtyMu.Unlock()
	all := make([]uint32, oldNext)
	for i := range all {
		all[i] = uint32(i)
	}
	g.markDirty(all...)
}

// permuteRows moves row old (as row returns it: fixed-width slices that
// do not overlap) to row perm[old] for every old with live[old], in
// place: each cycle or chain of the permutation is followed once,
// carrying the displaced row in a spare. Rows that no live row moves to
// keep stale contents. O(n·width) time, O(width) extra memory besides a
// bit per row.
func permuteRows[T any](row func(uint32) []T, perm []uint32, live []bool) {
	done := make([]bool, len(live))
	var carry, spare []T
	for s := range live {
		if !live[s] || done[s] {
			continue
		}
		src := row(uint32(s))
		if carry == nil {
			carry, spare = make([]T, len(src)), make([]T, len(src))
		}
		copy(carry, src)
		done[s] = true
		for d := perm[s]; ; {
			dst := row(d)
			if int(d) < len(live) && live[d] && !done[d] {
				// d's row is still needed: carry it on.
				copy(spare, dst)
				copy(dst, carry)
				carry, spare = spare, carry
				done[d] = true
				d = perm[d]
				continue
			}
			copy(dst, carry)
			break
		}
	}
}

// remapList writes list src (count, then slots) to dst with every slot
// mapped through perm. Links to nodes that are not live (perm NoID) are
// dropped; a graph that passes Check has none.
func remapList(dst, src, perm []uint32) {
	cnt := int(atomic.LoadUint32(&src[0]))
	k := 0
	for i := 1; i <= cnt; i++ {
		old := atomic.LoadUint32(&src[i])
		if int(old) < len(perm) && perm[old] != NoID {
			k++
			dst[k] = perm[old]
		}
	}
	dst[0] = uint32(k)
}

// orderGorder places the nodes greedily: the entry point first, then each
// time the unplaced node with the highest score, where a node scores one
// for each link between it and a node of the window (the last GorderWindow
// placed) and one for each in-neighbour it shares with one. Ties and nodes
// with no score follow breadth-first order. Scores live in a bucket queue
// (Gorder's unit heap): O(1) per change, O(n·M²) in all.
func (g *Graph) orderGorder(ep, n uint32, live []uint32) []uint32 {
	// Level-0 out- and in-lists of the live nodes, as CSR.
	outOff := make([]int, n+1)
	var out []uint32
	var nbs []uint32
	for id := uint32(0); id < n; id++ {
		if g.stateAt(id) == stateLive {
			for _, nb := range g.links(nbs[:0], id, 0) {
				if nb < n && g.stateAt(nb) == stateLive {
					out = append(out, nb)
				}
			}
		}
		outOff[id+1] = len(out)
	}
	inOff := make([]int, n+1)
	for _, t := range out {
		inOff[t+1]++
	}
	for i := uint32(0); i < n; i++ {
		inOff[i+1] += inOff[i]
	}
	in := make([]uint32, len(out))
	fill := slices.Clone(inOff[:n])
	for id := uint32(0); id < n; id++ {
		for _, t := range out[outOff[id]:outOff[id+1]] {
			in[fill[t]] = id
			fill[t]++
		}
	}

	q := newUnitQueue(n)
	for _, id := range slices.Backward(g.orderCM(ep, n, live, false)) {
		q.insert(id) // bucket 0 pops in BFS order
	}
	bump := func(v uint32, d int) {
		for _, w := range out[outOff[v]:outOff[v+1]] {
			q.add(w, d)
		}
		for _, x := range in[inOff[v]:inOff[v+1]] {
			q.add(x, d)
			for _, w := range out[outOff[x]:outOff[x+1]] {
				if w != v {
					q.add(w, d)
				}
			}
		}
	}
	order := make([]uint32, 0, len(live))
	for len(order) < len(live) {
		v := q.popMax()
		order = append(order, v)
		bump(v, 1)
		if len(order) > GorderWindow {
			bump(order[len(order)-1-GorderWindow], -1)
		}
	}
	return order
}

// unitQueue is a max-priority queue of node ids with small integer keys,
// kept as one doubly linked list per key: insert, add and popMax are O(1)
// amortised. Ids not inserted, or already popped, ignore add.
type unitQueue struct {
	key        []int32  // per id; -1: not queued
	prev, next []uint32 // list links; NoID ends a list
	head       []uint32 // per key: first id, NoID if empty
	top        int      // no key above top has a non-empty list
}

func newUnitQueue(n uint32) *unitQueue {
	q := &unitQueue{key: make([]int32, n), prev: make([]uint32, n), next: make([]uint32, n), head: []uint32{NoID}}
	for i := range q.key {
		q.key[i] = -1
	}
	return q
}

func (q *unitQueue) link(id uint32, k int32) {
	for int(k) >= len(q.head) {
		q.head = append(q.head, NoID)
	}
	q.key[id] = k
	q.prev[id], q.next[id] = NoID, q.head[k]
	if h := q.head[k]; h != NoID {
		q.prev[h] = id
	}
	q.head[k] = id
	q.top = max(q.top, int(k))
}

func (q *unitQueue) unlink(id uint32) {
	k := q.key[id]
	if p := q.prev[id]; p != NoID {
		q.next[p] = q.next[id]
	} else {
		q.head[k] = q.next[id]
	}
	if nx := q.next[id]; nx != NoID {
		q.prev[nx] = q.prev[id]
	}
}

func (q *unitQueue) insert(id uint32) { q.link(id, 0) }

func (q *unitQueue) add(id uint32, d int) {
	k := q.key[id]
	if k < 0 {
		return
	}
	q.unlink(id)
	q.link(id, max(k+int32(d), 0))
}

// popMax removes and returns an id with the highest key. The queue must
// not be empty.
func (q *unitQueue) popMax() uint32 {
	for q.head[q.top] == NoID {
		q.top--
	}
	id := q.head[q.top]
	q.unlink(id)
	q.key[id] = -1
	return id
}
