package index

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// CodecVersion is the version byte at the start of MarshalMeta's output.
// Restore rejects other versions.
const CodecVersion = 1

// metaLen is the length of a version-1 meta blob.
const metaLen = 1 + 1 + 4 + 4 + 4 + 4 + 8 + 4 + 1

// MarshalNode appends node id's stored form to dst and returns it, or
// returns nil if id is not live. The form is
//
//	level           uint8
//	for l in 0..level:
//	  count         uint16 little-endian (<= 2*M on level 0, <= M above)
//	  count × id    uint32 little-endian
//
// The vector is not included (the caller stores it). Safe for concurrent
// use; a node changed concurrently is reported again by TakeDirty.
func (g *Graph) MarshalNode(id uint32, dst []byte) []byte {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.isLive(id) {
		return nil
	}
	level := int(g.levels[id])
	dst = append(dst, uint8(level))
	// A restored graph has no node mutexes until its first write, and no
	// writer can run while this read lock is held without them.
	if len(g.nodeMu) > int(id) {
		g.nodeMu[id].Lock()
		defer g.nodeMu[id].Unlock()
	}
	for l := 0; l <= level; l++ {
		blk := g.block(id, l)
		cnt := int(atomic.LoadUint32(&blk[0]))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(cnt))
		for i := 1; i <= cnt; i++ {
			dst = binary.LittleEndian.AppendUint32(dst, atomic.LoadUint32(&blk[i]))
		}
	}
	return dst
}

// MarshalMeta returns the graph-wide state a restore needs:
//
//	version         uint8 (CodecVersion)
//	metric          uint8
//	dim             uint32 little-endian
//	M, EfConstruction, Ef  uint32 little-endian each
//	seed            int64 little-endian
//	entry point     uint32 little-endian (NoID when empty)
//	max level       uint8
//
// Safe for concurrent use.
func (g *Graph) MarshalMeta() []byte {
	b := make([]byte, 0, metaLen)
	b = append(b, CodecVersion, uint8(g.metric))
	b = binary.LittleEndian.AppendUint32(b, uint32(g.dim))
	b = binary.LittleEndian.AppendUint32(b, uint32(g.opts.M))
	b = binary.LittleEndian.AppendUint32(b, uint32(g.opts.EfConstruction))
	b = binary.LittleEndian.AppendUint32(b, uint32(g.opts.Ef))
	b = binary.LittleEndian.AppendUint64(b, uint64(g.opts.Seed))
	ep, top := NoID, 0
	if e := g.entry.Load(); e != noEntry {
		ep, top = unpackEntry(e)
	}
	b = binary.LittleEndian.AppendUint32(b, ep)
	return append(b, uint8(top))
}

// Restorer rebuilds a graph from MarshalMeta and MarshalNode output. Call
// Node once per stored node, in any order, then Finish. A Restorer is not
// safe for concurrent use.
type Restorer struct {
	codes    restoreCodes // an encoded graph's rows (codec_codes.go)
	g        *Graph
	n        uint32
	seen     []bool
	entry    uint32
	top      int
	restored atomic.Int64 // Node calls that succeeded

	vecsOnce sync.Once // allocates the float32 slab for the first copied vector (ownVecs)
}

// Restore starts restoring a graph of n = MaxID slots from meta. dim,
// metric and opts are the caller's configuration: dim, metric and M must
// agree with meta (their disagreement is corruption); EfConstruction, Ef
// and Seed are taken from opts, so a caller can change them. Errors wrap
// ErrCorrupt (or ErrOptions/ErrMetric for bad arguments).
func Restore(dim int, metric Metric, opts Options, meta []byte, n uint32) (*Restorer, error) {
	g, err := New(dim, metric, opts)
	if err != nil {
		return nil, err
	}
	if len(meta) < 1 {
		return nil, corruptf("empty graph meta")
	}
	if meta[0] != CodecVersion {
		return nil, corruptf("graph meta version %d, want %d", meta[0], CodecVersion)
	}
	if len(meta) != metaLen {
		return nil, corruptf("graph meta is %d bytes, want %d", len(meta), metaLen)
	}
	le := binary.LittleEndian
	if Metric(meta[1]) != metric {
		return nil, corruptf("graph meta metric %s, collection metric %s", Metric(meta[1]), metric)
	}
	if d := le.Uint32(meta[2:]); d != uint32(dim) {
		return nil, corruptf("graph meta dimension %d, collection dimension %d", d, dim)
	}
	if m := le.Uint32(meta[6:]); m != uint32(g.opts.M) {
		return nil, corruptf("graph meta M %d, configured M %d", m, g.opts.M)
	}
	entry := le.Uint32(meta[26:])
	top := int(meta[30])
	if n > MaxNodes {
		return nil, corruptf("%d nodes, limit %d", n, uint32(MaxNodes))
	}
	if top > MaxLevel {
		return nil, corruptf("max level %d, limit %d", top, MaxLevel)
	}
	if entry == NoID {
		if top != 0 {
			return nil, corruptf("empty graph with max level %d", top)
		}
	} else if entry >= n {
		return nil, corruptf("entry point %d beyond %d nodes", entry, n)
	}
	// The writers' per-node state waits for the first write
	// (ensureInLinks), and the vector slab for the first vector to copy
	// (Restorer.putVec): a searcher of views or codes needs neither.
	g.inBuilt.Store(false)
	g.mu.Lock()
	g.growSlabsLocked(int(n), false)
	g.mu.Unlock()
	// Every slot of these is written once by the restore: huge pages make
	// that a few faults per 2 MiB instead of one per 4 KiB.
	for _, c := range g.links0 {
		adviseHuge(c)
	}
	adviseHuge(g.state)
	adviseHuge(g.levels)
	adviseHuge(g.up.off)
	seen := make([]bool, n)
	adviseHuge(seen)
	g.next.Store(n)
	return &Restorer{g: g, n: n, seen: seen, entry: entry, top: top}, nil
}

