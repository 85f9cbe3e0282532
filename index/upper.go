package index

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Upper-level link lists
//
// About one node in M has levels above 0. Their lists (level·strideU
// words: a count and M slots per level) live in one chunked slab, and a
// node holds a 4-byte offset into it (upperLists.off) instead of a slice
// header of its own (24 bytes, for every node, most of them nil): at
// 200,000 nodes 0.8 MB instead of 4.8 MB. Chunks never move, so a search
// reads a list without a lock; the chunk directory is replaced (copy on
// write) when a chunk is added, so a reader holding an older one still
// finds every chunk it knows. The words of a freed node go to a free list
// per level count and are reused by the next node of that many levels.

const (
	upperChunkShift = 16
	upperChunkWords = 1 << upperChunkShift
	noUpper         = ^uint32(0) // off of a node without upper levels
)

// upperLists is a graph's upper-level list storage.
type upperLists struct {
	off []uint32 // per node: chunk<<upperChunkShift | word, or noUpper; sized and copied with levels (under Graph.mu's write lock), written by initNode, freeLocked and the restore before the node is published

	dir atomic.Pointer[[][]uint32] // the chunks, each upperChunkWords long; replaced, never modified, when one is added

	mu   sync.Mutex             // protects used, free and the replacement of dir
	used int                    // words handed out from the last chunk
	free [MaxLevel + 1][]uint32 // offsets of freed lists, by level count
}

// grow sizes off for n nodes, the new ones without upper levels. Caller
// holds Graph.mu for writing.
func (u *upperLists) grow(n int) {
	if n <= len(u.off) {
		return
	}
	off := make([]uint32, n)
	copy(off, u.off)
	for i := len(u.off); i < n; i++ {
		off[i] = noUpper
	}
	u.off = off
}

// alloc returns the offset of level·stride zeroed words, reusing a freed
// list of that many levels first. Safe for concurrent use. level·stride
// must be at most upperChunkWords.
func (u *upperLists) alloc(level, stride int) uint32 {
	words := level * stride
	u.mu.Lock()
	defer u.mu.Unlock()
	if f := u.free[level]; len(f) > 0 {
		o := f[len(f)-1]
		u.free[level] = f[:len(f)-1]
		clear(u.words(o, words))
		return o
	}
	var dir [][]uint32
	if d := u.dir.Load(); d != nil {
		dir = *d
	}
	if len(dir) == 0 || u.used+words > upperChunkWords {
		grown := make([][]uint32, len(dir)+1)
		copy(grown, dir)
		grown[len(dir)] = make([]uint32, upperChunkWords)
		u.dir.Store(&grown)
		dir, u.used = grown, 0
	}
	o := uint32(len(dir)-1)<<upperChunkShift | uint32(u.used)
	u.used += words
	return o
}

// release puts the list at o (of level levels) on the free list. Caller
// holds Graph.mu for writing, so no search reads it any more.
func (u *upperLists) release(o uint32, level int) {
	u.mu.Lock()
	u.free[level] = append(u.free[level], o)
	u.mu.Unlock()
}

// words returns the n words at offset o. O(1).
func (u *upperLists) words(o uint32, n int) []uint32 {
	c := (*u.dir.Load())[o>>upperChunkShift]
	w := int(o & (upperChunkWords - 1))
	return c[w : w+n : w+n]
}

// upperOf returns node id's upper-level lists (level·strideU words), or
// nil for a node of level 0. Caller holds mu.
func (g *Graph) upperOf(id uint32) []uint32 {
	o := g.up.off[id]
	if o == noUpper {
		return nil
	}
	return g.up.words(o, int(g.levels[id])*g.strideU)
}

// dropUpper releases node id's upper-level lists (of levels[id] levels).
// Caller holds mu for writing, or the node is not published.
func (g *Graph) dropUpper(id uint32) {
	if o := g.up.off[id]; o != noUpper {
		g.up.release(o, int(g.levels[id]))
		g.up.off[id] = noUpper
	}
}

// upperBytes returns the bytes held for upper-level lists: the offsets
// and the slab's chunks. O(chunks).
func (u *upperLists) upperBytes() int64 {
	n := int64(4 * len(u.off))
	if d := u.dir.Load(); d != nil {
		n += int64(len(*d)) * 4 * upperChunkWords
	}
	return n
}

// checkUpper returns what is wrong with node id's upper-level storage for
// level levels, or "". Caller holds mu.
func (g *Graph) checkUpper(id uint32, level int) string {
	o := g.up.off[id]
	switch {
	case (o == noUpper) != (level == 0):
		return fmt.Sprintf("upper lists at offset %#x for level %d", o, level)
	case o == noUpper:
		return ""
	}
	d := g.up.dir.Load()
	if d == nil || int(o>>upperChunkShift) >= len(*d) || int(o&(upperChunkWords-1))+level*g.strideU > upperChunkWords {
		return fmt.Sprintf("upper lists at offset %#x beyond the slab", o)
	}
	return ""
}
