package index

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/vecbolt/vecbolt/index/quant"
	"github.com/viterin/vek/vek32"
)

// SetEncoding makes the graph hold its vectors as enc codes (quant.FP16 or
// quant.INT8) instead of float32: 2 or dim+4 bytes a node instead of 4·dim.
// params are the INT8 parameters (required for quant.INT8, of the graph's
// dimension and metric; ignored otherwise). On an empty graph, later Adds
// keep codes only. On a non-empty float32 graph it encodes every live
// vector and frees the float32 slabs: "build on FP32, then quantize" (the
// links stay those built on the exact vectors). quant.None on a float32
// graph does nothing.
//
// Errors: an invalid encoding wraps quant.ErrEncoding; missing or
// mismatched INT8 parameters wrap ErrOptions; an encoded graph refuses any
// change (ErrEncoded: re-encoding needs the exact vectors, so the caller
// rebuilds); a vector the encoding cannot hold (beyond ±65504 for FP16,
// beyond ±quant.MaxComponent, NaN or infinite) wraps ErrVector and
// quant.ErrValue, and leaves the graph unchanged. SetEncoding is exclusive
// (it waits for searches and inserts) and costs O(n·dim).
func (g *Graph) SetEncoding(enc quant.Encoding, params *quant.Int8) error {
	params, err := g.checkEncodingArgs(enc, params)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.enc != quant.None {
		return fmt.Errorf("%w: graph holds %s codes, asked for %s", ErrEncoded, g.enc, enc)
	}
	if enc == quant.None {
		return nil
	}
	// vec reads vecs and vshift, which stay as they are until the end.
	g.setCodeLayout(enc, params)
	g.codes, g.corrs = g.newCodeSlabs()
	n := g.next.Load()
	for id := uint32(0); id < n; id++ {
		if g.stateAt(id) != stateLive {
			continue
		}
		if err := g.encodeRow(id, g.vec(id)); err != nil {
			g.setCodeLayout(quant.None, nil)
			g.codes, g.corrs = nil, nil
			return fmt.Errorf("index: SetEncoding: node %d: %w", id, err)
		}
	}
	g.vecs, g.viewed = nil, false
	return nil
}

// checkEncodingArgs validates SetEncoding's arguments and returns the
// parameters to keep (nil unless INT8).
func (g *Graph) checkEncodingArgs(enc quant.Encoding, params *quant.Int8) (*quant.Int8, error) {
	if !enc.Valid() {
		return nil, fmt.Errorf("index: SetEncoding: %w %d", quant.ErrEncoding, uint8(enc))
	}
	if enc != quant.INT8 {
		return nil, nil
	}
	switch {
	case params == nil:
		return nil, fmt.Errorf("%w: int8 encoding needs parameters", ErrOptions)
	case params.Dim() != g.dim:
		return nil, fmt.Errorf("%w: int8 parameters of dimension %d, graph dimension %d", ErrOptions, params.Dim(), g.dim)
	case params.Metric() != quant.Metric(g.metric):
		return nil, fmt.Errorf("%w: int8 parameters for %s, graph metric %s", ErrOptions, params.Metric(), g.metric)
	}
	return params, nil
}

// Encoding returns how the graph holds its vectors: quant.None (float32,
// the default), quant.FP16 or quant.INT8. Safe for concurrent use, O(1).
func (g *Graph) Encoding() quant.Encoding {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.enc
}

// Int8Params returns the INT8 parameters of an INT8 graph, nil otherwise.
// They are immutable. Safe for concurrent use, O(1).
func (g *Graph) Int8Params() *quant.Int8 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.i8
}

// CodeRowSize returns the bytes of one stored code row: dim+4 under INT8
// (dim int8 codes, then the float32 correction term little-endian), 2·dim
// under FP16 (little-endian halves), 0 for a float32 graph. O(1).
func (g *Graph) CodeRowSize() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.crow
}

// setCodeLayout sets the encoding and the layout of its codes (no slabs).
// Caller holds mu for writing or owns g.
func (g *Graph) setCodeLayout(enc quant.Encoding, params *quant.Int8) {
	g.enc, g.i8, g.crow, g.cshift, g.cviewed = enc, params, codeRowSize(enc, g.dim), chunkShift, false
	g.cwidth, g.cstride = codeLayout(enc, g.dim)
}

