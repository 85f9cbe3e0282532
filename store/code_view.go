package store

import "unsafe"

// VectorViews gives the exact vector of any id of a collection without a
// B-tree lookup: views of the mapped vector blocks (no copy) plus copies
// of the vector deltas (single writes since their block's last fold, at
// most a quarter of a block each). It is what a search re-ranks its
// candidates with. The views are valid while the transaction that made
// them lives (DB.BeginView): end it only after the last use, and make a
// new VectorViews from a newer transaction to see later commits
// (Collection.VectorViews with the previous one reuses what did not
// change). A VectorViews is immutable: safe for concurrent use.
type VectorViews struct {
	name   string // the collection's, for errors
	shift  uint
	dim    int
	file   *RowFile // Read reads rows through it (VectorRows); nil: from the mapping
	blocks []viewBlock
}

// viewBlock is one block of a VectorViews.
type viewBlock struct {
	raw     []byte               // the sealed block value the views alias (identity for reuse); nil when none
	present []byte               // the block's presence bits (a copy: reading them must not fault the mapping in)
	n       int                  // the block's rows
	rows    []float32            // rows × dim, a view of the file (or a copy when unaligned)
	off     int64                // file offset of row 0 (VectorRows), -1 when rows is a copy
	deltas  map[uint32][]float32 // id -> exact vector (a copy), nil: deleted
}

// Vector returns id's exact vector as stored (not normalised), or nil when
// id has none. The slice aliases the mapped file or the views' own
// copies: read it, never write it, and not after the transaction ends.
// Views made by VectorRows are read with Read instead (Vector would fault
// the mapping in, and may find no row of a block whose rows are not
// aligned). O(1), no allocation.
func (v *VectorViews) Vector(id uint32) []float32 {
	b := int(id >> v.shift)
	if b >= len(v.blocks) {
		return nil
	}
	blk := &v.blocks[b]
	if blk.deltas != nil {
		if d, ok := blk.deltas[id]; ok {
			return d
		}
	}
	r := int(id & (1<<v.shift - 1))
	if r >= blk.n || (r+1)*v.dim > len(blk.rows) || blk.present[r>>3]&(1<<(r&7)) == 0 {
		return nil
	}
	return blk.rows[r*v.dim : (r+1)*v.dim : (r+1)*v.dim]
}

// Deltas returns the number of vectors held as copies (the delta rows),
// for memory accounting. O(blocks).
func (v *VectorViews) Deltas() int {
	n := 0
	for i := range v.blocks {
		n += len(v.blocks[i].deltas)
	}
	return n
}

// VectorViews returns views of every vector of the collection as of this
// transaction (see the type). With prev (views of the same collection
// from an older transaction that is still open) it reuses prev's view of
// every block whose value has not moved in the file, without verifying
// it again, and prev's delta copies of every block not in touched (the
// blocks whose vectors changed since prev's transaction; nil means all);
// without prev it verifies the seal of every vector block. A block that
// fails its seal is an error wrapping ErrCorrupt. Cost: O(blocks) plus a
// CRC32C pass over each new or moved block, plus O(dim) per delta of the
// touched blocks; with prev == nil, one pass over the whole table.
func (c *Collection) VectorViews(prev *VectorViews, touched []uint32) (*VectorViews, error) {
	return c.vectorViews(nil, prev, touched)
}

