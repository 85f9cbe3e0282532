package index

import (
	"fmt"
	"math"
	"math/rand"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/vecbolt/vecbolt/index/quant"
)

// NoID is never a node id. AddBatch reports it for vectors it did not add.
const NoID uint32 = math.MaxUint32

// Node states, stored in Graph.state and read with atomic loads.
const (
	stateFree    uint32 = iota // never used, or freed by Delete
	stateLive                  // searchable
	stateDeleted               // tombstone: inside Delete only, before the slot is freed
)

// noEntry is the packed entry point of an empty graph.
const noEntry = math.MaxUint64

func packEntry(id uint32, level int) uint64 { return uint64(level)<<32 | uint64(id) }
func unpackEntry(e uint64) (uint32, int)    { return uint32(e), int(e >> 32) }
func (g *Graph) maxLinks(level int) int {
	if level == 0 {
		return g.m0
	}
	return g.m
}

// Graph is an in-memory HNSW graph over float32 vectors (or their codes)
// of one dimension and metric. Node ids are dense uint32 values below MaxID; Delete frees
// ids and Add reuses them.
//
// All methods are safe for concurrent use. Searches (Search, SearchInto,
// SearchRescore, Exact, ExactWith) run concurrently with each other and
// with Add and AddBatch; Update, Delete, Reserve and SetEncoding are
// exclusive and wait for running searches and inserts. See the package
// documentation for the lock order. After SetEncoding the graph holds FP16
// or INT8 codes instead of float32 vectors (see Encodings there).
type Graph struct {
	dim     int
	metric  Metric
	opts    Options // resolved: no zero fields
	m, m0   int     // link limits on levels > 0 and on level 0
	stride0 int     // words per node in links0: count + m0 slots
	strideU int     // words per level of a node's upper lists: count + m slots
	mL      float64 // level multiplier 1/ln(M)

	// mu protects the slab slice headers and capacity below: Search, Exact,
	// Add and the codec hold it for reading; growth, Update and Delete hold
	// it for writing. Contents of the slabs are protected as documented on
	// each field.
	//
	// vecs and links0 are chunked (see chunkShift): growing the graph
	// allocates new chunks and copies at most the last, partial one, so no
	// insert copies all vectors.
	mu       sync.RWMutex // protects vecs, links0, up.off, levels, state, nodeMu headers, capacity
	capacity int
	vecs     [][]float32  // chunks of dim<<vshift; row id written once before the node is published, and by Update/Delete under mu write lock
	vshift   uint         // log2 of the nodes per chunk of vecs: chunkShift, or the caller's when viewed
	viewed   bool         // vecs are read-only views of the caller's memory (Restorer.SetVectors), copied before any write
	links0   [][]uint32   // chunks of stride0*chunkNodes; level-0 lists, accessed with sync/atomic; nil while packed
	packed   *packedLists // the level-0 lists packed for reading (PackLevel0), nil otherwise
	up       upperLists   // lists of levels 1..level: level*strideU words a node in a shared slab (upper.go), accessed with sync/atomic
	levels   []uint8      // level of each node; written before the node is published
	state    []uint32     // stateFree/Live/Deleted, accessed with sync/atomic
	nodeMu   []sync.Mutex // nodeMu[id] serialises writers of node id's link lists (readers never lock); nil until the first write after a Restore (ensureInLinks)

	// The encoding (code.go), written under mu's write lock. An encoded
	// graph holds codes instead of vecs (vecs is nil): chunks of cstride
	// bytes a node, written like vecs. FP16 rows are stored as CodeRowSize
	// describes them; INT8 codes are aligned to cache lines and their
	// correction terms kept apart in corrs (codeLayout).
	enc     quant.Encoding
	i8      *quant.Int8 // INT8 parameters, nil otherwise
	crow    int         // bytes of one code row (CodeRowSize), 0 for float32
	cwidth  int         // bytes of a node's code in codes: crow (FP16), dim (INT8)
	cstride int         // bytes between two nodes' codes in codes (codeLayout)
	codes   [][]byte    // chunks of cstride<<cshift bytes
	corrs   [][]float32 // INT8: chunks of chunkNodes correction terms; nil otherwise
	cshift  uint        // log2 of the nodes per chunk of codes
	cviewed bool        // FP16 codes are read-only views (Restorer.SetCodes), copied before any write

	allocMu sync.Mutex    // protects free and writes to next
	next    atomic.Uint32 // MaxID: ids in use are below it; read without allocMu
	free    []uint32      // freed slots, reused LIFO by Add

	live atomic.Int64 // number of live nodes

	epMu  sync.Mutex    // protects writes to entry
	entry atomic.Uint64 // packEntry(entry point, max level) or noEntry

	rngMu sync.Mutex // protects rng
	rng   *rand.Rand

	dirtyMu   sync.Mutex // protects dirtyBits and dirtyList
	dirtyBits []uint64
	dirtyList []uint32

	searchers searcherPool
	ndist     atomic.Uint64 // distance computations, all operations

	rep     repairState // in-link index and state of local repair (repair.go)
	inBuilt atomic.Bool // rep's in-link index and level counts are built (ensureInLinks)
	writers bool        // the writers' per-node state is allocated (growWriterStateLocked); guarded by mu
}