// SetVectors makes the graph read its vectors from chunks, without copying
// them: node id's vector is chunks[id>>shift][(id&(1<<shift-1))*dim:][:dim].
// Call it before any Node, then pass Node a nil vector: restoring then
// copies no vector, which is what opening a file without loading its
// vectors needs (the chunks can be views of a mapped file). The caller
// must keep the chunks unchanged and valid for the graph's life. The
// graph never writes them: its first write (Add, Update, Delete,
// Reconnect) or Check copies them first (O(n·dim), once). shift must be
// at most 16 and every chunk hold whole vectors, at most 1<<shift.
func (r *Restorer) SetVectors(shift uint, chunks [][]float32) error {
	g := r.g
	if g == nil || r.restored.Load() != 0 {
		return fmt.Errorf("index: Restorer.SetVectors after Node or Finish")
	}
	if shift > chunkShift {
		return fmt.Errorf("%w: vector chunks of 1<<%d nodes, limit 1<<%d", ErrOptions, shift, chunkShift)
	}
	for i, c := range chunks {
		if len(c)%g.dim != 0 || len(c) > g.dim<<shift {
			return corruptf("vector chunk %d has %d components, not whole vectors of %d up to %d", i, len(c), g.dim, g.dim<<shift)
		}
	}
	g.vecs, g.vshift, g.viewed = chunks, shift, true
	return nil
}

// Node restores node id from its vector (copied) and its MarshalNode
// bytes. It checks lengths, level, counts against the degree limits, ids
// against n and for self-loops and duplicates, and returns an error
// wrapping ErrCorrupt; it never panics on bad bytes. It allocates nothing
// for a level-0 node. Node may be called from several goroutines at once
// for distinct ids (a loader decoding on all cores); Finish must wait for
// all of them.
func (r *Restorer) Node(id uint32, vec []float32, node []byte) error {
	g := r.g
	if g == nil {
		return fmt.Errorf("index: Restorer.Node after Finish")
	}
	if id >= r.n {
		return corruptf("node %d beyond %d nodes", id, r.n)
	}
	if r.seen[id] {
		return corruptf("node %d restored twice", id)
	}
	if vec == nil && r.codes.set {
		if err := r.checkCodeRow(id); err != nil {
			return err
		}
	} else if vec == nil && g.viewed {
		if c, row := int(id>>g.vshift), int(id&(1<<g.vshift-1)); c >= len(g.vecs) || (row+1)*g.dim > len(g.vecs[c]) {
			return corruptf("node %d: no vector in the chunks given to SetVectors", id)
		}
	} else if len(vec) != g.dim {
		return corruptf("node %d: vector has %d components, want %d", id, len(vec), g.dim)
	}
	if len(node) < 1 {
		return corruptf("node %d: empty record", id)
	}
	level := int(node[0])
	if level > MaxLevel {
		return corruptf("node %d: level %d, limit %d", id, level, MaxLevel)
	}
	// Validate everything before touching the graph.
	var seen dupTable
	seen.init()
	p := node[1:]
	for l := 0; l <= level; l++ {
		if len(p) < 2 {
			return corruptf("node %d level %d: truncated count", id, l)
		}
		cnt := int(binary.LittleEndian.Uint16(p))
		p = p[2:]
		if cnt > g.maxLinks(l) {
			return corruptf("node %d level %d: %d links, limit %d", id, l, cnt, g.maxLinks(l))
		}
		if len(p) < 4*cnt {
			return corruptf("node %d level %d: truncated links", id, l)
		}
		for i := 0; i < cnt; i++ {
			x := binary.LittleEndian.Uint32(p[4*i:])
			if x >= r.n {
				return corruptf("node %d level %d: link to %d beyond %d nodes", id, l, x, r.n)
			}
			if x == id {
				return corruptf("node %d level %d: self-loop", id, l)
			}
			if cnt > dupTableSize/2 { // rare: wide lists are checked pairwise
				for j := 0; j < i; j++ {
					if binary.LittleEndian.Uint32(p[4*j:]) == x {
						return corruptf("node %d level %d: duplicate link to %d", id, l, x)
					}
				}
			} else if !seen.add(x) {
				return corruptf("node %d level %d: duplicate link to %d", id, l, x)
			}
		}
		seen.reset()
		p = p[4*cnt:]
	}
	if len(p) != 0 {
		return corruptf("node %d: %d trailing bytes", id, len(p))
	}
	for _, x := range vec {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return corruptf("node %d: vector holds NaN or Inf", id)
		}
	}
	// initNode without its shared live counter (Finish sets it): two
	// workers adding to one atomic per node would fight over its cache
	// line.
	if vec != nil {
		if err := r.putVec(id, vec); err != nil {
			return err
		}
	}
	g.levels[id] = uint8(level)
	atomic.StoreUint32(&g.block(id, 0)[0], 0)
	if level > 0 {
		g.up.off[id] = g.up.alloc(level, g.strideU)
	}
	atomic.StoreUint32(&g.state[id], stateLive)
	if r.restored.Load() == 0 {
		r.restored.Store(1)
	}
	p = node[1:]
	for l := 0; l <= level; l++ {
		cnt := int(binary.LittleEndian.Uint16(p))
		p = p[2:]
		blk := g.block(id, l)
		for i := 0; i < cnt; i++ {
			blk[1+i] = binary.LittleEndian.Uint32(p[4*i:])
		}
		atomic.StoreUint32(&blk[0], uint32(cnt))
		p = p[4*cnt:]
	}
	r.seen[id] = true
	return nil
}

