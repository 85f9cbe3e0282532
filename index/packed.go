package index

import (
	"sync/atomic"
	"unsafe"
)

// Packed level-0 lists
//
// A graph holds each node's level-0 list at a fixed stride of 2M+1 words
// (a count and 2M slots), so that a write can grow any list in place. A
// graph that will only be searched (a read-only open) needs no room to
// grow: PackLevel0 stores the lists back to back, each 1+degree words,
// with a word per node saying where its list starts. At M 16 and a mean
// degree of 19.3 that is 85 bytes a node instead of 132. A search reads a
// list through its offset and gets the same list: the same results. The
// offset is one more load, and it comes first: expanding a node whose
// offset is not in the cache waits for two misses in a row (the offset,
// then the list) where the fixed stride waits for one, which cost up to
// 16% of the QPS at 200,000 × 128. So prefetchRow, which starts loading a
// node's code when the search scores it (before it can become a candidate
// to expand), also starts loading its offset (prefetchOffset): with it the
// packed lists search as fast as the fixed stride on a Gorder-ordered
// graph and within a few per cent in insertion order, in interleaved A/B
// runs (docs/benchmarks.md, "RSS after open"). The first write
// (unviewLocked, Reorder) puts the lists back at their fixed stride.

// packedLists holds a graph's level-0 lists packed, chunk by chunk like
// links0: node id's list is flat[c][off[c][i]:off[c][i+1]] with c =
// id>>chunkShift, i = id&chunkMask.
type packedLists struct {
	off  [][]uint32 // per chunk: an offset per node and one past the last
	flat [][]uint32 // per chunk: the lists back to back, count first
}

// PackLevel0 packs the level-0 lists (see above): about 4·(1+degree)+4
// bytes a node instead of 4·(2M+1), for a restored graph that will only
// be searched. The graph answers every search as before. The first write
// (Add, AddBatch, AddBulk, Update, Delete, Reconnect, Reorder) or Check
// unpacks the lists first: O(n·M) and 4·(2M+1) bytes a node again. It
// does nothing on a graph that has been written or checked since its
// Restore (or was built by New), or whose lists are packed already. A
// chunk of links0 is dropped as soon as it is packed, so the peak is the
// unpacked lists plus one packed chunk. Waits for running searches.
// O(n·M).
func (g *Graph) PackLevel0() {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A graph with its writers' state skips ensureInLinks' unpacking at
	// its next write: it keeps its fixed stride.
	if g.packed != nil || g.inBuilt.Load() || g.writers {
		return
	}
	n := int(g.next.Load())
	p := &packedLists{off: make([][]uint32, len(g.links0)), flat: make([][]uint32, len(g.links0))}
	for c, chunk := range g.links0 {
		rows := len(chunk) / g.stride0
		off := make([]uint32, rows+1)
		words := 0
		for i := 0; i < rows; i++ {
			off[i] = uint32(words)
			if c<<chunkShift+i < n {
				words += 1 + int(atomic.LoadUint32(&chunk[i*g.stride0]))
			} else {
				words++ // a slot never used: an empty list
			}
		}
		off[rows] = uint32(words)
		flat := make([]uint32, words)
		for i := 0; i < rows; i++ {
			copy(flat[off[i]:off[i+1]], chunk[i*g.stride0:])
		}
		p.off[c], p.flat[c] = off, flat
		g.links0[c] = nil
	}
	g.links0, g.packed = nil, p
}

// prefetchOffset starts loading node id's list offset into the cache, if
// the lists are packed. Caller holds mu.
func (g *Graph) prefetchOffset(id uint32) {
	if p := g.packed; p != nil {
		prefetchVec((*float32)(unsafe.Pointer(&p.off[id>>chunkShift][id&chunkMask])), 1)
	}
}

// unpackLocked puts packed level-0 lists back at their fixed stride, for
// a write. Caller holds mu for writing. O(n·M) once; nothing when the
// lists are not packed.
func (g *Graph) unpackLocked() {
	p := g.packed
	if p == nil {
		return
	}
	links0 := growChunks[uint32](nil, g.capacity, g.stride0)
	for c := range p.flat {
		off, flat := p.off[c], p.flat[c]
		for i := 0; i+1 < len(off); i++ {
			copy(links0[c][i*g.stride0:], flat[off[i]:off[i+1]])
		}
	}
	g.links0, g.packed = links0, nil
}

// Packed reports whether the level-0 lists are packed (PackLevel0).
// Safe for concurrent use.
func (g *Graph) Packed() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.packed != nil
}
