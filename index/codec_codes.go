package index

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/vecbolt/vecbolt/index/quant"
)

// restoreCodes is a Restorer's state for an encoded graph.
type restoreCodes struct {
	rows  []int      // rows present in each chunk given to SetCodes
	shift uint       // log2 of the rows per chunk given to SetCodes
	mu    sync.Mutex // protects owned and the chunks of g.codes while Node calls run
	owned []bool     // chunk c of g.codes is the graph's (allocated or copied), not a view
	set   bool       // SetEncoding was called
}

// SetEncoding makes the graph being restored hold enc codes (params: the
// INT8 parameters, as Graph.SetEncoding; quant.None does nothing). Call it
// before SetCodes and before any Node. Node(id, vec, node) then encodes vec;
// after SetCodes, Node(id, nil, node) uses the code row given there
// instead. Errors as Graph.SetEncoding, and an error after Node, after
// SetVectors or on a second call. O(1) under FP16 (code rows are allocated
// by the Node calls that need them, and by Finish for free slots); under
// INT8 it allocates the graph's code slab, O(n·dim) bytes.
func (r *Restorer) SetEncoding(enc quant.Encoding, params *quant.Int8) error {
	g := r.g
	switch {
	case g == nil || r.restored.Load() != 0:
		return fmt.Errorf("index: Restorer.SetEncoding after Node or Finish")
	case r.codes.set:
		return fmt.Errorf("%w: Restorer.SetEncoding called twice", ErrEncoded)
	case g.viewed:
		return fmt.Errorf("%w: Restorer.SetEncoding after SetVectors (an encoded graph holds no float32 vectors)", ErrOptions)
	}
	params, err := g.checkEncodingArgs(enc, params)
	if err != nil || enc == quant.None {
		return err
	}
	r.codes.set = true
	g.setCodeLayout(enc, params)
	g.vecs = nil
	if enc == quant.INT8 {
		// INT8 codes are always the graph's own, in its layout (codeLayout).
		g.codes, g.corrs = g.newCodeSlabs()
		r.codes.owned = make([]bool, len(g.codes))
		for c := range r.codes.owned {
			r.codes.owned[c] = true
		}
		return nil
	}
	g.codes = make([][]byte, (g.capacity+chunkMask)>>chunkShift)
	r.codes.owned = make([]bool, len(g.codes))
	return nil
}

// SetCodes makes the graph take its code rows from chunks: node id's row is
// chunks[id>>shift][(id&(1<<shift-1))*CodeRowSize():][:CodeRowSize()], in
// the layout CodeRowSize describes. FP16 rows are read where they are,
// without copying them; INT8 rows are copied into the graph's own layout
// (codes aligned to cache lines, correction terms apart: O(n·dim) here,
// and the chunks are not used afterwards). Call it after SetEncoding and
// before any Node; Node(id, nil, node) then uses the row,
// and Node(id, vec, node) with a vector (a newer row kept elsewhere, such
// as a delta record) encodes vec instead, copying that one chunk first (the
// graph never writes the caller's memory). The caller must keep the
// chunks unchanged and valid for the graph's life; the graph's first write
// (Add, Update, Delete, Reconnect) or Check copies them all (O(n·dim),
// once). shift must be at most 16 and every chunk hold whole rows, at most
// 1<<shift. FP16 rows are read as native uint16: chunks need no alignment
// on amd64 and arm64. Errors wrap ErrOptions or ErrCorrupt. O(number of
// chunks).
func (r *Restorer) SetCodes(shift uint, chunks [][]byte) error {
	g := r.g
	switch {
	case g == nil || r.restored.Load() != 0:
		return fmt.Errorf("index: Restorer.SetCodes after Node or Finish")
	case !r.codes.set:
		return fmt.Errorf("%w: Restorer.SetCodes before SetEncoding", ErrOptions)
	case g.cviewed:
		return fmt.Errorf("%w: Restorer.SetCodes called twice", ErrOptions)
	case shift > chunkShift:
		return fmt.Errorf("%w: code chunks of 1<<%d nodes, limit 1<<%d", ErrOptions, shift, chunkShift)
	}
	rows := make([]int, len(chunks))
	for i, c := range chunks {
		if len(c)%g.crow != 0 || len(c) > g.crow<<shift {
			return corruptf("code chunk %d has %d bytes, not whole rows of %d up to %d", i, len(c), g.crow, g.crow<<shift)
		}
		rows[i] = len(c) / g.crow
	}
	r.codes.rows, r.codes.shift = rows, shift
	if g.enc == quant.INT8 {
		r.copyInt8Rows(shift, chunks)
		return nil
	}
	per := 1 << shift
	codes := make([][]byte, max(len(chunks), (g.capacity+per-1)/per))
	copy(codes, chunks)
	g.codes, g.cshift, g.cviewed = codes, shift, true
	r.codes.owned = make([]bool, len(codes))
	return nil
}

