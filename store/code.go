package store

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"runtime"
	"strings"
	"unsafe"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/index/quant"
)

// Code blocks
//
// A collection whose Config.Encoding is fp16 or int8 keeps, beside its
// exact float32 vectors, the codes the graph traverses: one code block per
// vector block (same block numbers, same ids), in the sub-bucket cblocks/,
// so that an open hands the graph views of the codes instead of reading
// and encoding every vector (Collection.CodeChunks). The store imports
// package index/quant for this: quant is a pure codec (no graph, no I/O),
// and encoding in the store lets a fold rewrite a code block with its
// vector block in the same transaction, and Check verify each code
// against its vector, without the query layer in the loop.
//
// A code block's payload (before its 4-byte seal) is
//
//	rows     uint32 LE: the block stores rows 0..rows-1, as many as its
//	         vector block (rows <= B)
//	tag      uint32 LE: CRC32C of the encoding name, a NUL byte and
//	         Config.EncodingParams: the parameters the codes were made with
//	present  4·ceil(rows/32) bytes, the vector block's presence bits
//	codes    rows × row bytes (zeros when absent): int8 dim codes then the
//	         float32 LE correction term (dim+4 bytes); fp16 dim × uint16 LE
//	         (2·dim bytes). Under cosine the codes are of the unit vector.
//
// The row layout is the graph's (index.Graph.CodeRow). A code block is
// written whenever its vector block is (a fold, foldCodes), so block rows
// always have codes; ids whose vector is a delta (a single write since
// the last fold) have none stored: CodeChunks encodes their delta vectors
// when it hands the codes out, O(dim) each, at most a quarter of a block.

// cblocksBucket is the code blocks' sub-bucket, created on the first code
// block written (files and collections from before it have none).
var cblocksBucket = []byte("cblocks")

// canonicalEncoding maps "" to "none" and lower-cases.
func canonicalEncoding(s string) string {
	if s == "" {
		return EncodingNone
	}
	return strings.ToLower(s)
}

// codec is a collection's vector encoding, resolved from its config.
type codec struct {
	enc    quant.Encoding
	q      *quant.Int8 // INT8 parameters; nil for an untrained int8 collection
	dim    int
	cosine bool
	rowLen int    // bytes of one code row
	tag    uint32 // fingerprint of encoding and params (see above)
}

// active reports whether the collection stores codes: fp16, or int8 with
// parameters.
func (cd codec) active() bool { return cd.enc == quant.FP16 || cd.q != nil }

// quantMetric returns the quant metric of a store metric name.
func quantMetric(m string) quant.Metric {
	switch m {
	case Dot:
		return quant.Dot
	case L2:
		return quant.L2
	}
	return quant.Cosine
}

// CodeRowSize returns the bytes of one stored code row for an encoding
// name and dimension: dim+4 for int8, 2·dim for fp16, 0 for none (and for
// unknown names). O(1).
func CodeRowSize(encoding string, dim int) int {
	switch canonicalEncoding(encoding) {
	case EncodingINT8:
		return dim + 4
	case EncodingFP16:
		return 2 * dim
	}
	return 0
}

