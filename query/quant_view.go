package query

import (
	"slices"
	"sync"

	"github.com/vecbolt/vecbolt/store"
)

// Exact vectors for re-ranking
//
// An encoded graph re-ranks its candidates with the exact float32 vectors,
// which stay in the file: store.VectorViews hands them out by id, as views
// of the mapped vector blocks (no copy of the table, no B-tree lookup per
// candidate) plus copies of the delta rows (vectors written one at a time
// since their block's last fold: at most a quarter of each block, about 4
// rows' bytes per single write). Views of the mapped file are valid only
// while a read transaction that sees the same pages lives.
//
// Read-only databases: the load's transaction stays open until DB.Close
// (Collection.pin), and the views made in it serve every search.
//
// Read-write databases: a transaction pinned across commits would be
// wrong twice over. bbolt remaps the file when a commit grows it past its
// mapping, and the remap waits for every read transaction to end: a pinned
// one would block that commit for ever (bbolt's InitialMmapSize, which
// etcd sets to 10 GiB, only moves the limit, and makes every small file
// grow by 4 MiB steps). And pages freed by later commits are not reused
// while an older read transaction lives, so the file would grow with every
// write, to any collection. So no transaction outlives a search: each
// search (and each other use of exact vectors) opens a read transaction
// (DB.BeginView, about a microsecond) and ends it when done. The views are
// cached with the Generation they were made in (bbolt's transaction id
// and the mapping's address): a search whose transaction has the same
// Generation sees the same pages at the same addresses, kept alive by its
// own transaction, and uses them as they are. The first search after a
// commit remakes them from the previous ones (store Collection.VectorViews
// with prev): a cursor pass over the block keys, O(n/B) (~500 at 1M × 100),
// reusing every block whose value has not moved and checksumming the ones
// that have (a fold rewrites a block and bbolt may move its leaf
// neighbours), and re-reading the delta rows of the blocks written since:
// the group commit marks the blocks of its ids before it commits (markExact),
// so a remake that sees the commit also re-reads them. After a remap (a
// new mapping address) every block is checksummed again. The exact vectors
// in RAM are the delta rows only, bounded by the fold threshold: n/4 in the
// worst case, typically far fewer (EncodingInfo.ExactInRAM).

// Lean reads (Options.LeanReads, read-only databases): the rows are read
// with positioned reads of a second handle on the file (store.VectorRows,
// DB.RowFile), each into a buffer the search owns, instead of through the
// mapping. Linux (6.18) maps a whole page-cache folio on a read fault,
// and bbolt's MADV_RANDOM does not change that: reading one 512-byte row
// through the mapping maps 4 KiB of the file if its page was read cold,
// 128 KiB if the file was copied in, up to 1 MiB if it was written by a
// bulk build (its vector blocks, written whole). So one query's 30 rows of
// a 200,000 × 128 collection map 5–19 MiB and a hundred queries nearly the
// whole vector table, all of it counted in the process's resident set
// (clean page cache that the kernel may reclaim, but counted). Each row
// costs a system call instead (docs/benchmarks.md, "RSS after open"). The
// delta rows are copies in memory either way.

// exactViews is an encoded collection's source of exact vectors.
type exactViews struct {
	st     *store.DB
	rf     *store.RowFile // the file rows are read through (lean reads); nil: views of the mapping
	pinned bool           // read-only: cur lives as long as the load's transaction

	mu       sync.Mutex // protects cur, txid, base, dirty and inflight; held while remaking cur
	cur      *store.VectorViews
	txid     int
	base     uintptr
	shift    uint
	dirty    map[uint32]bool // blocks written by committed groups since cur was made
	inflight []uint32        // blocks of the group committing now (or last)
}

// newExactViews makes the views of sc as of tx (the load's transaction).
func newExactViews(st *store.DB, tx *store.Tx, sc *store.Collection, pinned bool) (*exactViews, error) {
	return newExactViewsVia(st, tx, sc, pinned, nil)
}

// newExactViewsVia is newExactViews, reading the rows through rf (lean
// reads) unless it is nil.
func newExactViewsVia(st *store.DB, tx *store.Tx, sc *store.Collection, pinned bool, rf *store.RowFile) (*exactViews, error) {
	x := &exactViews{st: st, rf: rf, pinned: pinned, shift: store.BlockShift(sc.Config().Dim), dirty: map[uint32]bool{}}
	v, err := x.views(sc, nil, nil)
	if err != nil {
		return nil, err
	}
	x.cur = v
	x.txid, x.base = tx.Generation()
	return x, nil
}

