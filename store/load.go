package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"sync"
)

// MaxNodeID returns one more than the highest id with a graph node, or 0
// when the graph bucket is empty. It reads one key.
func (c *Collection) MaxNodeID() (uint32, error) {
	k, _ := c.graph.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	if len(k) != 4 {
		return 0, corrupt(c.name, "graph", "entry with %d-byte key", len(k))
	}
	return binary.BigEndian.Uint32(k) + 1, nil
}

// ForEachLoad walks records, vectors and graph nodes together in id order,
// the one pass that loading a collection into memory needs: three cursors
// in lockstep, no copies. fn gets each record's id, key, seq, vector, graph
// node and metadata (nil when none); vec, node and meta are valid only
// during the call. A record without
// a vector or a graph node, or a graph node without a record, is an error
// wrapping ErrCorrupt.
func (c *Collection) ForEachLoad(fn func(id uint32, key string, seq uint64, vec []float32, node, meta []byte) error) error {
	return c.walk(true, func(id uint32, d *decodedRecord, vec []float32, node []byte) error {
		return fn(id, string(d.key), d.seq, vec, node, d.meta)
	})
}

// walk visits every record in id order with its vector and, if withGraph,
// its graph node, using one cursor per bucket in lockstep.
func (c *Collection) walk(withGraph bool, fn func(id uint32, d *decodedRecord, vec []float32, node []byte) error) error {
	vec := make([]float32, c.cfg.Dim)
	rc, vc, gc := c.records.Cursor(), c.vectors.Cursor(), c.graph.Cursor()
	vk, vv := vc.First()
	var gk, gv []byte
	if withGraph {
		gk, gv = gc.First()
	}
	for k, v := rc.First(); k != nil; k, v = rc.Next() {
		if len(k) != 4 {
			return corrupt(c.name, "records", "key of %d bytes, want 4", len(k))
		}
		id := binary.BigEndian.Uint32(k)
		d, err := c.decodeRecordValue(id, k, v)
		if err != nil {
			return err
		}
		for vk != nil && bytes.Compare(vk, k) < 0 {
			vk, vv = vc.Next() // orphan vector: Check reports it
		}
		if !bytes.Equal(vk, k) {
			return corruptID(c.name, "vectors", id, "record has no vector")
		}
		if err := c.decodeVectorValue(id, vk, vv, vec); err != nil {
			return err
		}
		vk, vv = vc.Next()
		var node []byte
		if withGraph {
			if gk != nil && bytes.Compare(gk, k) < 0 {
				return corrupt(c.name, "graph", "graph node %x has no record", gk)
			}
			if !bytes.Equal(gk, k) || gv == nil {
				return corruptID(c.name, "graph", id, "record %s has no graph node", quoteKey(string(d.key)))
			}
			var ok bool
			if node, ok = unseal(gk, gv); !ok || len(node) == 0 {
				return corruptID(c.name, "graph", id, "node fails its checksum")
			}
			gk, gv = gc.Next()
		}
		if err := fn(id, &d, vec, node); err != nil {
			return err
		}
	}
	if gk != nil {
		return corrupt(c.name, "graph", "graph node %x has no record", gk)
	}
	return nil
}

// loadBlock is how many entries ForEachLoadParallel gathers before
// decoding them in parallel.
const loadBlock = 1 << 16

// loadEntry is one record's values, aliasing the file's mapped pages.
type loadEntry struct {
	k, rec, vec, node []byte
}

// LoadFunc receives one record during ForEachLoadParallel: the worker
// number (0..workers-1), id, key, seq, vector, graph node and metadata
// (nil when none). key, vec, node and meta are valid only during the call;
// vec belongs to the worker and may be modified.
type LoadFunc func(worker int, id uint32, key []byte, seq uint64, vec []float32, node, meta []byte) error

// ForEachLoadParallel is ForEachLoad decoded on several cores: one
// sequential pass of three cursors gathers blocks of 65,536 records as
// slices of the mapped file (no copies), and workers goroutines verify
// their checksums, decode them and call fn concurrently, for distinct ids,
// in no particular order. It allocates per block, not per record: one
// vector buffer per worker and the block's slice table. ctx is checked
// between blocks. workers < 1 means 1. Errors as ForEachLoad; with several
// errors, one of them.
func (c *Collection) ForEachLoadParallel(ctx context.Context, workers int, fn LoadFunc) error {
	workers = max(workers, 1)
	vecs := make([][]float32, workers)
	for i := range vecs {
		vecs[i] = make([]float32, c.cfg.Dim)
	}
	block := make([]loadEntry, 0, min(loadBlock, c.Len()+1))
	rc, vc, gc := c.records.Cursor(), c.vectors.Cursor(), c.graph.Cursor()
	vk, vv := vc.First()
	gk, gv := gc.First()
	k, v := rc.First()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		block = block[:0]
		for ; k != nil && len(block) < loadBlock; k, v = rc.Next() {
			if len(k) != 4 {
				return corrupt(c.name, "records", "key of %d bytes, want 4", len(k))
			}
			for vk != nil && bytes.Compare(vk, k) < 0 {
				vk, vv = vc.Next() // orphan vector: Check reports it
			}
			if !bytes.Equal(vk, k) {
				return corruptID(c.name, "vectors", binary.BigEndian.Uint32(k), "record has no vector")
			}
			if gk != nil && bytes.Compare(gk, k) < 0 {
				return corrupt(c.name, "graph", "graph node %x has no record", gk)
			}
			if !bytes.Equal(gk, k) || gv == nil {
				id := binary.BigEndian.Uint32(k)
				if d, err := c.decodeRecordValue(id, k, v); err == nil {
					return corruptID(c.name, "graph", id, "record %s has no graph node", quoteKey(string(d.key)))
				}
				return corruptID(c.name, "graph", id, "record has no graph node")
			}
			block = append(block, loadEntry{k: k, rec: v, vec: vv, node: gv})
			vk, vv = vc.Next()
			gk, gv = gc.Next()
		}
		if len(block) == 0 {
			break
		}
		if err := c.decodeBlock(block, vecs, fn); err != nil {
			return err
		}
	}
	if gk != nil {
		return corrupt(c.name, "graph", "graph node %x has no record", gk)
	}
	return nil
}

// decodeBlock runs fn over block on len(vecs) goroutines, each taking
// a contiguous share.
func (c *Collection) decodeBlock(block []loadEntry, vecs [][]float32, fn LoadFunc) error {
	workers := min(len(vecs), (len(block)+255)/256)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*len(block)/workers, (w+1)*len(block)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				// A damaged page can make a read fault; the caller
				// turns panics into errors, but only on its own
				// goroutine.
				if r := recover(); r != nil {
					errs[w] = fmt.Errorf("%w: collection %q: reading the file: %v", ErrCorrupt, c.name, r)
				}
			}()
			debug.SetPanicOnFault(true)
			for _, e := range block[lo:hi] {
				id := binary.BigEndian.Uint32(e.k)
				d, err := c.decodeRecordValue(id, e.k, e.rec)
				if err == nil {
					err = c.decodeVectorValue(id, e.k, e.vec, vecs[w])
				}
				if err != nil {
					errs[w] = err
					return
				}
				node, ok := unseal(e.k, e.node)
				if !ok || len(node) == 0 {
					errs[w] = corruptID(c.name, "graph", id, "node fails its checksum")
					return
				}
				if err := fn(w, id, d.key, d.seq, vecs[w], node, d.meta); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