// New returns an empty graph for vectors of dim components compared with
// metric. Zero fields of opts take their defaults (see Options). It returns
// an error wrapping ErrOptions or ErrMetric for out-of-range arguments.
func New(dim int, metric Metric, opts Options) (*Graph, error) {
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("%w: dimension %d, want 1..%d", ErrOptions, dim, MaxDim)
	}
	if !metric.valid() {
		return nil, fmt.Errorf("%w: %d", ErrMetric, uint8(metric))
	}
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	g := &Graph{
		dim:     dim,
		metric:  metric,
		opts:    o,
		m:       o.M,
		m0:      2 * o.M,
		stride0: 2*o.M + 1,
		strideU: o.M + 1,
		mL:      1 / math.Log(float64(o.M)),
		rng:     rand.New(rand.NewSource(o.Seed)),
		vshift:  chunkShift,
	}
	g.entry.Store(noEntry)
	g.inBuilt.Store(true) // empty: nothing to index
	return g, nil
}

// ensureInLinks builds the in-link index and level counts that writes and
// Check need, once, on the first of them after a Restore, with the other
// per-node state only writers use (nodeMu, the in-link index's per-node
// lists, the pending bitset): a graph loaded only to be searched (a
// read-only open) never pays for them (O(n·M) time and about 160 bytes per
// node). Caller holds no lock of g.
func (g *Graph) ensureInLinks() {
	if g.inBuilt.Load() {
		return
	}
	g.mu.Lock()
	if !g.inBuilt.Load() {
		g.unviewLocked()
		g.growWriterStateLocked(g.capacity)
		g.rebuildInLinks()
		g.inBuilt.Store(true)
	}
	g.mu.Unlock()
}

// unviewLocked replaces vectors viewed in the caller's memory (see
// Restorer.SetVectors) with chunks the graph owns, so that it can write
// them: O(n·dim), once. Caller holds mu for writing.
func (g *Graph) unviewLocked() {
	g.unpackLocked()
	g.unviewCodesLocked()
	if !g.viewed {
		return
	}
	owned := growChunks[float32](nil, g.capacity, g.dim)
	n := int(g.next.Load())
	for id := 0; id < n; id++ {
		c, row := id>>g.vshift, id&(1<<g.vshift-1)
		if c >= len(g.vecs) || (row+1)*g.dim > len(g.vecs[c]) {
			continue // never restored: free
		}
		copy(owned[id>>chunkShift][(id&chunkMask)*g.dim:], g.vecs[c][row*g.dim:(row+1)*g.dim])
	}
	g.vecs, g.vshift, g.viewed = owned, chunkShift, false
}

// Dim returns the vector dimension.
func (g *Graph) Dim() int { return g.dim }

// Metric returns the distance metric.
func (g *Graph) Metric() Metric { return g.metric }

// Options returns the graph's options with defaults filled in.
func (g *Graph) Options() Options { return g.opts }

// Len returns the number of live nodes.
func (g *Graph) Len() int { return int(g.live.Load()) }