// copyInt8Rows copies the INT8 rows of chunks (SetCodes' layout) of the
// nodes below the graph's capacity into its slabs, a chunk per goroutine
// on every core (the chunks may be views of a mapped file: the copy faults
// them in). O(n·dim). A fault reading a chunk panics in the goroutine that
// read it; the caller of SetCodes on a mapped file recovers it there.
func (r *Restorer) copyInt8Rows(shift uint, chunks [][]byte) {
	g := r.g
	copyChunk := func(i int) {
		c := chunks[i]
		for row := 0; row < len(c)/g.crow; row++ {
			id := uint32(i<<shift + row)
			if int(id) >= g.capacity {
				return
			}
			codes, corr := int8Code(c[row*g.crow:(row+1)*g.crow], g.dim)
			copy(g.code(id), unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(codes))), g.dim))
			g.corrs[id>>chunkShift][id&chunkMask] = corr
		}
	}
	var next atomic.Int64
	var fault atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(chunks)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					fault.Store(fmt.Sprint(p))
				}
			}()
			debug.SetPanicOnFault(true)
			for i := int(next.Add(1) - 1); i < len(chunks); i = int(next.Add(1) - 1) {
				copyChunk(i)
			}
		}()
	}
	wg.Wait()
	if p := fault.Load(); p != nil {
		panic("index: reading the code rows given to SetCodes: " + p.(string))
	}
}

// checkCodeRow reports a node restored without a vector whose code row is
// not in the chunks given to SetCodes.
func (r *Restorer) checkCodeRow(id uint32) error {
	c, row := int(id>>r.codes.shift), int(id&(1<<r.codes.shift-1))
	if c >= len(r.codes.rows) || row >= r.codes.rows[c] {
		return corruptf("node %d: no code row in the chunks given to SetCodes", id)
	}
	return nil
}

// putVec stores a restored node's vector: copied into a float32 graph,
// encoded into an encoded one (into a chunk the graph owns, allocated or
// copied from the view first). A vector the encoding cannot hold is
// corruption here: the writer should have refused it.
func (r *Restorer) putVec(id uint32, vec []float32) error {
	g := r.g
	if g.enc == quant.None {
		r.ownVecs()
		copy(g.vec(id), vec)
		return nil
	}
	if err := g.checkEncodable(vec); err != nil {
		return corruptf("node %d: %w", id, err)
	}
	if g.enc == quant.INT8 {
		return g.encodeRow(id, vec) // owned from the start
	}
	c := int(id >> g.cshift)
	r.codes.mu.Lock()
	if !r.codes.owned[c] {
		per := 1 << g.cshift
		owned := make([]byte, min(g.capacity-c*per, per)*g.crow)
		copy(owned, g.codes[c])
		g.codes[c] = owned
		r.codes.owned[c] = true
	}
	r.codes.mu.Unlock()
	return g.encodeRow(id, vec)
}

// ownVecs allocates the float32 slab of a float32 graph being restored,
// once, unless its rows are views (SetVectors): Restore leaves it out,
// since an encoded graph or one viewing the caller's vectors never needs
// it (4·dim bytes a node). Safe for concurrent use by Node calls.
func (r *Restorer) ownVecs() {
	r.vecsOnce.Do(func() {
		if g := r.g; g.enc == quant.None && !g.viewed && g.vecs == nil {
			g.vecs = growChunks[float32](nil, g.capacity, g.dim)
		}
	})
}

// finishCodes gives every chunk of an encoded graph that no Node wrote or
// viewed its owned, zeroed rows (the free slots a later Add reuses).
func (r *Restorer) finishCodes() {
	g := r.g
	if !r.codes.set || g.enc == quant.INT8 {
		return // INT8 slabs are allocated whole by SetEncoding
	}
	per := 1 << g.cshift
	for c := range g.codes {
		if g.codes[c] == nil {
			g.codes[c] = make([]byte, min(g.capacity-c*per, per)*g.crow)
		}
	}
}