// codeLayout returns how an encoded graph lays out one node's code in its
// slab: width bytes, stride bytes apart. FP16 rows are stored as they are
// (2·dim bytes, no gap). INT8 codes are stored without their correction
// term (kept in corrs), stride rounded up to whole 64-byte cache lines, or
// to a power of two below 64 bytes, so that a code in a line-aligned chunk
// never straddles a line more than it must: 128 dimensions read 2 lines
// instead of the 3 that a 132-byte row (codes and term together) spans.
func codeLayout(enc quant.Encoding, dim int) (width, stride int) {
	switch enc {
	case quant.FP16:
		return 2 * dim, 2 * dim
	case quant.INT8:
		if dim >= 64 {
			return dim, (dim + 63) &^ 63
		}
		s := 1
		for s < dim {
			s <<= 1
		}
		return dim, s
	}
	return 0, 0
}

// newCodeSlabs returns zeroed code chunks (and INT8 correction-term
// chunks, nil otherwise) for the graph's capacity in its layout. Reorder
// fills them with copyCode. Caller holds mu.
func (g *Graph) newCodeSlabs() ([][]byte, [][]float32) {
	codes := growChunks[byte](nil, g.capacity, g.cstride)
	for _, c := range codes {
		adviseHuge(c) // filled whole: a few faults per 2 MiB instead of one per 4 KiB
	}
	var corrs [][]float32
	if g.enc == quant.INT8 {
		corrs = growChunks[float32](nil, g.capacity, 1)
	}
	return codes, corrs
}

// copyCode copies node old's code (and correction term) into node nu's
// place in slabs made by newCodeSlabs. Caller holds mu.
func (g *Graph) copyCode(codes [][]byte, corrs [][]float32, nu, old uint32) {
	b := int(nu&chunkMask) * g.cstride
	copy(codes[nu>>chunkShift][b:b+g.cwidth], g.code(old))
	if corrs != nil {
		corrs[nu>>chunkShift][nu&chunkMask] = g.corrs[old>>chunkShift][old&chunkMask]
	}
}

func codeRowSize(enc quant.Encoding, dim int) int {
	switch enc {
	case quant.INT8:
		return dim + 4
	case quant.FP16:
		return 2 * dim
	}
	return 0
}

// CodeRow returns node id's code row (CodeRowSize bytes, layout as
// CodeRowSize says), or nil if id is not live or the graph holds float32
// vectors. The caller must not modify it. Under FP16 it is a view of the
// graph's slab, valid like Vector's until id is updated or deleted (a later
// slot reuse overwrites it): copy it to keep it. Under INT8 it is a new
// copy (the graph keeps codes and correction terms apart). Safe for
// concurrent use, O(dim).
func (g *Graph) CodeRow(id uint32) []byte {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.enc == quant.None || !g.isLive(id) {
		return nil
	}
	if g.enc == quant.INT8 {
		c, corr := g.int8Row(id)
		row := make([]byte, g.crow)
		copy(row, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c))), len(c)))
		binary.LittleEndian.PutUint32(row[g.dim:], math.Float32bits(corr))
		return row
	}
	return g.code(id)
}

// AppendVector appends node id's vector as the graph holds it to dst and
// returns it (dst unchanged if id is not live): the float32 vector itself,
// the exact value of its FP16 code, or the decoded INT8 code (an
// approximation; the exact vector is the caller's). Safe for concurrent
// use, O(dim).
func (g *Graph) AppendVector(dst []float32, id uint32) []float32 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.isLive(id) {
		return dst
	}
	n := len(dst)
	dst = append(dst, make([]float32, g.dim)...)
	g.decodeRow(dst[n:], id)
	return dst
}

// code returns node id's code in the slab: its FP16 row, or its INT8
// codes without the correction term (int8Row). Caller holds mu; the graph
// is encoded.
func (g *Graph) code(id uint32) []byte {
	b := int(id&(1<<g.cshift-1)) * g.cstride
	return g.codes[id>>g.cshift][b : b+g.cwidth : b+g.cwidth]
}

// int8Row returns node id's INT8 codes and correction term. Caller holds
// mu; the graph is INT8.
func (g *Graph) int8Row(id uint32) ([]int8, float32) {
	c := g.code(id)
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(c))), len(c)), g.corrs[id>>chunkShift][id&chunkMask]
}

// int8Code splits a stored INT8 row (CodeRowSize layout) into its codes
// and correction term.
func int8Code(row []byte, dim int) ([]int8, float32) {
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(row))), dim),
		math.Float32frombits(binary.LittleEndian.Uint32(row[dim:]))
}

// halfCode views an FP16 row as its halves. Rows are read as native uint16:
// vecbolt's platforms (amd64, arm64) are little-endian, as the layout is.
func halfCode(row []byte, dim int) []uint16 {
	return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(row))), dim)
}