// parseCodec validates cfg's encoding and parameters (cfg's Dim and Metric
// already valid) and resolves them. Damaged or mismatched parameters are
// an error naming what is wrong.
func parseCodec(cfg Config) (codec, error) {
	cd := codec{dim: cfg.Dim, cosine: cfg.Metric == Cosine}
	switch canonicalEncoding(cfg.Encoding) {
	case EncodingNone:
		cd.enc = quant.None
	case EncodingFP16:
		cd.enc = quant.FP16
	case EncodingINT8:
		cd.enc = quant.INT8
	default:
		return codec{}, fmt.Errorf("unknown vector encoding %q, want %q, %q or %q", cfg.Encoding, EncodingNone, EncodingFP16, EncodingINT8)
	}
	if cd.enc != quant.INT8 && cfg.EncodingParams != "" {
		return codec{}, fmt.Errorf("vector encoding %s takes no parameters, config has %d bytes", cd.enc, len(cfg.EncodingParams))
	}
	if cd.enc == quant.INT8 && cfg.EncodingParams != "" {
		raw, err := base64.StdEncoding.DecodeString(cfg.EncodingParams)
		if err != nil {
			return codec{}, fmt.Errorf("int8 parameters are not base64: %v", err)
		}
		q := new(quant.Int8)
		if err := q.UnmarshalBinary(raw); err != nil {
			return codec{}, fmt.Errorf("int8 parameters: %w", err)
		}
		if q.Dim() != cfg.Dim || q.Metric() != quantMetric(cfg.Metric) {
			return codec{}, fmt.Errorf("int8 parameters are for dimension %d and metric %s, the collection has %d and %s", q.Dim(), q.Metric(), cfg.Dim, cfg.Metric)
		}
		cd.q = q
	}
	cd.rowLen = CodeRowSize(cd.enc.String(), cfg.Dim)
	cd.tag = crc32.Checksum([]byte(cd.enc.String()+"\x00"+cfg.EncodingParams), castagnoli)
	return cd, nil
}

// EncodeParams returns the Config.EncodingParams text of INT8 parameters
// (base64 of their MarshalBinary). O(dim).
func EncodeParams(q *quant.Int8) string {
	b, _ := q.MarshalBinary() // never fails
	return base64.StdEncoding.EncodeToString(b)
}

// Int8Params returns the INT8 parameters of cfg, or nil when cfg is not an
// int8 configuration or is untrained. Errors as Config.Validate. O(dim).
func (cfg Config) Int8Params() (*quant.Int8, error) {
	cd, err := parseCodec(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return cd.q, nil
}

// unitInto writes v's unit vector into dst exactly as package query
// normalises (float64 sum of squares, one inverse square root, each
// component scaled in float64 and rounded once), so that the codes the
// store makes are bit for bit the graph's.
func unitInto(dst, v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		copy(dst, v)
		return
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		dst[i] = float32(float64(v[i]) * inv)
	}
}

// encodeRow writes the code row of vector v (as stored: raw, not unit)
// into dst (rowLen bytes), using scratch (dim float32s, or nil) for the
// unit vector under cosine. A component the encoding cannot hold is an
// error wrapping quant.ErrValue.
func (cd codec) encodeRow(dst []byte, v, scratch []float32) error {
	if cd.cosine {
		if scratch == nil {
			scratch = make([]float32, cd.dim)
		}
		unitInto(scratch, v)
		v = scratch
	}
	switch cd.enc {
	case quant.INT8:
		codes := unsafeInt8(dst[:cd.dim])
		corr, err := cd.q.Encode(codes, v)
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(dst[cd.dim:], math.Float32bits(corr))
	case quant.FP16:
		h := make([]uint16, cd.dim)
		if err := quant.EncodeFP16(h, v); err != nil {
			return err
		}
		for i, x := range h {
			binary.LittleEndian.PutUint16(dst[2*i:], x)
		}
	}
	return nil
}

