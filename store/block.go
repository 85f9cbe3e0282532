package store

import (
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// deltaBucket is a delta bucket: vectors or graph.
type deltaBucket = *bolt.Bucket

// Vectors and graph nodes are stored in blocks of B consecutive ids, one
// bbolt value per block, so that loading a collection is a few hundred
// large sequential reads instead of one B-tree entry per id. B is a power
// of two chosen from the dimension so that a full vector block holds about
// 1 MiB: blockShiftFor. A block stores rows up to its highest present id
// only, so a small collection has small blocks. Single writes do not
// rewrite blocks: they go to the per-id delta buckets (vectors/ and
// graph/), and a block is rewritten with them folded in only when its
// deltas reach a quarter of its rows (foldAt), so the rewrite is amortised
// over that many writes: about 4 rows' bytes per write, whatever n is.
const (
	blockBytesTarget = 1 << 20
	minBlockShift    = 6
	maxBlockShift    = 16
	minFold          = 16
)

// blockShiftFor returns log2 of the ids per block for vectors of dim
// components: the largest power of two, between 64 and 65,536, whose full
// vector block stays within blockBytesTarget (at dim 100: 2,048 ids,
// 800 KiB).
func blockShiftFor(dim int) uint {
	s := uint(maxBlockShift)
	for s > minBlockShift && (1<<s)*4*dim > blockBytesTarget {
		s--
	}
	return s
}

// foldAt is the number of deltas at which a block of rows rows is
// rewritten with them folded in.
func foldAt(rows int) int { return max(minFold, rows/4) }

func blockKey(b uint32) []byte { return idKey(b) }

// A vector block's payload (before its 4-byte seal) is
//
//	rows     uint32 LE: the block stores rows 0..rows-1 (rows <= B)
//	present  4·ceil(rows/32) bytes: bit i (byte i/8, bit i%8) set when row i
//	         holds a vector
//	rowcrc   rows × uint32 LE: CRC32C of the row's id key (uint32 BE) and
//	         its bytes (0 for an absent row)
//	vectors  rows × dim × float32 LE (zeros for an absent row)
//
// Every part has a length that is a multiple of 4, so a row's float32
// components are 4-byte aligned whenever the value is. The row checksums
// let one row be verified without the whole block (Get, and rescoring
// that reads exact vectors by id); the block's seal covers everything and
// is what load and Check verify.
func vblockLen(rows, dim int) int { return 4 + 4*((rows+31)/32) + 4*rows + 4*rows*dim }

// vblock is a vector block's payload, its length validated.
type vblock struct {
	rows, dim int
	p         []byte
}

// parseVBlock validates a vector block payload's length against its row
// count (at most 1<<shift).
func parseVBlock(shift uint, dim int, p []byte) (vblock, error) {
	if len(p) < 4 {
		return vblock{}, fmt.Errorf("vector block has %d bytes", len(p))
	}
	rows := binary.LittleEndian.Uint32(p)
	if rows == 0 || rows > 1<<shift {
		return vblock{}, fmt.Errorf("vector block has %d rows, want 1..%d", rows, 1<<shift)
	}
	if want := vblockLen(int(rows), dim); len(p) != want {
		return vblock{}, fmt.Errorf("vector block of %d rows has %d bytes, want %d", rows, len(p), want)
	}
	return vblock{int(rows), dim, p}, nil
}

func (v vblock) crcAt() int { return 4 + 4*((v.rows+31)/32) }

func (v vblock) has(row int) bool { return row < v.rows && v.p[4+row>>3]&(1<<(row&7)) != 0 }

func (v vblock) rowCRC(row int) uint32 { return binary.LittleEndian.Uint32(v.p[v.crcAt()+4*row:]) }

func (v vblock) row(row int) []byte {
	off := v.crcAt() + 4*v.rows + 4*v.dim*row
	return v.p[off : off+4*v.dim : off+4*v.dim]
}

// encodeVBlock builds a vector block payload from one row per id of the
// block (nil: absent; else 4*dim bytes), with first the block's first id.
// It returns nil when no row is present.
func encodeVBlock(first uint32, dim int, rows [][]byte) []byte {
	n := 0
	for i, r := range rows {
		if r != nil {
			n = i + 1
		}
	}
	if n == 0 {
		return nil
	}
	v := vblock{n, dim, make([]byte, vblockLen(n, dim), vblockLen(n, dim)+crcLen)}
	binary.LittleEndian.PutUint32(v.p, uint32(n))
	for i, r := range rows[:n] {
		if r == nil {
			continue
		}
		v.p[4+i>>3] |= 1 << (i & 7)
		binary.LittleEndian.PutUint32(v.p[v.crcAt()+4*i:], checksum(idKey(first+uint32(i)), r))
		copy(v.row(i), r)
	}
	return v.p
}

// A graph block's payload (before its seal) is
//
//	rows     uint32 LE: the block stores rows 0..rows-1 (rows <= B)
//	offsets  (rows+1) × uint32 LE, non-decreasing, offsets[0] = 0
//	nodes    row i's node bytes are nodes[offsets[i]:offsets[i+1]]; empty = none
//
// Node bytes are the index's, opaque here, as in the graph delta bucket.

// gblock is a validated graph block payload.
type gblock struct {
	rows int
	off  []byte // (rows+1) offsets
	data []byte
}

// parseGBlock validates a graph block payload for at most 1<<shift rows.
func parseGBlock(shift uint, p []byte) (gblock, error) {
	if len(p) < 4 {
		return gblock{}, fmt.Errorf("graph block has %d bytes", len(p))
	}
	rows := binary.LittleEndian.Uint32(p)
	if rows == 0 || rows > 1<<shift {
		return gblock{}, fmt.Errorf("graph block has %d rows, want 1..%d", rows, 1<<shift)
	}
	n := int(rows)
	if len(p) < 4+4*(n+1) {
		return gblock{}, fmt.Errorf("graph block has %d bytes, its offsets need %d", len(p), 4+4*(n+1))
	}
	g := gblock{rows: n, off: p[4 : 4+4*(n+1)], data: p[4+4*(n+1):]}
	prev := uint32(0)
	for i := 0; i <= n; i++ {
		o := binary.LittleEndian.Uint32(g.off[4*i:])
		if o < prev || (i == 0 && o != 0) {
			return gblock{}, fmt.Errorf("graph block offset %d is %d, after %d", i, o, prev)
		}
		prev = o
	}
	if int(prev) != len(g.data) {
		return gblock{}, fmt.Errorf("graph block offsets end at %d, data has %d bytes", prev, len(g.data))
	}
	return g, nil
}

// node returns row's node bytes (nil when none).
func (g gblock) node(row int) []byte {
	if row >= g.rows {
		return nil
	}
	lo, hi := binary.LittleEndian.Uint32(g.off[4*row:]), binary.LittleEndian.Uint32(g.off[4*row+4:])
	if lo == hi {
		return nil
	}
	return g.data[lo:hi:hi]
}

// encodeGBlock builds a graph block payload from one node per row (nil:
// none); nil when there is no node.
func encodeGBlock(nodes [][]byte) []byte {
	rows, n := 0, 0
	for i, x := range nodes {
		if len(x) > 0 {
			rows = i + 1
		}
		n += len(x)
	}
	if rows == 0 {
		return nil
	}
	nodes = nodes[:rows]
	p := make([]byte, 0, 4+4*(rows+1)+n+crcLen)
	p = binary.LittleEndian.AppendUint32(p, uint32(rows))
	o := uint32(0)
	p = binary.LittleEndian.AppendUint32(p, 0)
	for _, x := range nodes {
		o += uint32(len(x))
		p = binary.LittleEndian.AppendUint32(p, o)
	}
	for _, x := range nodes {
		p = append(p, x...)
	}
	return p
}

// pending holds a write transaction's vector and node writes to one
// collection until the transaction ends (Tx.flush) or a walk needs them in
// the file: a bulk write then fills whole blocks instead of writing, and
// later deleting, one delta per id. A present zero-length value is a
// deletion.
type pending struct {
	vec  map[uint32][]byte // id -> 4*dim bytes LE, or empty: deleted
	node map[uint32][]byte // id -> node bytes, or empty: deleted
}

var tombstone = []byte{}

func (c *Collection) pendVec(id uint32, payload []byte) {
	if c.pend.vec == nil {
		c.pend.vec = make(map[uint32][]byte)
	}
	c.pend.vec[id] = payload
}

func (c *Collection) pendNode(id uint32, node []byte) {
	if c.pend.node == nil {
		c.pend.node = make(map[uint32][]byte)
	}
	c.pend.node[id] = node
}

// flush writes the pending vectors and nodes: per block, as deltas, or by
// folding the block when its deltas would reach foldAt. A no-op when
// nothing is pending or the transaction is read-only.
func (c *Collection) flush() error {
	if len(c.pend.vec) == 0 && len(c.pend.node) == 0 {
		return nil
	}
	vec, node := c.pend.vec, c.pend.node
	c.pend = pending{}
	c.vbCache, c.gbCache = blockCache{}, blockCache{}
	if err := c.flushBucket(vec, c.vectors, c.foldVectors); err != nil {
		return err
	}
	return c.flushNodes(node) // nodelog.go
}

// deltaEntry is one delta: id and payload (empty: deleted).
type deltaEntry struct {
	id uint32
	p  []byte
}

// flushBucket writes writes (id -> payload) into the delta bucket deltas,
// block by block, calling fold for a block whose deltas reach foldAt.
func (c *Collection) flushBucket(writes map[uint32][]byte, deltas *bolt.Bucket, fold func(b uint32, old, news []deltaEntry) error) error {
	if len(writes) == 0 {
		return nil
	}
	ids := make([]uint32, 0, len(writes))
	for id := range writes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for i := 0; i < len(ids); {
		b := ids[i] >> c.shift
		j := i
		for j < len(ids) && ids[j]>>c.shift == b {
			j++
		}
		news := make([]deltaEntry, 0, j-i)
		for _, id := range ids[i:j] {
			news = append(news, deltaEntry{id, writes[id]})
		}
		old, err := c.deltasIn(deltas, b)
		if err != nil {
			return err
		}
		rows, err := c.blockRowCount(deltas, b)
		if err != nil {
			return err
		}
		if len(old)+len(news) >= foldAt(rows) {
			if err := fold(b, old, news); err != nil {
				return err
			}
		} else {
			has, err := c.blockRows(deltas, b)
			if err != nil {
				return err
			}
			for _, e := range news {
				k := idKey(e.id)
				switch {
				case len(e.p) > 0:
					err = deltas.Put(k, sealCopy(k, e.p))
				case has(e.id):
					err = deltas.Put(k, seal(k, nil))
				default:
					err = deltas.Delete(k)
				}
				if err != nil {
					return err
				}
			}
		}
		for _, id := range ids[i:j] {
			delete(writes, id) // let the collector take what is written
		}
		i = j
	}
	return nil
}

// deltasIn returns the delta entries of block b in bucket (vectors or
// graph), verified, in id order. Payloads alias the file.
func (c *Collection) deltasIn(bucket deltaBucket, b uint32) ([]deltaEntry, error) {
	var out []deltaEntry
	lo := idKey(b << c.shift)
	cur := bucket.Cursor()
	for k, v := cur.Seek(lo); k != nil; k, v = cur.Next() {
		if len(k) != 4 {
			return nil, corrupt(c.name, c.bucketName(bucket), "key of %d bytes, want 4", len(k))
		}
		id := binary.BigEndian.Uint32(k)
		if id>>c.shift != b {
			break
		}
		p, ok := unseal(k, v)
		if !ok {
			return nil, corruptID(c.name, c.bucketName(bucket), id, "%s fails its checksum", deltaNoun(c.bucketName(bucket)))
		}
		out = append(out, deltaEntry{id, p})
	}
	return out, nil
}

func (c *Collection) bucketName(b deltaBucket) string {
	if b == c.graph {
		return "graph"
	}
	return "vectors"
}

// blockRows returns a function reporting whether the block of b paired
// with the delta bucket deltas (vblocks for vectors, gblocks for graph)
// holds a row for an id.
func (c *Collection) blockRows(deltas deltaBucket, b uint32) (func(uint32) bool, error) {
	mask := uint32(1)<<c.shift - 1
	if deltas == c.graph {
		g, ok, err := c.gblockAt(b)
		if err != nil || !ok {
			return func(uint32) bool { return false }, err
		}
		return func(id uint32) bool { return g.node(int(id&mask)) != nil }, nil
	}
	v, ok, err := c.vblockAt(b)
	if err != nil || !ok {
		return func(uint32) bool { return false }, err
	}
	return func(id uint32) bool { return v.has(int(id & mask)) }, nil
}

// blockRowCount returns the rows of the block of b paired with deltas (0
// when there is none), read from its header.
func (c *Collection) blockRowCount(deltas deltaBucket, b uint32) (int, error) {
	blocks := c.vblocks
	if deltas == c.graph {
		blocks = c.gblocks
	}
	v := blocks.Get(blockKey(b))
	if v == nil {
		return 0, nil
	}
	if len(v) < 4+crcLen {
		return 0, c.blockCorrupt(c.blockBucketName(blocks), b, "block has %d bytes", len(v))
	}
	return int(min(binary.LittleEndian.Uint32(v), 1<<c.shift)), nil
}

// blockCorrupt is the error for damage in block b of a block bucket:
// it names the block and its ids.
func (c *Collection) blockCorrupt(bucket string, b uint32, format string, args ...any) error {
	return corrupt(c.name, bucket, "block %d (ids %d..%d): %s", b, b<<c.shift, (b+1)<<c.shift-1, fmt.Sprintf(format, args...))
}

func (c *Collection) blockBucketName(b *bolt.Bucket) string {
	if b == c.gblocks {
		return "gblocks"
	}
	return "vblocks"
}

// foldVectors rewrites vector block b with its old deltas and the new
// writes applied, and removes the old deltas.
func (c *Collection) foldVectors(b uint32, old, news []deltaEntry) error {
	rows := make([][]byte, 1<<c.shift)
	cur, ok, err := c.vblockSealed(b)
	if err != nil {
		return err
	}
	if ok {
		for i := range cur.rows {
			if cur.has(i) {
				rows[i] = cur.row(i)
			}
		}
	}
	mask := uint32(1)<<c.shift - 1
	for _, list := range [][]deltaEntry{old, news} {
		for _, e := range list {
			rows[e.id&mask] = nil
			if len(e.p) > 0 {
				rows[e.id&mask] = e.p
			}
		}
	}
	p := encodeVBlock(b<<c.shift, c.cfg.Dim, rows) // copies every row before the deletes below
	if err := c.foldCodes(b, rows); err != nil {   // code.go: the block's codes, from the same rows
		return err
	}
	for _, e := range old {
		if err := c.vectors.Delete(idKey(e.id)); err != nil {
			return err
		}
	}
	bk := blockKey(b)
	c.vbCache = blockCache{}
	if p == nil {
		return c.vblocks.Delete(bk)
	}
	return c.vblocks.Put(bk, seal(bk, p))
}

// foldNodes rewrites graph block b with its old deltas and the new writes
// applied, and removes the old deltas.
func (c *Collection) foldNodes(b uint32, old, news []deltaEntry) error {
	nodes := make([][]byte, 1<<c.shift)
	g, ok, err := c.gblockAt(b)
	if err != nil {
		return err
	}
	if ok {
		for i := range nodes {
			nodes[i] = g.node(i)
		}
	}
	mask := uint32(1)<<c.shift - 1
	for _, list := range [][]deltaEntry{old, news} {
		for _, e := range list {
			nodes[e.id&mask] = e.p
		}
	}
	bk := blockKey(b)
	p := encodeGBlock(nodes) // copies every node before the deletes below
	for _, e := range old {
		if err := c.graph.Delete(idKey(e.id)); err != nil {
			return err
		}
	}
	c.gbCache = blockCache{}
	if p == nil {
		return c.gblocks.Delete(bk)
	}
	return c.gblocks.Put(bk, seal(bk, p))
}

// blockCache remembers the last block a lookup read, so that walks in id
// order read and verify each block once.
type blockCache struct {
	ok    bool
	b     uint32
	found bool
	p     []byte
}

// vblockAt returns vector block b without verifying its seal (rows carry
// their own checksums); found is false when there is none.
func (c *Collection) vblockAt(b uint32) (vblock, bool, error) {
	if c.vbCache.ok && c.vbCache.b == b {
		if !c.vbCache.found {
			return vblock{}, false, nil
		}
		v, err := parseVBlock(c.shift, c.cfg.Dim, c.vbCache.p)
		return v, err == nil, err
	}
	bk := blockKey(b)
	v := c.vblocks.Get(bk)
	if v == nil {
		c.vbCache = blockCache{ok: true, b: b}
		return vblock{}, false, nil
	}
	if len(v) < crcLen {
		return vblock{}, false, c.blockCorrupt("vblocks", b, "vector block has %d bytes", len(v))
	}
	p := v[:len(v)-crcLen]
	vb, err := parseVBlock(c.shift, c.cfg.Dim, p)
	if err != nil {
		return vblock{}, false, c.blockCorrupt("vblocks", b, "%v", err)
	}
	c.vbCache = blockCache{ok: true, b: b, found: true, p: p}
	return vb, true, nil
}

// vblockSealed is vblockAt with the block's seal verified.
func (c *Collection) vblockSealed(b uint32) (vblock, bool, error) {
	bk := blockKey(b)
	v := c.vblocks.Get(bk)
	if v == nil {
		return vblock{}, false, nil
	}
	p, ok := unseal(bk, v)
	if !ok {
		return vblock{}, false, c.blockCorrupt("vblocks", b, "vector block fails its checksum")
	}
	vb, err := parseVBlock(c.shift, c.cfg.Dim, p)
	if err != nil {
		return vblock{}, false, c.blockCorrupt("vblocks", b, "%v", err)
	}
	return vb, true, nil
}

// gblockAt returns graph block b, its seal verified and its offsets
// validated; found is false when there is none.
func (c *Collection) gblockAt(b uint32) (gblock, bool, error) {
	if c.gbCache.ok && c.gbCache.b == b {
		if !c.gbCache.found {
			return gblock{}, false, nil
		}
		g, err := parseGBlock(c.shift, c.gbCache.p)
		return g, err == nil, err
	}
	bk := blockKey(b)
	v := c.gblocks.Get(bk)
	if v == nil {
		c.gbCache = blockCache{ok: true, b: b}
		return gblock{}, false, nil
	}
	p, ok := unseal(bk, v)
	if !ok {
		return gblock{}, false, c.blockCorrupt("gblocks", b, "graph block fails its checksum")
	}
	g, err := parseGBlock(c.shift, p)
	if err != nil {
		return gblock{}, false, c.blockCorrupt("gblocks", b, "%v", err)
	}
	c.gbCache = blockCache{ok: true, b: b, found: true, p: p}
	return g, true, nil
}

// vectorBytes returns id's vector (4*dim bytes LE, aliasing the file or
// the pending writes), or nil when id has none. Row checksums are
// verified.
func (c *Collection) vectorBytes(id uint32) ([]byte, error) {
	if p, ok := c.pend.vec[id]; ok {
		if len(p) == 0 {
			return nil, nil
		}
		return p, nil
	}
	k := idKey(id)
	if v := c.vectors.Get(k); v != nil {
		p, ok := unseal(k, v)
		if !ok {
			return nil, corruptID(c.name, "vectors", id, "vector fails its checksum")
		}
		if len(p) == 0 {
			return nil, nil
		}
		if len(p) != 4*c.cfg.Dim {
			return nil, corruptID(c.name, "vectors", id, "vector has %d bytes, want %d", len(p), 4*c.cfg.Dim)
		}
		return p, nil
	}
	vb, ok, err := c.vblockAt(id >> c.shift)
	if err != nil || !ok {
		return nil, err
	}
	row := int(id & (1<<c.shift - 1))
	if !vb.has(row) {
		return nil, nil
	}
	p := vb.row(row)
	if vb.rowCRC(row) != checksum(k, p) {
		return nil, corruptID(c.name, "vblocks", id, "vector fails its checksum")
	}
	return p, nil
}

// nodeBytes returns id's graph node (aliasing the file or the pending
// writes), or nil when id has none.
func (c *Collection) nodeBytes(id uint32) ([]byte, error) {
	if p, ok := c.pend.node[id]; ok {
		if len(p) == 0 {
			return nil, nil
		}
		return p, nil
	}
	if p, ok, err := c.logNode(id); err != nil || ok {
		if len(p) == 0 {
			return nil, err
		}
		return p, nil
	}
	k := idKey(id)
	if v := c.graph.Get(k); v != nil {
		p, ok := unseal(k, v)
		if !ok {
			return nil, corruptID(c.name, "graph", id, "node fails its checksum")
		}
		if len(p) == 0 {
			return nil, nil
		}
		return p, nil
	}
	g, ok, err := c.gblockAt(id >> c.shift)
	if err != nil || !ok {
		return nil, err
	}
	return g.node(int(id & (1<<c.shift - 1))), nil
}
