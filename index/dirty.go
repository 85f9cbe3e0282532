package index

import "slices"

// markDirty records ids whose MarshalNode output may have changed.
func (g *Graph) markDirty(ids ...uint32) {
	g.dirtyMu.Lock()
	for _, id := range ids {
		w := int(id >> 6)
		if w >= len(g.dirtyBits) {
			bits := make([]uint64, growCap(len(g.dirtyBits), w+1))
			copy(bits, g.dirtyBits)
			g.dirtyBits = bits
		}
		if bit := uint64(1) << (id & 63); g.dirtyBits[w]&bit == 0 {
			g.dirtyBits[w] |= bit
			g.dirtyList = append(g.dirtyList, id)
		}
	}
	g.dirtyMu.Unlock()
}

// isDirty reports whether id is marked dirty.
func (g *Graph) isDirty(id uint32) bool {
	g.dirtyMu.Lock()
	defer g.dirtyMu.Unlock()
	w := int(id >> 6)
	return w < len(g.dirtyBits) && g.dirtyBits[w]&(1<<(id&63)) != 0
}

// unmarkDirty forgets that id is dirty. Its entry stays in dirtyList;
// TakeDirty skips entries whose bit is clear.
func (g *Graph) unmarkDirty(id uint32) {
	g.dirtyMu.Lock()
	if w := int(id >> 6); w < len(g.dirtyBits) {
		g.dirtyBits[w] &^= 1 << (id & 63)
	}
	g.dirtyMu.Unlock()
}

// TakeDirty returns, and forgets, every id whose MarshalNode output changed
// since the previous call: new nodes, nodes whose links changed, updated
// nodes (their vector changed, whether or not their links did) and freed
// slots (for which MarshalNode now returns nil). A list that an Update or
// Delete changed and then restored is not reported. The order is
// unspecified; the caller owns the returned slice. Safe for concurrent use;
// an id changed during the call is reported by this call or the next.
func (g *Graph) TakeDirty() []uint32 {
	g.dirtyMu.Lock()
	defer g.dirtyMu.Unlock()
	out := g.dirtyList[:0]
	for _, id := range g.dirtyList {
		w, bit := id>>6, uint64(1)<<(id&63)
		if g.dirtyBits[w]&bit != 0 {
			g.dirtyBits[w] &^= bit
			out = append(out, id)
		}
	}
	g.dirtyList = nil
	return out
}

// beginSnapshot starts recording, for an exclusive write, the lists of the
// nodes it touches, so that endSnapshot can un-mark those it leaves as they
// were. Caller holds mu for writing.
func (g *Graph) beginSnapshot() {
	g.rep.snap = map[uint32][]uint32{}
	g.rep.snapDirty = map[uint32]bool{}
}

// touch records node id's lists before an exclusive write first changes
// them. A no-op outside beginSnapshot/endSnapshot.
func (g *Graph) touch(id uint32) {
	if g.rep.snap == nil {
		return
	}
	if _, ok := g.rep.snap[id]; ok {
		return
	}
	g.rep.snap[id] = g.listsOf(id)
	g.rep.snapDirty[id] = g.isDirty(id)
}

// endSnapshot un-marks the nodes the write touched that were clean before
// it and whose lists it left unchanged, except keep. Caller holds mu for
// writing.
func (g *Graph) endSnapshot(keep uint32) {
	for id, before := range g.rep.snap {
		if id != keep && !g.rep.snapDirty[id] && slices.Equal(before, g.listsOf(id)) && (before == nil) == !g.liveLocked(id) {
			g.unmarkDirty(id)
		}
	}
	g.rep.snap, g.rep.snapDirty = nil, nil
}

// listsOf returns node id's level and lists (count, then ids, per level),
// or nil if id is not live. Caller holds mu.
func (g *Graph) listsOf(id uint32) []uint32 {
	if !g.liveLocked(id) {
		return nil
	}
	level := int(g.levels[id])
	out := []uint32{uint32(level)}
	for l := 0; l <= level; l++ {
		n := g.degree(id, l)
		out = append(out, uint32(n))
		out = g.links(out, id, l)
	}
	return out
}