// Finish checks that every link points at a restored node whose level is
// at least the link's level and that the entry point is a restored node on
// the top level, puts the ids never restored on the free list (lowest
// reused first), and returns the graph. Errors wrap ErrCorrupt. The
// Restorer cannot be used afterwards. The restored graph is not checked for
// reachability; call Graph.Check for that.
func (r *Restorer) Finish() (*Graph, error) {
	g := r.g
	if g == nil {
		return nil, fmt.Errorf("index: Restorer.Finish called twice")
	}
	top := -1
	for id := uint32(0); id < r.n; id++ {
		if !r.seen[id] {
			continue
		}
		level := int(g.levels[id])
		top = max(top, level)
		for l := 0; l <= level; l++ {
			blk := g.block(id, l)
			for i := 1; i <= int(blk[0]); i++ {
				x := blk[i]
				if !r.seen[x] {
					return nil, corruptf("node %d level %d: link to %d, which was not restored", id, l, x)
				}
				if int(g.levels[x]) < l {
					return nil, corruptf("node %d level %d: link to %d of level %d", id, l, x, g.levels[x])
				}
			}
		}
	}
	switch {
	case top < 0 && r.entry != NoID:
		return nil, corruptf("entry point %d in a graph with no nodes", r.entry)
	case top >= 0 && r.entry == NoID:
		return nil, corruptf("no entry point in a graph with nodes")
	case top >= 0 && !r.seen[r.entry]:
		return nil, corruptf("entry point %d was not restored", r.entry)
	case top >= 0 && (int(g.levels[r.entry]) != r.top || r.top != top):
		return nil, corruptf("entry point %d has level %d, meta says %d, top level is %d", r.entry, g.levels[r.entry], r.top, top)
	}
	if top >= 0 {
		g.entry.Store(packEntry(r.entry, r.top))
	}
	live := int64(0)
	for _, ok := range r.seen {
		if ok {
			live++
		}
	}
	g.live.Store(live)
	for id := r.n; id > 0; id-- {
		if !r.seen[id-1] {
			g.free = append(g.free, id-1)
		}
	}
	g.inBuilt.Store(false) // built by the first write or Check (ensureInLinks)
	r.finishCodes()
	r.ownVecs() // a float32 graph given no vector yet: the slab later writes fill
	r.g = nil
	return g, nil
}

// dupTableSize is the number of slots of a dupTable: twice the longest
// list it checks.
const dupTableSize = 128

// dupTable finds a repeated id in a link list in O(1) per id: an
// open-addressing set on the stack, instead of comparing every pair
// (which cost a tenth of a large collection's load). init fills it once;
// reset empties only the slots the last list used, so checking a node
// costs its links, not the table's size.
type dupTable struct {
	slot [dupTableSize]uint32
	used [dupTableSize / 2]uint8 // slots filled since the last reset
	n    int                     // entries of used
}

func (t *dupTable) init() {
	for i := range t.slot {
		t.slot[i] = NoID
	}
	t.n = 0
}

func (t *dupTable) reset() {
	for _, h := range t.used[:t.n] {
		t.slot[h] = NoID
	}
	t.n = 0
}

// add inserts x (never NoID: ids are below MaxNodes) and reports whether
// it was absent. At most dupTableSize/2 ids go in between resets.
func (t *dupTable) add(x uint32) bool {
	for h := (x * 2654435761) >> 25; ; h = (h + 1) & (dupTableSize - 1) {
		switch t.slot[h] {
		case NoID:
			t.slot[h] = x
			t.used[t.n] = uint8(h)
			t.n++
			return true
		case x:
			return false
		}
	}
}
