package index

import (
	"fmt"
	"sync"

	"github.com/vecbolt/vecbolt/index/quant"
)

// restoreCodes is a Restorer's state for an encoded graph.
type restoreCodes struct {
	rows  []int      // rows present in each chunk given to SetCodes
	mu    sync.Mutex // protects owned and the chunks of g.codes while Node calls run
	owned []bool     // chunk c of g.codes is the graph's (allocated or copied), not a view
	set   bool       // SetEncoding was called
}

// SetEncoding makes the graph being restored hold enc codes (params: the
// INT8 parameters, as Graph.SetEncoding; quant.None does nothing). Call it
// before SetCodes and before any Node. Node(id, vec, node) then encodes vec;
// after SetCodes, Node(id, nil, node) uses the viewed code row instead.
// Errors as Graph.SetEncoding, and an error after Node, after SetVectors
// or on a second call. O(1): code rows are allocated by the Node calls
// that need them (and by Finish for free slots), not here.
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
	g.enc, g.i8, g.crow, g.cshift = enc, params, codeRowSize(enc, g.dim), chunkShift
	g.codes = make([][]byte, (g.capacity+chunkMask)>>chunkShift)
	g.vecs = nil
	r.codes.owned = make([]bool, len(g.codes))
	return nil
}

// SetCodes makes the graph read its code rows from chunks, without copying
// them: node id's row is chunks[id>>shift][(id&(1<<shift-1))*CodeRowSize():]
// [:CodeRowSize()], in the layout CodeRowSize describes. Call it after
// SetEncoding and before any Node; Node(id, nil, node) then uses the row,
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
	per := 1 << shift
	codes := make([][]byte, max(len(chunks), (g.capacity+per-1)/per))
	copy(codes, chunks)
	g.codes, g.cshift, g.cviewed = codes, shift, true
	r.codes.rows = rows
	r.codes.owned = make([]bool, len(codes))
	return nil
}

// checkCodeRow reports a node restored without a vector whose code row is
// not in the chunks given to SetCodes.
func (r *Restorer) checkCodeRow(id uint32) error {
	c, row := int(id>>r.g.cshift), int(id&(1<<r.g.cshift-1))
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
	c := int(id >> g.cshift)
	r.codes.mu.Lock()
	if !r.codes.owned[c] {
		per := 1 << g.cshift
		owned := make([]byte, min(g.capacity-c*per, per)*g.crow)
		copy(owned, g.codes[c])
		g.codes[c] = owned
		r.codes.owned[c] = true
	}
	row := g.code(id)
	r.codes.mu.Unlock()
	return g.encodeRow(row, vec)
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
	if !r.codes.set {
		return
	}
	per := 1 << g.cshift
	for c := range g.codes {
		if g.codes[c] == nil {
			g.codes[c] = make([]byte, min(g.capacity-c*per, per)*g.crow)
		}
	}
}
