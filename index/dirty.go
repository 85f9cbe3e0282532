package index

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

// TakeDirty returns, and forgets, every id whose MarshalNode output may have
// changed since the previous call: new nodes, nodes whose links changed,
// updated nodes and freed slots (for which MarshalNode now returns nil).
// The order is unspecified; the caller owns the returned slice. Safe for
// concurrent use; an id changed during the call is reported by this call or
// the next.
func (g *Graph) TakeDirty() []uint32 {
	g.dirtyMu.Lock()
	defer g.dirtyMu.Unlock()
	out := g.dirtyList
	for _, id := range out {
		g.dirtyBits[id>>6] &^= 1 << (id & 63)
	}
	g.dirtyList = nil
	return out
}
