package store

import (
	"fmt"
	"runtime/debug"
	"unsafe"
)

// BeginView starts a read-only transaction that the caller ends with
// Tx.End: unlike View's, it may outlive the function that started it, so
// that slices of the mapped file it hands out (VectorChunks) stay valid
// for as long as the caller needs them. bbolt cannot remap the file while
// it lives, so on a read-write database it blocks a commit that grows the
// file; use it on read-only databases. End every one before Close, which
// waits for them.
func (db *DB) BeginView() (*Tx, error) {
	btx, err := db.bolt.Begin(false)
	if err != nil {
		return nil, db.translate(err)
	}
	tx, err := newTx(db, btx)
	if err != nil {
		_ = btx.Rollback()
		return nil, err
	}
	return tx, nil
}

// End ends a transaction started by BeginView. Slices read through it
// must not be used afterwards.
func (tx *Tx) End() error {
	if tx.btx.Writable() {
		return fmt.Errorf("store: End on a read-write transaction")
	}
	return tx.db.translate(tx.btx.Rollback())
}

// VectorChunks returns every stored vector as chunks of 1<<shift ids:
// id's vector is chunks[id>>shift][(id&(1<<shift-1))*dim:][:dim]; a chunk
// holds rows up to its highest stored id (nil when none). Each vector
// block whose seal verifies, with no vector deltas over it, on a
// little-endian host, at a 4-byte-aligned address, is handed out as a view
// of the mapped file: no copy. The others are copied with their deltas
// applied. viewed counts the views. Views are valid while the transaction
// lives (BeginView) and must not be written: they are read-only memory.
// Rows of deleted ids hold zeros. Cost: one pass of CRC32C over the
// vector blocks (a few GB/s) plus copies of the blocks that need them; no
// allocation per id.
func (c *Collection) VectorChunks() (shift uint, chunks [][]float32, viewed int, err error) {
	if err := c.flush(); err != nil {
		return 0, nil, 0, err
	}
	vdel, err := c.allDeltas(c.vectors, "vectors")
	if err != nil {
		return 0, nil, 0, err
	}
	vbs, err := blockValues(c, c.vblocks, "vblocks")
	if err != nil {
		return 0, nil, 0, err
	}
	n := 0
	for b := range vbs {
		n = max(n, int(b)+1)
	}
	if len(vdel) > 0 {
		n = max(n, int(vdel[len(vdel)-1].id>>c.shift)+1)
	}
	if n > 1<<(32-c.shift) {
		return 0, nil, 0, corrupt(c.name, "vblocks", "block numbers reach %d", n)
	}
	chunks = make([][]float32, n)
	dim := c.cfg.Dim
	if err := c.verifyBlocks(vbs); err != nil {
		return 0, nil, 0, err
	}
	for b := range chunks {
		var vb vblock
		if v := vbs[uint32(b)]; v != nil {
			if vb, err = parseVBlock(c.shift, dim, v[:len(v)-crcLen]); err != nil {
				return 0, nil, 0, c.blockCorrupt("vblocks", uint32(b), "%v", err)
			}
		}
		var del []deltaEntry
		for len(vdel) > 0 && vdel[0].id>>c.shift < uint32(b) {
			vdel = vdel[1:]
		}
		del, vdel = splitDeltas(vdel, uint32(b), c.shift)
		if vb.p != nil && len(del) == 0 && littleEndian {
			rows := vb.row(0)
			if uintptr(unsafe.Pointer(&rows[0]))%4 == 0 {
				chunks[b] = unsafe.Slice((*float32)(unsafe.Pointer(&rows[0])), vb.rows*dim)
				viewed++
				continue
			}
		}
		rows := vb.rows
		for _, e := range del {
			if len(e.p) > 0 {
				rows = max(rows, int(e.id&(1<<c.shift-1))+1)
			}
		}
		if rows == 0 {
			continue
		}
		chunk := make([]float32, rows*dim)
		for r := 0; r < vb.rows; r++ {
			if vb.has(r) {
				decodeVector(chunk[r*dim:(r+1)*dim], vb.row(r))
			}
		}
		for _, e := range del {
			r := int(e.id & (1<<c.shift - 1))
			switch {
			case len(e.p) == 0:
				if r < rows {
					clear(chunk[r*dim : (r+1)*dim])
				}
			case len(e.p) != 4*dim:
				return 0, nil, 0, corruptID(c.name, "vectors", e.id, "vector has %d bytes, want %d", len(e.p), 4*dim)
			default:
				decodeVector(chunk[r*dim:(r+1)*dim], e.p)
			}
		}
		chunks[b] = chunk
	}
	return c.shift, chunks, viewed, nil
}

// verifyBlocks verifies the seal of every vector block in vbs, on
// GOMAXPROCS goroutines.
func (c *Collection) verifyBlocks(vbs map[uint32][]byte) error {
	return c.verifySealed(vbs, "vblocks", "vector block")
}

// Reader reads keys and ids of one collection through a transaction
// started by BeginView. Unlike Collection it is safe for concurrent use
// (its methods only look values up in the mapped file), so the searches
// of a read-only database can name their results without a catalogue of
// every key in memory. It is valid while its transaction lives.
type Reader struct {
	c *Collection
}

// Reader returns a Reader over c, which must come from a read-only
// transaction (BeginView or View); nil otherwise.
func (c *Collection) Reader() *Reader {
	if c.tx.Writable() {
		return nil
	}
	return &Reader{c: c}
}

// Key returns the key of the record with id (a copy: it outlives the
// transaction). A missing record is an error wrapping ErrKeyNotFound, a
// damaged one (its value, or a page on the way to it) an error wrapping
// ErrCorrupt. O(log n).
func (r *Reader) Key(id uint32) (key string, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer r.recover(&err)
	d, err := r.c.record(id)
	if err != nil {
		return "", err
	}
	return string(d.key), nil
}

// ID returns the id stored for key and whether the key is present. A
// damaged page of the key index is an error wrapping ErrCorrupt.
// O(log n).
func (r *Reader) ID(key string) (id uint32, ok bool, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer r.recover(&err)
	id, ok = r.c.ID(key)
	return id, ok, nil
}

// recover turns a panic or a fault of bbolt reading a damaged page of the
// mapped file into an error wrapping ErrCorrupt, so that a search of a
// damaged file (which holds its collection's lock) returns instead of
// unwinding. Deferred by Key and ID.
func (r *Reader) recover(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w: collection %q: reading the file: %v", ErrCorrupt, r.c.name, p)
	}
}

// Len returns the number of records, in O(1).
func (r *Reader) Len() int { return r.c.Len() }