// vectorViews is VectorViews, or with rf VectorRows.
func (c *Collection) vectorViews(rf *RowFile, prev *VectorViews, touched []uint32) (*VectorViews, error) {
	if err := c.flush(); err != nil {
		return nil, err
	}
	if prev != nil && (prev.shift != c.shift || prev.dim != c.cfg.Dim || prev.file != rf) {
		prev = nil
	}
	vbs, err := blockValues(c, c.vblocks, "vblocks")
	if err != nil {
		return nil, err
	}
	n := 0
	for b := range vbs {
		n = max(n, int(b)+1)
	}
	redo := map[uint32]bool{}
	var vdel []deltaEntry
	if prev == nil || touched == nil {
		if vdel, err = c.allDeltas(c.vectors, "vectors"); err != nil {
			return nil, err
		}
		prev = nil
	} else {
		for _, b := range touched {
			if redo[b] {
				continue
			}
			redo[b] = true
			d, err := c.deltasIn(c.vectors, b)
			if err != nil {
				return nil, err
			}
			vdel = append(vdel, d...)
		}
	}
	for _, e := range vdel {
		n = max(n, int(e.id>>c.shift)+1)
	}
	if prev != nil {
		n = max(n, len(prev.blocks))
	}
	if n > 1<<(32-c.shift) {
		return nil, corrupt(c.name, "vblocks", "block numbers reach %d", n)
	}
	v := &VectorViews{name: c.name, shift: c.shift, dim: c.cfg.Dim, file: rf, blocks: make([]viewBlock, n)}
	fresh := map[uint32][]byte{}
	for b, raw := range vbs {
		if prev != nil && int(b) < len(prev.blocks) && sameBytes(prev.blocks[b].raw, raw) {
			v.blocks[b] = prev.blocks[b]
			v.blocks[b].deltas = nil
			continue
		}
		fresh[b] = raw
	}
	if rf != nil {
		if err := c.rowBlocks(rf, v, fresh); err != nil {
			return nil, err
		}
	} else {
		if err := c.verifySealed(fresh, "vblocks", "vector block"); err != nil {
			return nil, err
		}
		for b, raw := range fresh {
			vb, err := parseVBlock(c.shift, c.cfg.Dim, raw[:len(raw)-crcLen])
			if err != nil {
				return nil, c.blockCorrupt("vblocks", b, "%v", err)
			}
			v.blocks[b] = c.viewBlock(raw, vb)
		}
	}
	// Deltas: prev's for the blocks not redone, fresh copies for the rest.
	if prev != nil {
		for b := range prev.blocks {
			if !redo[uint32(b)] && b < len(v.blocks) {
				v.blocks[b].deltas = prev.blocks[b].deltas
			}
		}
	}
	for _, e := range vdel {
		blk := &v.blocks[e.id>>c.shift]
		if blk.deltas == nil {
			blk.deltas = make(map[uint32][]float32)
		}
		switch {
		case len(e.p) == 0:
			blk.deltas[e.id] = nil
		case len(e.p) != 4*c.cfg.Dim:
			return nil, corruptID(c.name, "vectors", e.id, "vector has %d bytes, want %d", len(e.p), 4*c.cfg.Dim)
		default:
			vec := make([]float32, c.cfg.Dim)
			decodeVector(vec, e.p)
			blk.deltas[e.id] = vec
		}
	}
	return v, nil
}

// viewBlock returns the view of a verified vector block: its value raw
// in the mapped file and vb, its payload parsed (the mapped bytes, or a
// copy read through a RowFile). Its rows are a view of raw when aligned on
// a little-endian host, else a copy; its presence bits a copy.
func (c *Collection) viewBlock(raw []byte, vb vblock) viewBlock {
	blk := viewBlock{raw: raw, present: append([]byte(nil), vb.p[4:vb.crcAt()]...), n: vb.rows, off: -1}
	at := len(raw) - crcLen - 4*vb.rows*c.cfg.Dim // the rows' offset in the value
	rowsBytes := raw[at : len(raw)-crcLen]
	if littleEndian && uintptr(unsafe.Pointer(&rowsBytes[0]))%4 == 0 {
		blk.rows = unsafe.Slice((*float32)(unsafe.Pointer(&rowsBytes[0])), vb.rows*c.cfg.Dim)
	} else {
		blk.rows = make([]float32, vb.rows*c.cfg.Dim)
		decodeVector(blk.rows, vb.p[vb.crcAt()+4*vb.rows:])
	}
	return blk
}

// sameBytes reports whether a and b are the same slice of memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}

// Generation identifies the file state a transaction sees: its bbolt
// transaction id (the last commit) and the address of the file's mapping.
// Slices of the mapped file (VectorViews) taken in one transaction are
// valid in any other transaction with the same Generation: it sees the
// same pages at the same addresses, and keeps them from reuse while it
// lives. O(1).
func (tx *Tx) Generation() (txid int, base uintptr) {
	return tx.btx.ID(), tx.db.bolt.Info().Data
}

// BlockShift returns log2 of the ids per block of a collection of
// dimension dim (vector, graph and code blocks alike). O(1).
func BlockShift(dim int) uint { return blockShiftFor(dim) }