// EncodeCode writes the code row that a collection with configuration cfg
// stores for vector v (as written; under cosine the row encodes its unit
// vector) into dst, which must hold CodeRowSize bytes. It is what the
// store writes and Check compares against. Errors: ErrInvalidConfig for
// an unencoded or untrained cfg, quant.ErrValue for a component the
// encoding cannot hold, a dimension mismatch as *DimensionError. O(dim).
func EncodeCode(cfg Config, dst []byte, v []float32) error {
	cd, err := parseCodec(cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if !cd.active() {
		return fmt.Errorf("%w: vector encoding %s stores no codes", ErrInvalidConfig, cd.enc)
	}
	if len(v) != cfg.Dim {
		return &DimensionError{Want: cfg.Dim, Got: len(v)}
	}
	if len(dst) != cd.rowLen {
		return fmt.Errorf("store: code row buffer has %d bytes, want %d", len(dst), cd.rowLen)
	}
	return cd.encodeRow(dst, v, nil)
}

// cblockLen is the payload length of a code block of rows rows.
func cblockLen(rows, rowLen int) int { return 8 + 4*((rows+31)/32) + rows*rowLen }

// cblock is a code block's payload, its length validated.
type cblock struct {
	rows, rowLen int
	tag          uint32
	p            []byte
}

func parseCBlock(shift uint, rowLen int, p []byte) (cblock, error) {
	if len(p) < 8 {
		return cblock{}, fmt.Errorf("code block has %d bytes", len(p))
	}
	rows := binary.LittleEndian.Uint32(p)
	if rows == 0 || rows > 1<<shift {
		return cblock{}, fmt.Errorf("code block has %d rows, want 1..%d", rows, 1<<shift)
	}
	if want := cblockLen(int(rows), rowLen); len(p) != want {
		return cblock{}, fmt.Errorf("code block of %d rows has %d bytes, want %d", rows, len(p), want)
	}
	return cblock{int(rows), rowLen, binary.LittleEndian.Uint32(p[4:]), p}, nil
}

func (cb cblock) has(row int) bool { return row < cb.rows && cb.p[8+row>>3]&(1<<(row&7)) != 0 }

func (cb cblock) codesAt() int { return 8 + 4*((cb.rows+31)/32) }

// codes returns the rows region (rows × rowLen bytes).
func (cb cblock) codes() []byte { return cb.p[cb.codesAt():] }

func (cb cblock) row(row int) []byte {
	off := cb.codesAt() + row*cb.rowLen
	return cb.p[off : off+cb.rowLen : off+cb.rowLen]
}

// encodeCBlock builds a code block payload from one vector row per id of
// the block (nil: absent; else 4·dim bytes LE), as encodeVBlock does for
// the vectors; nil when no row is present.
func (c *Collection) encodeCBlock(rows [][]byte) ([]byte, error) {
	n := 0
	for i, r := range rows {
		if r != nil {
			n = i + 1
		}
	}
	if n == 0 {
		return nil, nil
	}
	cd := c.codec
	cb := cblock{n, cd.rowLen, cd.tag, make([]byte, cblockLen(n, cd.rowLen), cblockLen(n, cd.rowLen)+crcLen)}
	binary.LittleEndian.PutUint32(cb.p, uint32(n))
	binary.LittleEndian.PutUint32(cb.p[4:], cd.tag)
	vec := make([]float32, cd.dim)
	scratch := make([]float32, cd.dim)
	for i, r := range rows[:n] {
		if r == nil {
			continue
		}
		cb.p[8+i>>3] |= 1 << (i & 7)
		decodeVector(vec, r)
		if err := cd.encodeRow(cb.row(i), vec, scratch); err != nil {
			return nil, fmt.Errorf("store: collection %q: id %d: %w", c.name, uint32(i), err)
		}
	}
	return cb.p, nil
}

// foldCodes rewrites code block b from the vector rows of its freshly
// folded vector block (one entry per id of the block, nil when absent),
// or deletes it when none is present. A no-op for a collection that
// stores no codes. foldVectors calls it.
func (c *Collection) foldCodes(b uint32, rows [][]byte) error {
	if !c.codec.active() {
		return nil
	}
	p, err := c.encodeCBlock(rows)
	if err != nil {
		return err
	}
	bk := blockKey(b)
	if p == nil {
		if cb := c.b.Bucket(cblocksBucket); cb != nil {
			return cb.Delete(bk)
		}
		return nil
	}
	cb, err := c.b.CreateBucketIfNotExists(cblocksBucket)
	if err != nil {
		return err
	}
	cb.FillPercent = 1.0
	return cb.Put(bk, seal(bk, p))
}

// CodeChunks returns the codes of every stored vector as chunks of
// 1<<shift ids, in the graph's row layout (CodeRowSize bytes a row): id's
// code row is chunks[id>>shift][(id&(1<<shift-1))*rowLen:][:rowLen]; a
// chunk holds rows up to its highest stored id (nil when none). A code
// block whose seal and parameters tag verify, with no vector deltas over
// it, on a 4-byte-aligned address, is handed out as a view of the mapped
// file (valid while the transaction lives, see DB.BeginView; read-only
// memory); the others are copied with the codes of their delta vectors
// encoded (and, for a vector block without a code block, every row
// encoded). viewed counts the views. rowLen is 0 and chunks nil for a
// collection that stores no codes (none, untrained int8).
//
// A code block that fails its seal, was made with other parameters, or
// disagrees with its vector block's rows is an error wrapping ErrCorrupt
// naming the collection and block. Cost: one pass of CRC32C over the code
// blocks, plus O(dim) per delta vector; no allocation per id.
func (c *Collection) CodeChunks() (shift uint, rowLen int, chunks [][]byte, viewed int, err error) {
	if err := c.flush(); err != nil {
		return 0, 0, nil, 0, err
	}
	cd := c.codec
	if !cd.active() {
		return c.shift, 0, nil, 0, nil
	}
	vdel, err := c.allDeltas(c.vectors, "vectors")
	if err != nil {
		return 0, 0, nil, 0, err
	}
	vbs, err := blockValues(c, c.vblocks, "vblocks")
	if err != nil {
		return 0, 0, nil, 0, err
	}
	cbs := map[uint32][]byte{}
	if bk := c.b.Bucket(cblocksBucket); bk != nil {
		if cbs, err = blockValues(c, bk, "cblocks"); err != nil {
			return 0, 0, nil, 0, err
		}
	}
	n := 0
	for b := range vbs {
		n = max(n, int(b)+1)
	}
	for b := range cbs {
		if vbs[b] == nil {
			return 0, 0, nil, 0, c.blockCorrupt("cblocks", b, "code block without a vector block")
		}
	}
	if len(vdel) > 0 {
		n = max(n, int(vdel[len(vdel)-1].id>>c.shift)+1)
	}
	if n > 1<<(32-c.shift) {
		return 0, 0, nil, 0, corrupt(c.name, "vblocks", "block numbers reach %d", n)
	}
	if err := c.verifySealed(cbs, "cblocks", "code block"); err != nil {
		return 0, 0, nil, 0, err
	}
	chunks = make([][]byte, n)
	vec := make([]float32, cd.dim)
	scratch := make([]float32, cd.dim)
	for b := range chunks {
		bk := uint32(b)
		var del []deltaEntry
		for len(vdel) > 0 && vdel[0].id>>c.shift < bk {
			vdel = vdel[1:]
		}
		del, vdel = splitDeltas(vdel, bk, c.shift)
		var vb vblock
		if v := vbs[bk]; v != nil {
			if vb, err = parseVBlock(c.shift, cd.dim, v[:len(v)-crcLen]); err != nil {
				return 0, 0, nil, 0, c.blockCorrupt("vblocks", bk, "%v", err)
			}
		}
		var cb cblock
		if v := cbs[bk]; v != nil {
			if cb, err = c.checkCBlockHeader(bk, v[:len(v)-crcLen], vb); err != nil {
				return 0, 0, nil, 0, err
			}
		} else if vb.p != nil {
			return 0, 0, nil, 0, c.blockCorrupt("cblocks", bk, "vector block %d has no code block", bk)
		}
		if cb.p != nil && len(del) == 0 {
			chunks[b] = cb.codes()
			viewed++
			continue
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
		chunk := make([]byte, rows*cd.rowLen)
		if cb.p != nil {
			copy(chunk, cb.codes())
		}
		for _, e := range del {
			r := int(e.id & (1<<c.shift - 1))
			dst := chunk[r*cd.rowLen : (r+1)*cd.rowLen : (r+1)*cd.rowLen]
			switch {
			case len(e.p) == 0:
				if r < rows {
					clear(dst)
				}
			case len(e.p) != 4*cd.dim:
				return 0, 0, nil, 0, corruptID(c.name, "vectors", e.id, "vector has %d bytes, want %d", len(e.p), 4*cd.dim)
			default:
				decodeVector(vec, e.p)
				if err := cd.encodeRow(dst, vec, scratch); err != nil {
					return 0, 0, nil, 0, corruptID(c.name, "vectors", e.id, "vector cannot be encoded as %s: %v", cd.enc, err)
				}
			}
		}
		chunks[b] = chunk
	}
	return c.shift, cd.rowLen, chunks, viewed, nil
}

// checkCBlockHeader validates code block b's payload p (seal verified)
// against the collection's codec and its vector block vb: row count,
// parameters tag and presence bits.
func (c *Collection) checkCBlockHeader(b uint32, p []byte, vb vblock) (cblock, error) {
	cb, err := parseCBlock(c.shift, c.codec.rowLen, p)
	if err != nil {
		return cblock{}, c.blockCorrupt("cblocks", b, "%v", err)
	}
	if cb.tag != c.codec.tag {
		return cblock{}, c.blockCorrupt("cblocks", b, "codes were made with other parameters (tag %08x, config's %08x)", cb.tag, c.codec.tag)
	}
	if vb.p == nil || cb.rows != vb.rows {
		return cblock{}, c.blockCorrupt("cblocks", b, "code block has %d rows, its vector block %d", cb.rows, vb.rows)
	}
	for r := 0; r < cb.rows; r++ {
		if cb.has(r) != vb.has(r) {
			return cblock{}, c.blockCorrupt("cblocks", b, "row %d (id %d) is present in one of the code and vector blocks only", r, b<<c.shift|uint32(r))
		}
	}
	return cb, nil
}

// Encoding returns the collection's vector encoding name ("none", "fp16"
// or "int8") and whether it stores codes (false for none and for an
// untrained int8 collection). O(1).
func (c *Collection) Encoding() (name string, coded bool) {
	return c.codec.enc.String(), c.codec.active()
}

// SetEncoding changes the collection's vector encoding to enc ("none",
// "fp16" or "int8") with INT8 parameters params (EncodeParams's text; ""
// for none and fp16, or an untrained int8), and rewrites every code block
// to match, in this transaction: the config and the codes change together
// or not at all. Use it on a staged collection or a file not yet
// published (it runs in one transaction of the caller's). A vector that
// the new encoding cannot hold is an error wrapping quant.ErrValue naming
// its id, and nothing is changed. Cost: O(n·dim) encoding, writing
// n·CodeRowSize bytes.
func (c *Collection) SetEncoding(enc, params string) (err error) {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}
	cfg := c.cfg
	cfg.Encoding, cfg.EncodingParams = enc, params
	if canonicalEncoding(enc) == EncodingNone {
		cfg.Encoding = ""
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("collection %q: %w", c.name, err)
	}
	cd, err := parseCodec(cfg)
	if err != nil {
		return err
	}
	if c.b.Bucket(cblocksBucket) != nil {
		if err := c.b.DeleteBucket(cblocksBucket); err != nil {
			return err
		}
	}
	old := c.codec
	c.codec = cd
	defer func() {
		if err != nil {
			c.codec = old
		}
	}()
	if cd.active() {
		cur := c.vblocks.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if len(k) != 4 || v == nil {
				return corrupt(c.name, "vblocks", "entry with %d-byte key (nested bucket: %t)", len(k), v == nil)
			}
			b := binary.BigEndian.Uint32(k)
			p, ok := unseal(k, v)
			if !ok {
				return c.blockCorrupt("vblocks", b, "vector block fails its checksum")
			}
			vb, err := parseVBlock(c.shift, c.cfg.Dim, p)
			if err != nil {
				return c.blockCorrupt("vblocks", b, "%v", err)
			}
			rows := make([][]byte, vb.rows)
			for r := range rows {
				if vb.has(r) {
					rows[r] = vb.row(r)
				}
			}
			if err = c.foldCodes(b, rows); err != nil {
				return err
			}
		}
		// The delta vectors have no stored codes, but they must be
		// encodable under the new parameters.
		deltas, err := c.allDeltas(c.vectors, "vectors")
		if err != nil {
			return err
		}
		row := make([]byte, cd.rowLen)
		vec := make([]float32, cd.dim)
		for _, e := range deltas {
			if len(e.p) != 4*cd.dim {
				continue
			}
			decodeVector(vec, e.p)
			if err = cd.encodeRow(row, vec, nil); err != nil {
				return fmt.Errorf("store: collection %q: id %d: %w", c.name, e.id, err)
			}
		}
	}
	data, err := encodeConfig(cfg)
	if err != nil {
		return err
	}
	cb := c.b.Bucket(configBucket)
	if cb == nil {
		return corrupt(c.name, "config", "bucket missing")
	}
	if err = cb.Put(configKey, seal(configKey, data)); err != nil {
		return err
	}
	c.cfg = cfg
	return nil
}

