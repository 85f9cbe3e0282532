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

// exactViews is an encoded collection's source of exact vectors.
type exactViews struct {
	st     *store.DB
	pinned bool // read-only: cur lives as long as the load's transaction

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
	v, err := sc.VectorViews(nil, nil)
	if err != nil {
		return nil, err
	}
	txid, base := tx.Generation()
	return &exactViews{st: st, pinned: pinned, cur: v, txid: txid, base: base, shift: store.BlockShift(sc.Config().Dim), dirty: map[uint32]bool{}}, nil
}

// acquire returns a function giving each id's exact vector, valid until
// release is called (and safe for concurrent use until then). name is the
// collection's current name. Cost: O(1) in the common case; a read
// transaction on a read-write database; a remake after a commit (see
// above).
func (x *exactViews) acquire(name string) (exact func(uint32) []float32, release func(), err error) {
	if x.pinned {
		return x.cur.Vector, func() {}, nil
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
		return v.Vector, func() { _ = tx.End() }, nil
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
	v, err := sc.VectorViews(prev, touched)
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

// exactSource returns the collection's exact-vector source for the graph
// g it searches (nil for a float32 graph, which needs none) and the
// function that releases it. The caller holds c.mu for reading.
func (c *Collection) exactSource() (func(uint32) []float32, func(), error) {
	if c.qx == nil {
		return nil, func() {}, nil
	}
	return c.qx.acquire(c.name)
}