// views makes the views of sc: read through x.rf, or of the mapping.
func (x *exactViews) views(sc *store.Collection, prev *store.VectorViews, touched []uint32) (*store.VectorViews, error) {
	if x.rf != nil {
		return sc.VectorRows(x.rf, prev, touched)
	}
	return sc.VectorViews(prev, touched)
}

// exactRows is one use of the exact vectors (a search, a scan): a source
// for the graph that keeps the first read error for the caller.
type exactRows struct {
	v   *store.VectorViews
	mu  sync.Mutex // protects err
	err error      // the first row that could not be read
}

// source is the index.ExactSource: id's exact vector, read into buf (or
// a view of the mapping, or a delta copy); nil when id has none, or when
// it cannot be read (the error is kept for failed).
func (r *exactRows) source(id uint32, buf []float32) []float32 {
	v, err := r.v.Read(id, buf)
	if err != nil {
		r.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
		return nil
	}
	return v
}

// failed returns the first error source met, or nil.
func (r *exactRows) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// acquire returns the exact vectors as of now, valid until release is
// called (and safe for concurrent use until then). name is the
// collection's current name. Cost: O(1) in the common case; a read
// transaction on a read-write database; a remake after a commit (see
// above).
func (x *exactViews) acquire(name string) (rows *exactRows, release func(), err error) {
	if x.pinned {
		return &exactRows{v: x.cur}, func() {}, nil
	}
	for {
		tx, err := x.st.BeginView()
		if err != nil {
			return nil, nil, err
		}
		txid, base := tx.Generation()
		x.mu.Lock()
		if txid < x.txid {
			// Began before the commit the views already show: look
			// again from a newer transaction.
			x.mu.Unlock()
			_ = tx.End()
			continue
		}
		if txid != x.txid || base != x.base {
			if err := x.remakeLocked(tx, name, txid, base); err != nil {
				x.mu.Unlock()
				_ = tx.End()
				return nil, nil, err
			}
		}
		v := x.cur
		x.mu.Unlock()
		return &exactRows{v: v}, func() { _ = tx.End() }, nil
	}
}

// remakeLocked remakes cur in tx (Generation txid, base). The caller
// holds mu.
func (x *exactViews) remakeLocked(tx *store.Tx, name string, txid int, base uintptr) error {
	sc, err := tx.Collection(name)
	if err != nil {
		return err
	}
	prev := x.cur
	touched := make([]uint32, 0, len(x.dirty)+len(x.inflight))
	for b := range x.dirty {
		touched = append(touched, b)
	}
	touched = append(touched, x.inflight...)
	if base != x.base {
		prev = nil // a new mapping: every block is read and verified again
	}
	v, err := x.views(sc, prev, touched)
	if err != nil {
		return err
	}
	x.cur, x.txid, x.base = v, txid, base
	clear(x.dirty)
	return nil
}

// markExact records the vector blocks the group's writes touch, before
// the group commits: a remake of the views that sees the commit re-reads
// their delta rows. The blocks of the previous group (committed or failed
// by now: groups are serialised) become dirty until the next remake. The
// caller holds wmu. O(ids in the group).
func (c *Collection) markExact(live []*writeReq) {
	c.mu.RLock()
	x := c.qx
	c.mu.RUnlock()
	if x == nil || x.pinned {
		return
	}
	var blocks []uint32
	for _, r := range live {
		for _, id := range r.ids {
			blocks = append(blocks, id>>x.shift)
		}
	}
	slices.Sort(blocks)
	blocks = slices.Compact(blocks)
	x.mu.Lock()
	for _, b := range x.inflight {
		x.dirty[b] = true
	}
	x.inflight = blocks
	x.mu.Unlock()
}

// inRAM returns the number of exact vectors held as copies.
func (x *exactViews) inRAM() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.cur.Deltas()
}

// exactSource returns the collection's exact vectors (nil for a float32
// graph, which needs none) and the function that releases them. The
// caller holds c.mu for reading.
func (c *Collection) exactSource() (*exactRows, func(), error) {
	if c.qx == nil {
		return nil, func() {}, nil
	}
	return c.qx.acquire(c.name)
}
