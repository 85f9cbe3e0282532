package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"
	"unsafe"
)

// Exact rows through positioned reads
//
// A search of an encoded collection re-ranks about k·oversample
// candidates with their exact vectors. Read through the mapped file, each
// row costs the process more than its 4·dim bytes of resident memory:
// Linux maps a whole page-cache folio (or a fault-around window) on a read
// fault, so at 200,000 × 128 one query's 30 rows map about 8 MiB of the
// file and a hundred queries map the whole vector table. VectorRows reads
// the same rows with positioned reads (pread) of a second, read-only
// handle on the file into the caller's buffer instead: the rows pass
// through the page cache, not through the process's resident set.

// RowFile is a second, read-only handle on a database's file, for
// VectorRows. It is safe for concurrent use (positioned reads only).
type RowFile struct {
	f    *os.File
	path string
}

// rowFile is a DB's RowFile, opened by the first RowFile call.
type rowFile struct {
	mu     sync.Mutex // protects rf and closed
	rf     *RowFile
	closed bool
}

// RowFile returns the DB's second, read-only handle on its file, for
// VectorRows: opened by the first call, shared by every later one, closed
// by Close (reads through it fail afterwards). What is read through it is
// checked against the transaction that made the views: every vector block
// read through it must carry a valid seal (VectorRows). Safe for
// concurrent use. O(1).
func (db *DB) RowFile() (*RowFile, error) {
	db.rows.mu.Lock()
	defer db.rows.mu.Unlock()
	if db.rows.closed {
		return nil, fmt.Errorf("store: RowFile on a closed database")
	}
	if db.rows.rf == nil {
		f, err := os.Open(db.path)
		if err != nil {
			return nil, fmt.Errorf("store: opening %s again to read exact rows: %w", db.path, err)
		}
		db.rows.rf = &RowFile{f: f, path: db.path}
	}
	return db.rows.rf, nil
}

// close closes the RowFile, if one was opened. DB.Close calls it.
func (r *rowFile) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rf != nil {
		_ = r.rf.f.Close()
	}
	r.closed = true
}

// RowReadError reports an exact row that could not be read through a
// RowFile: a short read (the file is shorter than the row's offset says:
// truncated since it was opened), or the system's error.
type RowReadError struct {
	Collection string
	ID         uint32 // the record id whose row was read
	Offset     int64  // the row's offset in the file
	Got, Want  int    // bytes read and wanted
	Err        error  // the system's error; nil for a short read at the end of the file
}

func (e *RowReadError) Error() string {
	if !e.short() {
		return fmt.Sprintf("store: collection %q: reading the exact vector of id %d at offset %d: %v", e.Collection, e.ID, e.Offset, e.Err)
	}
	return fmt.Sprintf("store: collection %q: the exact vector of id %d at offset %d: read %d of %d bytes, the file is shorter (truncated?): %v", e.Collection, e.ID, e.Offset, e.Got, e.Want, ErrCorrupt)
}

// Unwrap returns ErrCorrupt for a short read, else the system's error.
func (e *RowReadError) Unwrap() error {
	if e.short() {
		return ErrCorrupt
	}
	return e.Err
}

// short reports a read that stopped at the end of the file.
func (e *RowReadError) short() bool {
	return e.Err == nil || errors.Is(e.Err, io.EOF) || errors.Is(e.Err, io.ErrUnexpectedEOF)
}

// VectorRows is VectorViews whose Read reads each row from the file
// through rf (a positioned read of 4·dim bytes into the caller's buffer)
// instead of through the mapping, so that re-ranking does not grow the
// process's resident set. The vector blocks are verified (their seals) and
// parsed from copies read through rf, a block at a time, so that neither
// this call nor a later Read faults the mapped vector pages in; only the
// presence bits (one bit a row) are kept in memory. rf must be a handle on
// this transaction's database; the views stay valid while a transaction
// with the same Generation lives (as VectorViews'), and rf must stay open
// while they are read. With prev (made with the same rf) it reuses what
// has not moved, as VectorViews. Vector must not be used on the result
// (it returns views of the mapping; Read is the way in). Errors: a block
// whose value lies beyond the file's end or fails its seal wraps
// ErrCorrupt; a failed read is returned as it is. Cost: one read of each
// new or moved vector block (O(its bytes), on every core) plus O(blocks).
func (c *Collection) VectorRows(rf *RowFile, prev *VectorViews, touched []uint32) (*VectorViews, error) {
	if rf == nil {
		return nil, fmt.Errorf("store: VectorRows without a RowFile")
	}
	return c.vectorViews(rf, prev, touched)
}

// rowBlocks fills v's fresh blocks (block number -> sealed value in the
// mapped file) from copies read through rf: each value is read at its
// offset in the file (its address less the mapping's), its seal verified,
// its header parsed and its presence bits kept.
func (c *Collection) rowBlocks(rf *RowFile, v *VectorViews, fresh map[uint32][]byte) error {
	base := c.tx.db.bolt.Info().Data
	st, err := rf.f.Stat()
	if err != nil {
		return fmt.Errorf("store: %s: %w", rf.path, err)
	}
	size := st.Size()
	keys := make([]uint32, 0, len(fresh))
	for b := range fresh {
		keys = append(keys, b)
	}
	workers := runtime.GOMAXPROCS(0)
	bufs := make([][]byte, workers)
	blocks := make([]viewBlock, len(keys))
	if err := c.parallel(context.Background(), workers, len(keys), func(w, i int) error {
		b := keys[i]
		raw := fresh[b]
		off := int64(uintptr(unsafe.Pointer(unsafe.SliceData(raw))) - base)
		if off < 0 || off+int64(len(raw)) > size {
			return c.blockCorrupt("vblocks", b, "value at offset %d of %d bytes lies beyond the file's %d bytes", off, len(raw), size)
		}
		blk, err := c.readRowBlock(rf, b, raw, off, &bufs[w])
		if err != nil {
			return err
		}
		blocks[i] = blk
		return nil
	}); err != nil {
		return err
	}
	for i, b := range keys {
		v.blocks[b] = blocks[i]
	}
	return nil
}