// stageCopyCodes copies collection name's code blocks into the staged
// copy hidden (StageCopy). O(size of the code blocks).
func (db *DB) stageCopyCodes(ctx context.Context, name, hidden string) error {
	var has bool
	if err := db.View(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		has = c.b.Bucket(cblocksBucket) != nil
		return nil
	}); err != nil || !has {
		return err
	}
	if err := db.Update(func(tx *Tx) error {
		c, err := tx.Collection(hidden)
		if err != nil {
			return err
		}
		_, err = c.b.CreateBucketIfNotExists(cblocksBucket)
		return err
	}); err != nil {
		return err
	}
	return db.copySealed(ctx, name, hidden, cblocksBucket, func(c *Collection) (*bolt.Bucket, error) { // stage.go
		return c.b.Bucket(cblocksBucket), nil
	})
}

// unsafeInt8 views b as int8s.
func unsafeInt8(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}

// checkEncodable reports a component that cfg's encoding cannot hold:
// beyond ±65504 under fp16, beyond ±quant.MaxComponent under int8 (unit
// vectors under cosine always fit). Put, Validate and ValidateVector
// call it (through checkVector), so such a vector is refused before it
// reaches a code block or trained parameters. O(dim).
func checkEncodable(cfg Config, key string, vec []float32) error {
	if cfg.Metric == Cosine {
		return nil
	}
	var limit float32
	switch canonicalEncoding(cfg.Encoding) {
	case EncodingFP16:
		limit = 65504
	case EncodingINT8:
		limit = quant.MaxComponent
	default:
		return nil
	}
	for i, x := range vec {
		if x > limit || x < -limit {
			return fmt.Errorf("%w: %svector component %d is %v, beyond the %s encoding's range ±%g", ErrInvalidVector, keyPrefix(key), i, x, canonicalEncoding(cfg.Encoding), limit)
		}
	}
	return nil
}

// verifySealed verifies the seal of every block value in vals (a block
// bucket's, by block number), on GOMAXPROCS goroutines (parallel); noun
// names the block kind in the error.
func (c *Collection) verifySealed(vals map[uint32][]byte, bucket, noun string) error {
	keys := make([]uint32, 0, len(vals))
	for b := range vals {
		keys = append(keys, b)
	}
	return c.parallel(context.Background(), runtime.GOMAXPROCS(0), len(keys), func(_, i int) error {
		b := keys[i]
		if _, ok := unseal(blockKey(b), vals[b]); !ok {
			return c.blockCorrupt(bucket, b, "%s fails its checksum", noun)
		}
		return nil
	})
}