// checkEncodable refuses a vector the graph's encoding cannot hold, before
// anything is written: a *VectorError wrapping ErrVector and the quant
// error (quant.ErrValue). A float32 graph accepts every vector (as before
// encodings existed). Caller holds mu or knows g.enc cannot change.
func (g *Graph) checkEncodable(v []float32) error {
	switch g.enc {
	case quant.FP16:
		for i, x := range v {
			if h := quant.FromFloat32(x); h&0x7c00 == 0x7c00 {
				return &VectorError{Err: &quant.ValueError{Index: i, Value: x, Why: fp16Why(x)}}
			}
		}
	case quant.INT8:
		for i, x := range v {
			if x != x || x > quant.MaxComponent || x < -quant.MaxComponent {
				return &VectorError{Err: &quant.ValueError{Index: i, Value: x, Why: valueWhy(x)}}
			}
		}
	}
	return nil
}

func fp16Why(x float32) string {
	if x != x || math.IsInf(float64(x), 0) {
		return valueWhy(x)
	}
	return "beyond the fp16 range (±65504)"
}

func valueWhy(x float32) string {
	switch {
	case x != x:
		return "NaN"
	case math.IsInf(float64(x), 0):
		return "infinite"
	}
	return "beyond ±MaxComponent"
}

// encodeRow writes v's code as node id's. Caller holds mu; g is encoded
// and id's code is owned (not viewed).
func (g *Graph) encodeRow(id uint32, v []float32) error {
	if err := g.checkEncodable(v); err != nil {
		return err
	}
	if g.enc == quant.FP16 {
		return quant.EncodeFP16(halfCode(g.code(id), g.dim), v)
	}
	codes, _ := g.int8Row(id)
	corr, err := g.i8.Encode(codes, v)
	if err != nil {
		return &VectorError{Err: err}
	}
	g.corrs[id>>chunkShift][id&chunkMask] = corr
	return nil
}

// putRow stores vec as node id's vector (copied or encoded). The vector has
// passed checkEncodable. Caller holds mu; the row is owned (not viewed).
func (g *Graph) putRow(id uint32, vec []float32) {
	if g.enc == quant.None {
		copy(g.vec(id), vec)
		return
	}
	if err := g.encodeRow(id, vec); err != nil {
		panic("index: putRow: " + err.Error()) // checked by the caller
	}
}

// clearRow zeroes node id's vector or code. Caller holds mu for writing.
func (g *Graph) clearRow(id uint32) {
	if g.enc == quant.None {
		clear(g.vec(id))
		return
	}
	clear(g.code(id))
	if g.enc == quant.INT8 {
		g.corrs[id>>chunkShift][id&chunkMask] = 0
	}
}

// decodeRow writes node id's vector as the graph holds it into dst (len
// dim). Caller holds mu.
func (g *Graph) decodeRow(dst []float32, id uint32) {
	switch g.enc {
	case quant.None:
		copy(dst, g.vec(id))
	case quant.FP16:
		quant.DecodeFP16(dst, halfCode(g.code(id), g.dim))
	default:
		c, _ := g.int8Row(id)
		g.i8.Decode(dst, c)
	}
}

// prefetchRow starts loading node id's stored row (vector or code) into
// the cache: every line it touches, counted from its address (a row that
// does not start on a line boundary spans one more line than its size
// suggests), and, when the level-0 lists are packed, the line of its
// list's offset (see PackLevel0). Caller holds mu.
func (g *Graph) prefetchRow(id uint32) {
	g.prefetchOffset(id) // packed.go
	var p unsafe.Pointer
	var size uintptr
	if g.enc == quant.None {
		p, size = unsafe.Pointer(&g.vec(id)[0]), uintptr(4*g.dim)
	} else {
		p, size = unsafe.Pointer(&g.code(id)[0]), uintptr(g.cwidth)
		if g.enc == quant.INT8 {
			// The correction term lives apart (codeLayout): one more line.
			prefetchVec(&g.corrs[id>>chunkShift][id&chunkMask], 1)
		}
	}
	a := uintptr(p)
	prefetchVec((*float32)(p), int((a+size-1)>>6-a>>6)+1)
}

// prepared is a query in the form the graph's encoding compares fastest:
// the float32 vector itself (float32 and FP16 graphs) or an INT8 query
// quantized once (quant.Query). One lives in each pooled searcher.
type prepared struct {
	v   []float32   // the query (float32, FP16), not owned unless it is buf
	q8  quant.Query // INT8
	buf []float32   // decoded node vector (prepareNode)
}