// rowPiece is the size of the reads that verify a vector block through a
// RowFile: a block (up to 1 MiB) is read and checksummed a piece at a
// time, so the open holds 64 KiB a core for it, not a block.
const rowPiece = 64 << 10

// readRowBlock reads vector block b, whose sealed value raw lies at off in
// the file, through rf, a piece at a time into *buf: it verifies the seal,
// parses the header and returns the block's view (presence bits copied,
// rows at their offset in the file).
func (c *Collection) readRowBlock(rf *RowFile, b uint32, raw []byte, off int64, buf *[]byte) (viewBlock, error) {
	if *buf == nil {
		*buf = make([]byte, rowPiece)
	}
	total := len(raw) - crcLen // the payload; the seal follows it
	if total < 4 {
		return viewBlock{}, c.blockCorrupt("vblocks", b, "vector block has %d bytes", total)
	}
	var vb vblock
	var present []byte
	crc := crc32.Checksum(blockKey(b), castagnoli)
	var seal [crcLen]byte
	for at := 0; at < len(raw); {
		p := (*buf)[:min(rowPiece, len(raw)-at)]
		if n, err := rf.f.ReadAt(p, off+int64(at)); n < len(p) {
			if err == nil || errors.Is(err, io.EOF) {
				return viewBlock{}, c.blockCorrupt("vblocks", b, "read %d of its %d bytes at offset %d: the file is shorter", at+n, len(raw), off)
			}
			return viewBlock{}, fmt.Errorf("store: collection %q: reading vector block %d at offset %d: %w", c.name, b, off, err)
		}
		if at == 0 {
			// The header: rows, then the presence bits (at most 8 KiB).
			rows := int(binary.LittleEndian.Uint32(p))
			if rows == 0 || rows > 1<<c.shift || total != vblockLen(rows, c.cfg.Dim) {
				return viewBlock{}, c.blockCorrupt("vblocks", b, "vector block of %d bytes says %d rows", total, rows)
			}
			vb = vblock{rows: rows, dim: c.cfg.Dim}
			if vb.crcAt() > len(p) {
				return viewBlock{}, c.blockCorrupt("vblocks", b, "vector block header of %d bytes", vb.crcAt())
			}
			present = append([]byte(nil), p[4:vb.crcAt()]...)
		}
		body := p[:max(0, min(len(p), total-at))]
		crc = crc32.Update(crc, castagnoli, body)
		for i := len(body); i < len(p); i++ {
			seal[at+i-total] = p[i]
		}
		at += len(p)
	}
	if binary.LittleEndian.Uint32(seal[:]) != crc {
		return viewBlock{}, c.blockCorrupt("vblocks", b, "vector block fails its checksum (read at offset %d)", off)
	}
	at := vb.crcAt() + 4*vb.rows
	blk := viewBlock{raw: raw, present: present, n: vb.rows, off: off + int64(at)}
	if rows := raw[at : len(raw)-crcLen]; littleEndian && uintptr(unsafe.Pointer(&rows[0]))%4 == 0 {
		blk.rows = unsafe.Slice((*float32)(unsafe.Pointer(&rows[0])), vb.rows*c.cfg.Dim) // for Vector only: never read here
	}
	return blk, nil
}

// Read returns id's exact vector as stored (not normalised), or nil when
// id has none. From VectorRows, a row in the file is read into dst (which
// must hold Dim components; the result is dst[:dim]); a delta row is
// returned as the views' own copy, not in dst. From VectorViews it is
// Vector (a view of the mapping; dst unused). Read only what is returned,
// never write it. Errors: *RowReadError (a short read wraps ErrCorrupt).
// Safe for concurrent use with distinct dst. O(dim): one positioned read.
func (v *VectorViews) Read(id uint32, dst []float32) ([]float32, error) {
	if v.file != nil && len(dst) < v.dim {
		return nil, fmt.Errorf("store: VectorViews.Read into %d components, want %d", len(dst), v.dim)
	}
	b := int(id >> v.shift)
	if b >= len(v.blocks) {
		return nil, nil
	}
	blk := &v.blocks[b]
	if blk.deltas != nil {
		if d, ok := blk.deltas[id]; ok {
			return d, nil
		}
	}
	r := int(id & (1<<v.shift - 1))
	if r >= blk.n || blk.present[r>>3]&(1<<(r&7)) == 0 {
		return nil, nil
	}
	if v.file == nil || blk.off < 0 {
		return blk.rows[r*v.dim : (r+1)*v.dim : (r+1)*v.dim], nil
	}
	dst = dst[:v.dim:v.dim]
	off := blk.off + int64(r)*int64(4*v.dim)
	var buf []byte
	if littleEndian {
		buf = unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*v.dim)
	} else {
		buf = make([]byte, 4*v.dim)
	}
	if n, err := v.file.f.ReadAt(buf, off); n < len(buf) {
		return nil, &RowReadError{Collection: v.name, ID: id, Offset: off, Got: n, Want: len(buf), Err: err}
	}
	if !littleEndian {
		decodeVector(dst, buf)
	}
	return dst, nil
}

// FileBacked reports whether Read reads rows through a RowFile (VectorRows)
// rather than the mapping. O(1).
func (v *VectorViews) FileBacked() bool { return v.file != nil }