// MaxID returns one more than the highest id ever allocated: every live id
// is below it. Freed slots below MaxID are reused before MaxID grows.
func (g *Graph) MaxID() uint32 { return g.next.Load() }

// Reserve grows the graph's storage to hold n nodes, so that Adds up to
// that many ids do not reallocate. It never shrinks. Reserve waits for
// running searches and inserts.
func (g *Graph) Reserve(n int) {
	if n > MaxNodes {
		n = MaxNodes
	}
	g.mu.RLock()
	c := g.capacity
	g.mu.RUnlock()
	if n <= c {
		return
	}
	g.mu.Lock()
	g.growLocked(n)
	g.mu.Unlock()
}

// Vectors and level-0 lists live in chunks of chunkNodes nodes: every
// chunk but the last is full, and the last grows by doubling until it is.
const (
	chunkShift = 16
	chunkNodes = 1 << chunkShift
	chunkMask  = chunkNodes - 1
)

// growChunks extends chunks of stride words per node to hold n nodes,
// copying at most the last, partial chunk.
func growChunks[T any](chunks [][]T, n, stride int) [][]T {
	for c := 0; c*chunkNodes < n; c++ {
		want := min(n-c*chunkNodes, chunkNodes) * stride
		if c < len(chunks) {
			if len(chunks[c]) < want {
				grown := make([]T, want)
				copy(grown, chunks[c])
				chunks[c] = grown
			}
			continue
		}
		chunks = append(chunks, make([]T, want))
	}
	return chunks
}

// nextCapacity is the capacity acquire grows a full graph of capacity c
// to: doubling within the first chunk, then a chunk or an eighth more,
// whichever is larger, rounded to whole chunks.
func nextCapacity(c int) int {
	if c < chunkNodes {
		return min(max(2*c, 1024), chunkNodes)
	}
	n := c + max(chunkNodes, c/8)
	return (n + chunkMask) &^ chunkMask
}

// growLocked grows the slabs to hold n nodes. Vectors and level-0 lists
// gain chunks (only a partial last chunk is copied); the small per-node
// arrays are copied. Caller holds mu for writing, so no node mutex is held
// and none needs copying.
func (g *Graph) growLocked(n int) { g.growSlabsLocked(n, true) }

// growSlabsLocked is growLocked; with rows false it leaves the vector or
// code slab alone, for Restore, which does not know yet whether the rows
// will be views of the caller's memory (SetVectors, SetCodes), codes
// (SetEncoding) or copies (the Restorer allocates them then). Caller
// holds mu for writing.
func (g *Graph) growSlabsLocked(n int, rows bool) {
	if n <= g.capacity {
		return
	}
	g.unviewLocked()
	vecs, codes, corrs := g.vecs, g.codes, g.corrs
	switch {
	case !rows:
	case g.enc == quant.None:
		vecs = growChunks(vecs, n, g.dim)
	default:
		codes = growChunks(codes, n, g.cstride)
		if g.enc == quant.INT8 {
			corrs = growChunks(corrs, n, 1)
		}
	}
	links0 := growChunks(g.links0, n, g.stride0)
	g.up.grow(n)
	levels := make([]uint8, n)
	copy(levels, g.levels)
	state := make([]uint32, n)
	copy(state, g.state)
	g.vecs, g.codes, g.corrs, g.links0, g.levels, g.state = vecs, codes, corrs, links0, levels, state
	if g.writers || g.inBuilt.Load() {
		g.growWriterStateLocked(n)
	}
	g.capacity = n
}

// growWriterStateLocked sizes the per-node state that only writers use
// (nodeMu, the in-link index, the pending bitset) for n nodes. A restored
// graph leaves it empty until its first write (ensureInLinks), so that a
// read-only searcher does not hold 56 bytes a node it never touches.
// Caller holds mu for writing, so no node mutex is held and none needs
// copying.
func (g *Graph) growWriterStateLocked(n int) {
	if len(g.nodeMu) < n {
		g.nodeMu = make([]sync.Mutex, n)
	}
	g.rep.grow(n)
	g.writers = true
}

