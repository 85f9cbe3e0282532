package store

import (
	"encoding/binary"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Checking a collection's bucket before bbolt reads it
//
// bbolt follows the page ids and trusts the page flags and element
// offsets it finds in the mapped file. An inline bucket (a small bucket
// stored inside its parent's value) whose page flags no longer say leaf
// sends every cursor round the same page for ever (Cursor.First and
// Cursor.Last grow their stack until memory runs out: 1.9 GB and an abort
// for one flipped byte of vblocks/ in the every-byte test); an element
// count or offset past the page makes Get and the cursors read past it
// (a fault). Tx.Collection therefore verifies, through the file
// (pagewalk.go's ReadAt reads), before bbolt reads any of it:
//   - the pages of the collection's own bucket (a few entries: its
//     sub-bucket headers and small values);
//   - each inline sub-bucket's whole page: a leaf, its elements inside the
//     value, no bucket nested in it;
//   - each other sub-bucket's root page: inside the file, naming itself, a
//     branch or leaf page whose elements fit.
// Pages deeper in a large bucket are not read here (that would cost
// O(n)): MaxNodeID checks the paths it descends (edge.go), Check walks
// them all, and the read methods turn a fault below into a CorruptError
// (guard_check.go).
//
// A file page does not change while a transaction that can see it lives,
// so a collection bucket verified at one transaction id needs no second
// check at that id: the DB remembers the roots it verified at the latest
// id it saw. Cost: O(1) pages per collection per commit (about 20 page
// reads, 50-80 us), paid by the first read transaction after the commit,
// nothing more for later ones at the same id. Read-write transactions
// are not checked: run every commit through them cost single writes
// about 60% (BenchmarkSingleWrite/metadata, NoSync), and a file damaged
// under a writer is the caveat in doc.go.

// bucketChecks remembers the collection buckets verified at one
// transaction id.
type bucketChecks struct {
	mu    sync.Mutex
	txid  int
	roots map[uint64]bool // root page ids verified at txid
}

// verified reports whether root was verified at txid.
func (b *bucketChecks) verified(txid int, root uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.txid == txid && b.roots[root]
}

// add records root as verified at txid, forgetting other ids.
func (b *bucketChecks) add(txid int, root uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.txid != txid || b.roots == nil {
		b.txid, b.roots = txid, map[uint64]bool{}
	}
	b.roots[root] = true
}

// checkCollectionBucket verifies collection name's bucket b, as above,
// before openCollection reads it. A bucket created in this (read-write)
// transaction has no page in the file yet (root 0): nothing to verify.
func (tx *Tx) checkCollectionBucket(name string, b *bolt.Bucket) error {
	root := uint64(b.Root())
	if root == 0 || tx.btx.Writable() || tx.db.checked.verified(tx.btx.ID(), root) {
		return nil
	}
	if err := tx.db.checkShallow(tx.btx, name, root); err != nil {
		return err
	}
	tx.db.checked.add(tx.btx.ID(), root)
	return nil
}

// checkRootBuckets verifies, as above, the buckets every transaction reads
// first (newTx): bbolt's top-level bucket, vecbolt's root bucket, and the
// names and collections buckets (their own pages, and each collection
// bucket's root page), each before bbolt reads it. O(collections) pages
// per commit.
func checkRootBuckets(db *DB, btx *bolt.Tx) error {
	top := uint64(btx.Cursor().Bucket().Root())
	if btx.Writable() || db.checked.verified(btx.ID(), top) {
		return nil
	}
	if err := db.checkShallow(btx, "", top); err != nil {
		return err
	}
	if root := btx.Bucket(rootBucket); root != nil {
		if err := db.checkShallow(btx, "", uint64(root.Root())); err != nil {
			return err
		}
		for _, name := range [][]byte{namesBucket, collectionsBucket} {
			if b := root.Bucket(name); b != nil {
				if err := db.checkShallow(btx, "", uint64(b.Root())); err != nil {
					return err
				}
			}
		}
	}
	db.checked.add(btx.ID(), top)
	return nil
}

// checkShallow verifies the bucket rooted at file page root (nothing for
// 0: an inline bucket, verified with its parent), as bucketShallow does,
// and returns a CorruptError of collection col naming the bucket of the
// first problem.
func (db *DB) checkShallow(btx *bolt.Tx, col string, root uint64) error {
	if root == 0 {
		return nil
	}
	rf, err := db.RowFile() // view_rows.go: the DB's second handle on the file
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	var why, bucket string
	ps := db.bolt.Info().PageSize
	w := &pageWalker{f: rf.f, pageSize: ps, hwm: uint64(btx.Size()) / uint64(ps), seen: map[uint64]bool{}, report: func(format string, args ...any) {
		if why == "" {
			why = fmt.Sprintf(format, args...)
		}
	}}
	w.bucketShallow(root, 0, func(sub string) {
		if why == "" { // the bucket of the first problem
			bucket = sub
		}
	})
	if w.readErr != nil {
		return fmt.Errorf("store: %s: reading a bucket of collection %q: %w", db.path, col, w.readErr)
	}
	if why != "" {
		return corrupt(col, bucket, "%s", why)
	}
	return nil
}

// bucketShallow verifies the pages of the bucket rooted at file page id,
// and the inline pages and root pages of the buckets nested in it, without
// descending further. It calls at with the name of each nested bucket
// before verifying it, and with "" after.
func (w *pageWalker) bucketShallow(id uint64, depth int, at func(sub string)) {
	if depth > maxWalkDepth {
		w.report("page %d: tree deeper than %d", id, maxWalkDepth)
		return
	}
	if w.seen[id] {
		w.report("page %d referenced twice", id)
		return
	}
	w.seen[id] = true
	p, ok := w.page(id, "bucket")
	if !ok {
		return
	}
	flags, ok := w.pageBounds(p, len(p), id, "bucket")
	if !ok {
		return
	}
	le := binary.LittleEndian
	for i := range int(le.Uint16(p[10:])) {
		e := pageHeaderSize + i*pageElementSize
		if flags == branchPageFlag {
			w.bucketShallow(le.Uint64(p[e+8:]), depth+1, at)
			continue
		}
		if le.Uint32(p[e:])&bucketLeafFlag == 0 {
			continue
		}
		pos, ksize, vsize := int(le.Uint32(p[e+4:])), int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
		sub := string(p[e+pos : e+pos+ksize])
		v := p[e+pos+ksize : e+pos+ksize+vsize]
		at(sub)
		if len(v) < bucketHeader {
			w.report("page %d element %d: bucket value of %d bytes", id, i, len(v))
			return
		}
		if root := le.Uint64(v); root != 0 {
			// What bbolt reads first of a file bucket: its root page.
			w.rootPage(root, sub)
		} else if inline := v[bucketHeader:]; len(inline) < pageHeaderSize {
			w.report("inline page of %d bytes", len(inline))
		} else if f, ok := w.pageBounds(inline, len(inline), 0, sub+" (inline)"); ok && f != leafPageFlag {
			w.report("inline bucket page has flags %#x, want a leaf page", f)
		} else if ok && hasNested(inline) {
			w.report("inline bucket page holds a bucket")
		}
		at("")
	}
}

// rootPage verifies the header and element array of page id (inside the
// file, naming itself, its overflow inside; elements inside its pages),
// reading the header and the elements only: a leaf of one large value
// (a vector block) is not read whole.
func (w *pageWalker) rootPage(id uint64, what string) {
	if id < 2 || id >= w.hwm {
		w.report("%s: page id %d outside the file (pages 2..%d)", what, id, w.hwm-1)
		return
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := w.f.ReadAt(hdr, int64(id)*int64(w.pageSize)); err != nil {
		w.readFailed(err)
		return
	}
	le := binary.LittleEndian
	if got := le.Uint64(hdr); got != id {
		w.report("%s: page %d identifies itself as page %d", what, id, got)
		return
	}
	overflow := uint64(le.Uint32(hdr[12:]))
	if id+overflow >= w.hwm {
		w.report("%s: page %d: %d overflow pages run past the end of the file", what, id, overflow)
		return
	}
	size := int(overflow+1) * w.pageSize
	n := pageHeaderSize + int(le.Uint16(hdr[10:]))*pageElementSize
	if n > size {
		w.report("%s: page %d: %d elements do not fit in %d bytes", what, id, le.Uint16(hdr[10:]), size)
		return
	}
	p := make([]byte, n)
	if _, err := w.f.ReadAt(p, int64(id)*int64(w.pageSize)); err != nil {
		w.readFailed(err)
		return
	}
	w.pageBounds(p, size, id, what)
}

// pageBounds checks that page p (id; 0 for an inline page), of size
// bytes, is a branch or leaf page whose elements, and the keys and values
// they point at, lie inside it, and returns its flags. p holds the page's
// header and element array at least.
func (w *pageWalker) pageBounds(p []byte, size int, id uint64, what string) (uint16, bool) {
	le := binary.LittleEndian
	flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
	if flags != branchPageFlag && flags != leafPageFlag {
		w.report("%s: page %d: flags %#x, want a branch or leaf page", what, id, flags)
		return 0, false
	}
	if n := pageHeaderSize + count*pageElementSize; n > size || n > len(p) {
		w.report("%s: page %d: %d elements do not fit in %d bytes", what, id, count, size)
		return 0, false
	}
	if flags == branchPageFlag && count == 0 {
		w.report("%s: branch page %d has no elements", what, id)
		return 0, false
	}
	for i := range count {
		e := pageHeaderSize + i*pageElementSize
		var end int
		if flags == branchPageFlag { // pos, ksize, child
			end = e + int(le.Uint32(p[e:])) + int(le.Uint32(p[e+4:]))
		} else { // flags, pos, ksize, vsize
			end = e + int(le.Uint32(p[e+4:])) + int(le.Uint32(p[e+8:])) + int(le.Uint32(p[e+12:]))
		}
		if end > size || end < e {
			w.report("%s: page %d element %d: key or value runs past the page", what, id, i)
			return 0, false
		}
	}
	return flags, true
}

// hasNested reports whether a leaf page holds a bucket (an inline bucket
// never does).
func hasNested(p []byte) bool {
	le := binary.LittleEndian
	for i := range int(le.Uint16(p[10:])) {
		if le.Uint32(p[pageHeaderSize+i*pageElementSize:])&bucketLeafFlag != 0 {
			return true
		}
	}
	return false
}