// prepareVec prepares q. It returns false if the INT8 parameters refuse it
// (a NaN, infinite or beyond-MaxComponent component). Caller holds mu.
func (g *Graph) prepareVec(p *prepared, q []float32) bool {
	p.v = q
	if g.enc == quant.INT8 {
		return g.i8.PrepareQuery(&p.q8, q) == nil
	}
	return true
}

// prepareNode prepares node id's stored vector as a query (decoded once
// from its code on an encoded graph). Caller holds mu.
func (g *Graph) prepareNode(p *prepared, id uint32) {
	if g.enc == quant.None {
		p.v = g.vec(id)
		return
	}
	if cap(p.buf) < g.dim {
		p.buf = make([]float32, g.dim)
	}
	p.buf = p.buf[:g.dim]
	g.decodeRow(p.buf, id)
	p.v = p.buf
	if g.enc == quant.INT8 {
		// Decoded components lie within the trained ranges, so within
		// MaxComponent: PrepareQuery cannot refuse them.
		_ = g.i8.PrepareQuery(&p.q8, p.buf)
	}
}

// pdist is the distance from prepared query p to node id: the search
// loop's one call per distance, float32 first. Caller holds mu.
func (g *Graph) pdist(p *prepared, id uint32) float32 {
	if g.enc == quant.None {
		v := g.vec(id)
		switch g.metric {
		case Cosine:
			return 1 - vek32.Dot(p.v, v)
		case Dot:
			return -vek32.Dot(p.v, v)
		}
		d := vek32.Distance(p.v, v)
		return d * d
	}
	return g.codeDist(p, id)
}

// batchDist computes the distances from q to the nodes ids into s.dists
// and returns it (len(ids) values): under INT8 with one batch kernel call
// (quant.Int8.Distances: no call, checks and reduction chain per node),
// otherwise one pdist per node. s.codes may keep views of code rows until
// the searcher's next use; they are never read after this call. Caller
// holds mu.
func (g *Graph) batchDist(s *searcher, q *prepared, ids []uint32) []float32 {
	if cap(s.dists) < len(ids) {
		s.dists = make([]float32, len(ids), max(len(ids), g.m0))
	}
	d := s.dists[:len(ids)]
	if g.enc != quant.INT8 {
		for i, id := range ids {
			d[i] = g.pdist(q, id)
		}
		return d
	}
	codes, corrs := s.codes[:0], s.corrs[:0]
	for _, id := range ids {
		c, corr := g.int8Row(id)
		codes = append(codes, c)
		corrs = append(corrs, corr)
	}
	s.codes, s.corrs = codes, corrs
	g.i8.Distances(d, &q.q8, codes, corrs)
	return d
}

// codeDist is pdist on an encoded graph.
func (g *Graph) codeDist(p *prepared, id uint32) float32 {
	switch g.enc {
	case quant.INT8:
		c, corr := g.int8Row(id)
		return g.i8.Distance(&p.q8, c, corr)
	default:
		return quant.DistanceFP16(quant.Metric(g.metric), p.v, halfCode(g.code(id), g.dim))
	}
}

// nodeDist is the distance between stored nodes a and b. Under INT8 with
// per-dimension scales it is a float loop (quant.Int8.CodeDistance): hot
// paths prepare one side instead (selectNeighbors, addLink). Caller holds
// mu.
func (g *Graph) nodeDist(a, b uint32) float32 {
	switch g.enc {
	case quant.None:
		return distance(g.metric, g.vec(a), g.vec(b))
	case quant.INT8:
		ca, ea := g.int8Row(a)
		cb, eb := g.int8Row(b)
		return g.i8.CodeDistance(ca, ea, cb, eb)
	default:
		return quant.DistanceFP16Codes(quant.Metric(g.metric), halfCode(g.code(a), g.dim), halfCode(g.code(b), g.dim))
	}
}

// unviewCodesLocked replaces FP16 code rows viewed in the caller's memory
// (see Restorer.SetCodes) with chunks the graph owns: O(n·dim), once.
// Caller holds mu for writing.
func (g *Graph) unviewCodesLocked() {
	if !g.cviewed {
		return
	}
	owned := growChunks[byte](nil, g.capacity, g.cstride)
	n := int(g.next.Load())
	for id := 0; id < n; id++ {
		c, row := id>>g.cshift, id&(1<<g.cshift-1)
		if c >= len(g.codes) || (row+1)*g.crow > len(g.codes[c]) {
			continue // never restored: free
		}
		copy(owned[id>>chunkShift][(id&chunkMask)*g.cstride:], g.codes[c][row*g.crow:(row+1)*g.crow])
	}
	g.codes, g.cshift, g.cviewed = owned, chunkShift, false
}