// acquire allocates an id, reusing a freed slot first and growing the
// slabs by doubling when full. It returns with mu held for reading.
func (g *Graph) acquire() (uint32, error) {
	for {
		g.mu.RLock()
		g.allocMu.Lock()
		if n := len(g.free); n > 0 {
			id := g.free[n-1]
			g.free = g.free[:n-1]
			g.allocMu.Unlock()
			return id, nil
		}
		if next := g.next.Load(); int(next) < g.capacity {
			g.next.Store(next + 1)
			g.allocMu.Unlock()
			return next, nil
		}
		g.allocMu.Unlock()
		c := g.capacity
		g.mu.RUnlock()
		if c >= MaxNodes {
			return 0, ErrFull
		}
		g.mu.Lock()
		if int(g.next.Load()) >= g.capacity {
			g.growLocked(min(nextCapacity(c), MaxNodes))
		}
		g.mu.Unlock()
	}
}

// randomLevel draws a level with P(level >= l) = M^-l.
func (g *Graph) randomLevel() int {
	g.rngMu.Lock()
	u := g.rng.Float64()
	g.rngMu.Unlock()
	return levelFor(u, g.mL)
}

func levelFor(u, mL float64) int {
	l := int(-math.Log(1-u) * mL) // 1-u is in (0, 1]
	if l > MaxLevel {
		l = MaxLevel
	}
	return l
}

// initNode stores vec and level in slot id and marks it live. The node is
// not linked yet, and not reachable by searches. Caller holds mu.
func (g *Graph) initNode(id uint32, vec []float32, level int) {
	if vec != nil { // nil: already in place (a view, Restorer.SetVectors)
		g.putRow(id, vec)
	}
	g.dropUpper(id) // none: freeLocked dropped them
	g.levels[id] = uint8(level)
	atomic.StoreUint32(&g.block(id, 0)[0], 0)
	if level > 0 {
		g.up.off[id] = g.up.alloc(level, g.strideU)
	}
	atomic.StoreUint32(&g.state[id], stateLive)
	g.live.Add(1)
}

// vec returns node id's row of the vector slab. Caller holds mu.
func (g *Graph) vec(id uint32) []float32 {
	b := int(id&(1<<g.vshift-1)) * g.dim
	return g.vecs[id>>g.vshift][b : b+g.dim : b+g.dim]
}

// block returns node id's link list on level: word 0 is the count, the
// rest are slots. Caller holds mu; levels[id] >= level.
func (g *Graph) block(id uint32, level int) []uint32 {
	if level == 0 {
		if p := g.packed; p != nil {
			o := p.off[id>>chunkShift]
			i := id & chunkMask
			a, b := o[i], o[i+1]
			return p.flat[id>>chunkShift][a:b:b]
		}
		b := int(id&chunkMask) * g.stride0
		return g.links0[id>>chunkShift][b : b+g.stride0 : b+g.stride0]
	}
	return g.up.words(g.up.off[id]+uint32((level-1)*g.strideU), g.strideU)
}

// links appends node id's neighbours on level to dst (atomic loads).
func (g *Graph) links(dst []uint32, id uint32, level int) []uint32 {
	blk := g.block(id, level)
	n := int(atomic.LoadUint32(&blk[0]))
	for i := 1; i <= n; i++ {
		dst = append(dst, atomic.LoadUint32(&blk[i]))
	}
	return dst
}

// setLinks replaces node id's list on level. Caller holds nodeMu[id] (or
// mu for writing). Slots are stored before the count so a concurrent reader
// that sees the new count sees the new slots.
func (g *Graph) setLinks(id uint32, level int, ids []Neighbor) {
	blk := g.block(id, level)
	for i, n := range ids {
		atomic.StoreUint32(&blk[1+i], n.ID)
	}
	atomic.StoreUint32(&blk[0], uint32(len(ids)))
}

func (g *Graph) isLive(id uint32) bool {
	return id < g.next.Load() && int(id) < g.capacity && atomic.LoadUint32(&g.state[id]) == stateLive
}

// Live reports whether id is a live node (added and not deleted).
func (g *Graph) Live(id uint32) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.isLive(id)
}

