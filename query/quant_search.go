package query

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// searchGraph runs a graph search (or, with scan, an exact scan) of q on
// g. On an encoded graph the search traverses the codes and re-ranks
// ceil(k·oversample) candidates with the exact vectors (SearchRescore),
// and the scan compares q with every exact vector (ExactWith): distances,
// hence scores, are exact either way. The caller holds c.mu for reading.
// Cost: as index.Graph.Search plus ceil(k·oversample) exact distances; a
// scan is O(n·dim).
func (c *Collection) searchGraph(g *index.Graph, q []float32, k, ef int, filter index.Filter, scan bool, oversample float64) ([]index.Neighbor, error) {
	if c.qx == nil {
		if scan {
			return g.Exact(q, k, filter), nil
		}
		return g.Search(q, k, ef, filter), nil
	}
	rows, release, err := c.exactSource()
	if err != nil {
		return nil, fmt.Errorf("query: collection %q: exact vectors: %w", c.name, err)
	}
	defer release()
	var res []index.Neighbor
	if scan {
		res = g.ExactWith(q, k, filter, rows.source)
	} else {
		res = g.SearchRescore(nil, q, k, ef, filter, oversample, rows.source)
	}
	if err := rows.failed(); err != nil {
		return nil, fmt.Errorf("query: collection %q: exact vectors: %w", c.name, err)
	}
	return res, nil
}

// graphVector returns a copy of id's vector as the graph compares it: the
// graph's float32 vector (unit under cosine), or for an encoded graph the
// exact stored vector (normalised under cosine), never the lossy code.
// The caller holds c.mu for reading. O(dim).
func (c *Collection) graphVector(g *index.Graph, id uint32) ([]float32, error) {
	if c.qx == nil {
		return append([]float32(nil), g.Vector(id)...), nil
	}
	rows, release, err := c.exactSource()
	if err != nil {
		return nil, fmt.Errorf("query: collection %q: exact vectors: %w", c.name, err)
	}
	defer release()
	buf := make([]float32, c.cfg.Dim)
	v, err := rows.v.Read(id, buf)
	if err != nil {
		return nil, fmt.Errorf("query: collection %q: exact vectors: %w", c.name, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	v = append(buf[:0], v...) // a copy (Read may return the views' own memory)
	if c.cfg.Metric == Cosine {
		normalize(v)
	}
	return v, nil
}

// vectors returns a function giving id's vector as the graph compares it,
// unit length under cosine, and the function that releases it: for a
// float32 graph g.Vector (a view of the graph's slab); for an encoded
// graph the exact stored vector (read, or normalised under cosine, into a
// buffer that the next call reuses: copy what you keep), never the lossy
// code. nil when id has no vector (or the exact vectors cannot be read:
// the error goes to the search that needs them). For use by one
// goroutine; the caller holds c.mu for reading. O(dim) a call.
func (c *Collection) vectors(g *index.Graph) (vec func(uint32) []float32, release func()) {
	if c.qx == nil {
		return g.Vector, func() {}
	}
	rows, release, err := c.exactSource()
	if err != nil {
		return func(uint32) []float32 { return nil }, func() {}
	}
	buf := make([]float32, c.cfg.Dim)
	cosine := c.cfg.Metric == Cosine
	return func(id uint32) []float32 {
		v := rows.source(id, buf)
		if v == nil || !cosine {
			return v
		}
		if &v[0] != &buf[0] {
			copy(buf, v)
		}
		normalize(buf)
		return buf
	}, release
}

// sameGraphVector reports whether the graph already holds unit (the
// graph's form of a record's new vector) for id, so that an upsert needs no
// graph work: the same float32 bits, or for an encoded graph the same code
// row (two vectors with one code give the graph the same node; the exact
// vector, which re-ranking reads, is compared and rewritten by the store
// write). The caller holds wmu. O(dim).
func (c *Collection) sameGraphVector(g *index.Graph, id uint32, unit []float32) bool {
	row := g.CodeRow(id)
	if row == nil {
		return sameBits(g.Vector(id), unit)
	}
	code := make([]byte, len(row))
	switch g.Encoding() {
	case quant.INT8:
		q := g.Int8Params()
		codes := unsafe.Slice((*int8)(unsafe.Pointer(&code[0])), len(unit))
		corr, err := q.Encode(codes, unit)
		if err != nil {
			return false
		}
		binary.LittleEndian.PutUint32(code[len(unit):], math.Float32bits(corr))
	case quant.FP16:
		h := make([]uint16, len(unit))
		if err := quant.EncodeFP16(h, unit); err != nil {
			return false
		}
		for i, x := range h {
			binary.LittleEndian.PutUint16(code[2*i:], x)
		}
	default:
		return false
	}
	return bytes.Equal(code, row)
}