// Vector returns a read-only view of node id's vector in the graph's slab,
// or nil if id is not live or the graph is encoded (it holds no float32
// vectors then: see CodeRow and AppendVector). The caller must not modify
// it. The view stays valid until id is updated or deleted (a later slot
// reuse overwrites it).
func (g *Graph) Vector(id uint32) []float32 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.enc != quant.None || !g.isLive(id) {
		return nil
	}
	return g.vec(id)
}

// DistanceComputations returns the number of distance evaluations done by
// all operations on g so far (searches, inserts, repairs). Benchmarks
// divide its growth by the number of queries.
func (g *Graph) DistanceComputations() uint64 { return g.ndist.Load() }

// checkVec validates a vector's length.
func (g *Graph) checkVec(v []float32) error {
	if len(v) != g.dim {
		return &DimensionError{Got: len(v), Want: g.dim}
	}
	return nil
}

// getSearcher takes a pooled searcher.
func (g *Graph) getSearcher() *searcher { return g.searchers.get() }

// putSearcher returns s to the pool and adds its distance count to g's.
func (g *Graph) putSearcher(s *searcher) {
	if s.ndist != 0 {
		g.ndist.Add(s.ndist)
		s.ndist = 0
	}
	g.searchers.put(s)
}

func (g *Graph) stateAt(id uint32) uint32 { return atomic.LoadUint32(&g.state[id]) }

// degree returns the length of node id's list on level.
func (g *Graph) degree(id uint32, level int) int {
	return int(atomic.LoadUint32(&g.block(id, level)[0]))
}

// Memory is the heap a graph holds, by part, in bytes (allocated capacity
// included). Rows viewed in the caller's memory (Restorer.SetVectors,
// SetCodes) are not counted: they are the caller's.
type Memory struct {
	Vectors int64 `json:"vectors"`  // the float32 slab the graph owns: 4·dim a slot; 0 for an encoded graph or viewed vectors
	Codes   int64 `json:"codes"`    // code rows the graph owns (INT8: aligned to cache lines) and INT8 correction terms
	Level0  int64 `json:"level0"`   // level-0 lists: 4·(2M+1) a slot
	Upper   int64 `json:"upper"`    // upper-level lists: a 4-byte offset a slot and the slab they live in
	PerNode int64 `json:"per_node"` // levels and states: 5 bytes a slot
	Writers int64 `json:"writers"`  // writers' per-node state (node mutexes, in-link list headers, pending bits): 0 until the first write after a Restore; the in-links themselves are not counted
}

// Total returns the sum of the parts.
func (m Memory) Total() int64 {
	return m.Vectors + m.Codes + m.Level0 + m.Upper + m.PerNode + m.Writers
}

// Memory returns what g holds in memory, by part. Safe for concurrent use.
// O(chunks).
func (g *Graph) Memory() Memory {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var m Memory
	if !g.viewed {
		for _, c := range g.vecs {
			m.Vectors += 4 * int64(len(c))
		}
	}
	if !g.cviewed {
		for _, c := range g.codes {
			m.Codes += int64(len(c))
		}
	}
	for _, c := range g.corrs {
		m.Codes += 4 * int64(len(c))
	}
	for _, c := range g.links0 {
		m.Level0 += 4 * int64(len(c))
	}
	if p := g.packed; p != nil {
		for c := range p.flat {
			m.Level0 += 4 * int64(len(p.flat[c])+len(p.off[c]))
		}
	}
	m.Upper = g.up.upperBytes()
	m.PerNode = int64(len(g.levels)) + 4*int64(len(g.state))
	m.Writers = int64(len(g.nodeMu)) * int64(unsafe.Sizeof(sync.Mutex{}))
	for _, c := range g.rep.in0 {
		m.Writers += int64(len(c)) * int64(unsafe.Sizeof([]uint32(nil)))
	}
	for _, c := range g.rep.inU {
		m.Writers += int64(len(c)) * int64(unsafe.Sizeof([]uint64(nil)))
	}
	for _, c := range g.rep.pending {
		m.Writers += 4 * int64(len(c))
	}
	return m
}
