package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// MaxNodeID returns one more than the highest id with a graph node, or 0
// when the collection has no node. It reads the last keys of the graph
// delta bucket and the last graph blocks, from the top down: a node in a
// block counts unless a delta deletes it. O(B) for the last block's
// offsets, plus a lookup per deleted row above the highest node.
func (c *Collection) MaxNodeID() (uint32, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	if top, logged, err := c.maxNodeIDLogged(); logged || err != nil { // nodelog.go
		return top, err
	}
	if err := c.checkEdges(); err != nil { // edge.go
		return 0, err
	}
	var top uint32
	cur := c.graph.Cursor()
	for k, v := cur.Last(); k != nil; k, v = cur.Prev() {
		if len(k) != 4 {
			return 0, corrupt(c.name, "graph", "entry with %d-byte key", len(k))
		}
		if p, ok := unseal(k, v); !ok || len(p) > 0 {
			top = binary.BigEndian.Uint32(k) + 1 // a bad delta is reported by the load
			break
		}
	}
	bc := c.gblocks.Cursor()
	for k, _ := bc.Last(); k != nil; k, _ = bc.Prev() {
		if len(k) != 4 {
			return 0, corrupt(c.name, "gblocks", "entry with %d-byte key", len(k))
		}
		b := binary.BigEndian.Uint32(k)
		if (b+1)<<c.shift <= top && b < ^uint32(0)>>c.shift {
			break // every id of this block and below is under top
		}
		g, ok, err := c.gblockAt(b)
		if err != nil {
			return 0, err
		}
		for row := 1<<c.shift - 1; ok && row >= 0; row-- {
			id := b<<c.shift | uint32(row)
			if id < top {
				return top, nil
			}
			if g.node(row) == nil {
				continue
			}
			if v := c.graph.Get(idKey(id)); v != nil {
				if p, ok := unseal(idKey(id), v); ok && len(p) == 0 {
					continue // deleted by a delta
				}
			}
			return id + 1, nil
		}
	}
	return top, nil
}

// ForEachLoad walks records, vectors and graph nodes together in id order,
// the one pass that loading a collection into memory needs. fn gets each
// record's id, key, seq, vector, graph node and metadata (nil when none);
// vec, node and meta are valid only during the call. A record without a
// vector or a graph node, or a graph node without a record, is an error
// wrapping ErrCorrupt. O(n); ForEachLoadParallel is the same on several
// cores.
func (c *Collection) ForEachLoad(fn func(id uint32, key string, seq uint64, vec []float32, node, meta []byte) error) error {
	return c.ForEachLoadParallel(context.Background(), 1, func(_ int, id uint32, key []byte, seq uint64, vec []float32, node, meta []byte) error {
		return fn(id, string(key), seq, vec, node, meta)
	})
}

// walk visits every record in id order with its vector and, if withGraph,
// its graph node, reading each block once. Nodes without records are not
// looked for (ForEachLoad does).
func (c *Collection) walk(withGraph bool, fn func(id uint32, d *decodedRecord, vec []float32, node []byte) error) error {
	if err := c.flush(); err != nil {
		return err
	}
	vec := make([]float32, c.cfg.Dim)
	rc := c.records.Cursor()
	for k, v := rc.First(); k != nil; k, v = rc.Next() {
		if len(k) != 4 {
			return corrupt(c.name, "records", "key of %d bytes, want 4", len(k))
		}
		id := binary.BigEndian.Uint32(k)
		d, err := c.decodeRecordValue(id, k, v)
		if err != nil {
			return err
		}
		if err := c.vector(id, vec); err != nil {
			return err
		}
		var node []byte
		if withGraph {
			if node, err = c.nodeBytes(id); err != nil {
				return err
			}
			if node == nil {
				return corruptID(c.name, "graph", id, "record %s has no graph node", quoteKey(string(d.key)))
			}
		}
		if err := fn(id, &d, vec, node); err != nil {
			return err
		}
	}
	return nil
}

// LoadFunc receives one record during ForEachLoadParallel: the worker
// number (0..workers-1), id, key, seq, vector, graph node and metadata
// (nil when none). key, vec, node and meta are valid only during the call;
// vec belongs to the worker and may be modified.
type LoadFunc func(worker int, id uint32, key []byte, seq uint64, vec []float32, node, meta []byte) error

// loadItem is one block's share of a load: its vector and graph block
// values (aliasing the mapped file; nil when absent) and its deltas.
type loadItem struct {
	b          uint32
	vb, gb     []byte
	vdel, gdel []deltaEntry
}

// ForEachLoadParallel is ForEachLoad decoded on several cores. It reads
// the collection's vector and graph blocks (a few hundred large values,
// sequential in the file) and their deltas as slices of the mapped file,
// and workers goroutines take a block each: they verify its checksums,
// walk its records and call fn concurrently, for distinct ids, in no
// particular order. It allocates per block, not per record: one vector
// buffer per worker and the lists of blocks and deltas. ctx is checked
// between blocks. workers < 1 means 1. Errors as ForEachLoad; with several
// errors, one of them. O(n) work spread over the workers.
func (c *Collection) ForEachLoadParallel(ctx context.Context, workers int, fn LoadFunc) error {
	return c.loadParallel(ctx, workers, true, fn)
}

// ForEachLoadLinks is ForEachLoadParallel without the vectors: fn gets a
// nil vec (each record's vector is still required to exist). Use it with
// VectorChunks, which hands the vectors out by block.
func (c *Collection) ForEachLoadLinks(ctx context.Context, workers int, fn LoadFunc) error {
	return c.loadParallel(ctx, workers, false, fn)
}

func (c *Collection) loadParallel(ctx context.Context, workers int, withVec bool, fn LoadFunc) error {
	if err := c.flush(); err != nil {
		return err
	}
	workers = max(workers, 1)
	items, err := c.loadItems()
	if err != nil {
		return err
	}
	workers = min(workers, max(len(items), 1))
	curs := make([]*bolt.Cursor, workers)
	for i := range curs {
		curs[i] = c.records.Cursor()
	}
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
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
			var vec []float32
			if withVec {
				vec = make([]float32, c.cfg.Dim)
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := c.loadBlock(&items[i], curs[w], vec, w, fn); err != nil {
					errs[w] = err
					next.Store(int64(len(items))) // stop the others early
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

// loadItems lists every block that holds records, vectors or nodes, with
// its block values and deltas.
func (c *Collection) loadItems() ([]loadItem, error) {
	vdel, err := c.allDeltas(c.vectors, "vectors")
	if err != nil {
		return nil, err
	}
	gdel, err := c.nodeDeltas() // graph/ and the node log (nodelog.go)
	if err != nil {
		return nil, err
	}
	vbs, err := blockValues(c, c.vblocks, "vblocks")
	if err != nil {
		return nil, err
	}
	gbs, err := blockValues(c, c.gblocks, "gblocks")
	if err != nil {
		return nil, err
	}
	// The blocks that hold anything: only those, so that a damaged key far
	// beyond the data costs one item, not millions.
	var blocks []uint32
	for _, m := range []map[uint32][]byte{vbs, gbs} {
		for b := range m {
			blocks = append(blocks, b)
		}
	}
	for _, d := range [][]deltaEntry{vdel, gdel} {
		for _, e := range d {
			blocks = append(blocks, e.id>>c.shift)
		}
	}
	cur := c.records.Cursor()
	for k, _ := cur.First(); k != nil; {
		if len(k) != 4 {
			return nil, corrupt(c.name, "records", "key of %d bytes, want 4", len(k))
		}
		b := binary.BigEndian.Uint32(k) >> c.shift
		blocks = append(blocks, b)
		if b == ^uint32(0)>>c.shift {
			break
		}
		k, _ = cur.Seek(idKey((b + 1) << c.shift))
	}
	slices.Sort(blocks)
	blocks = slices.Compact(blocks)
	items := make([]loadItem, 0, len(blocks))
	for _, b := range blocks {
		it := loadItem{b: b, vb: vbs[b], gb: gbs[b]}
		for len(vdel) > 0 && vdel[0].id>>c.shift < b {
			vdel = vdel[1:]
		}
		for len(gdel) > 0 && gdel[0].id>>c.shift < b {
			gdel = gdel[1:]
		}
		it.vdel, vdel = splitDeltas(vdel, b, c.shift)
		it.gdel, gdel = splitDeltas(gdel, b, c.shift)
		items = append(items, it)
	}
	return items, nil
}

// blockValues returns every value of a block bucket by block number,
// aliasing the file.
func blockValues(c *Collection, bucket *bolt.Bucket, name string) (map[uint32][]byte, error) {
	m := make(map[uint32][]byte)
	cur := bucket.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 4 || v == nil {
			return nil, corrupt(c.name, name, "entry with %d-byte key (nested bucket: %t)", len(k), v == nil)
		}
		m[binary.BigEndian.Uint32(k)] = v
	}
	return m, nil
}

// splitDeltas returns the leading deltas of block b and the rest.
func splitDeltas(d []deltaEntry, b uint32, shift uint) (in, rest []deltaEntry) {
	n := 0
	for n < len(d) && d[n].id>>shift == b {
		n++
	}
	return d[:n:n], d[n:]
}

// loadBlock verifies one block's values and hands each of its records to
// fn, with vec as the decode buffer.
func (c *Collection) loadBlock(it *loadItem, cur *bolt.Cursor, vec []float32, w int, fn LoadFunc) error {
	var vb vblock
	if it.vb != nil && vec != nil { // VectorChunks verified it otherwise
		bk := blockKey(it.b)
		p, ok := unseal(bk, it.vb)
		if !ok {
			return c.blockCorrupt("vblocks", it.b, "vector block fails its checksum")
		}
		var err error
		if vb, err = parseVBlock(c.shift, c.cfg.Dim, p); err != nil {
			return c.blockCorrupt("vblocks", it.b, "%v", err)
		}
	}
	var gb gblock
	if it.gb != nil {
		bk := blockKey(it.b)
		p, ok := unseal(bk, it.gb)
		if !ok {
			return c.blockCorrupt("gblocks", it.b, "graph block fails its checksum")
		}
		var err error
		if gb, err = parseGBlock(c.shift, p); err != nil {
			return c.blockCorrupt("gblocks", it.b, "%v", err)
		}
	}
	mask := uint32(1)<<c.shift - 1
	vi, gi, recs := 0, 0, 0
	lo := it.b << c.shift
	for k, v := cur.Seek(idKey(lo)); k != nil; k, v = cur.Next() {
		if len(k) != 4 {
			return corrupt(c.name, "records", "key of %d bytes, want 4", len(k))
		}
		id := binary.BigEndian.Uint32(k)
		if id>>c.shift != it.b {
			break
		}
		recs++
		d, err := c.decodeRecordValue(id, k, v)
		if err != nil {
			return err
		}
		row := int(id & mask)
		var vp []byte
		for vi < len(it.vdel) && it.vdel[vi].id < id {
			vi++
		}
		if vi < len(it.vdel) && it.vdel[vi].id == id {
			vp = it.vdel[vi].p
			if len(vp) != 0 && len(vp) != 4*c.cfg.Dim {
				return corruptID(c.name, "vectors", id, "vector has %d bytes, want %d", len(vp), 4*c.cfg.Dim)
			}
		} else if vec == nil && it.vb != nil && vblockHas(it.vb, row) {
			vp = it.vb // present; VectorChunks reads it
		} else if vb.p != nil && vb.has(row) {
			vp = vb.row(row)
		}
		if len(vp) == 0 {
			return corruptID(c.name, "vectors", id, "record has no vector")
		}
		if vec != nil {
			decodeVector(vec, vp)
		}
		var node []byte
		for gi < len(it.gdel) && it.gdel[gi].id < id {
			gi++
		}
		if gi < len(it.gdel) && it.gdel[gi].id == id {
			node = it.gdel[gi].p
		} else if gb.off != nil {
			node = gb.node(row)
		}
		if len(node) == 0 {
			return corruptID(c.name, "graph", id, "record %s has no graph node", quoteKey(string(d.key)))
		}
		if err := fn(w, id, d.key, d.seq, vec, node, d.meta); err != nil {
			return err
		}
	}
	// Every node must have a record: count the block's nodes.
	nodes := 0
	if gb.off != nil {
		for row := 0; row < gb.rows; row++ {
			if gb.node(row) != nil {
				nodes++
			}
		}
	}
	for _, e := range it.gdel {
		inBlock := gb.off != nil && gb.node(int(e.id&mask)) != nil
		switch {
		case len(e.p) > 0 && !inBlock:
			nodes++
		case len(e.p) == 0 && inBlock:
			nodes--
		}
	}
	if nodes != recs {
		return c.orphanNode(it, gb)
	}
	return nil
}

// orphanNode finds a graph node of the block without a record, for the
// error (the load counted one more node than records).
func (c *Collection) orphanNode(it *loadItem, gb gblock) error {
	mask := uint32(1)<<c.shift - 1
	has := func(id uint32) bool {
		for _, e := range it.gdel {
			if e.id == id {
				return len(e.p) > 0
			}
		}
		return gb.off != nil && gb.node(int(id&mask)) != nil
	}
	for row := uint32(0); row <= mask; row++ {
		id := it.b<<c.shift | row
		if has(id) && c.records.Get(idKey(id)) == nil {
			return corruptID(c.name, "graph", id, "graph node %d has no record", id)
		}
	}
	return corruptID(c.name, "graph", it.b<<c.shift, "the block of ids from %d holds more graph nodes than records", it.b<<c.shift)
}

// vblockHas reports whether the raw vector block value v (sealed, not
// verified here) has row: within its row count and its presence bit set.
func vblockHas(v []byte, row int) bool {
	if len(v) < 4 {
		return false
	}
	rows := int(binary.LittleEndian.Uint32(v))
	return row < rows && 4+row>>3 < len(v) && v[4+row>>3]&(1<<(row&7)) != 0
}

// NodeFunc receives one graph node during ForEachNodeParallel: the worker
// number (0..workers-1), the id and the node's bytes, valid only during
// the call.
type NodeFunc func(worker int, id uint32, node []byte) error

// ForEachNodeParallel calls fn for every graph node, from the graph blocks
// and the node deltas, on workers goroutines that take a block each: each
// block's checksum is verified and fn runs concurrently for distinct ids,
// in no particular order. Records are not read, so nothing checks here
// that a node has a record (Check does): a read-only open that reads keys
// only for the results it returns uses it with VectorChunks. ctx is
// checked between blocks; workers < 1 means 1; with several errors, one of
// them is returned. O(n) work spread over the workers, no allocation per
// node.
func (c *Collection) ForEachNodeParallel(ctx context.Context, workers int, fn NodeFunc) error {
	if err := c.flush(); err != nil {
		return err
	}
	gdel, err := c.nodeDeltas() // graph/ and the node log (nodelog.go)
	if err != nil {
		return err
	}
	gbs, err := blockValues(c, c.gblocks, "gblocks")
	if err != nil {
		return err
	}
	blocks := make([]uint32, 0, len(gbs)+len(gdel))
	for b := range gbs {
		blocks = append(blocks, b)
	}
	for _, e := range gdel {
		blocks = append(blocks, e.id>>c.shift)
	}
	slices.Sort(blocks)
	blocks = slices.Compact(blocks)
	items := make([]loadItem, len(blocks))
	for i, b := range blocks {
		for len(gdel) > 0 && gdel[0].id>>c.shift < b {
			gdel = gdel[1:]
		}
		items[i] = loadItem{b: b, gb: gbs[b]}
		items[i].gdel, gdel = splitDeltas(gdel, b, c.shift)
	}
	return c.parallel(ctx, workers, len(items), func(w, i int) error {
		return c.nodeBlock(&items[i], w, fn)
	})
}

// parallel runs do(worker, i) for i in 0..n-1 on up to workers goroutines,
// stopping early at the first error, and returns one of the errors. A
// fault reading the mapped file (a damaged page) becomes an error wrapping
// ErrCorrupt.
func (c *Collection) parallel(ctx context.Context, workers, n int, do func(w, i int) error) error {
	workers = min(max(workers, 1), max(n, 1))
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[w] = fmt.Errorf("%w: collection %q: reading the file: %v", ErrCorrupt, c.name, r)
				}
			}()
			debug.SetPanicOnFault(true)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := do(w, i); err != nil {
					errs[w] = err
					next.Store(int64(n)) // stop the others early
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

// nodeBlock verifies one graph block and hands each of its nodes, with
// the deltas applied, to fn.
func (c *Collection) nodeBlock(it *loadItem, w int, fn NodeFunc) error {
	var gb gblock
	if it.gb != nil {
		bk := blockKey(it.b)
		p, ok := unseal(bk, it.gb)
		if !ok {
			return c.blockCorrupt("gblocks", it.b, "graph block fails its checksum")
		}
		var err error
		if gb, err = parseGBlock(c.shift, p); err != nil {
			return c.blockCorrupt("gblocks", it.b, "%v", err)
		}
	}
	lo := it.b << c.shift
	di := 0
	for row := 0; row < 1<<c.shift; row++ {
		id := lo | uint32(row)
		var node []byte
		if row < gb.rows {
			node = gb.node(row)
		}
		for di < len(it.gdel) && it.gdel[di].id < id {
			di++
		}
		if di < len(it.gdel) && it.gdel[di].id == id {
			node = it.gdel[di].p
		}
		if len(node) == 0 {
			if row >= gb.rows && di >= len(it.gdel) {
				break
			}
			continue
		}
		if err := fn(w, id, node); err != nil {
			return err
		}
	}
	return nil
}

// ForEachRecordKey calls fn for every record in ascending id order with
// its key, seq and metadata (nil when none), all valid only during the
// call; vectors and graph nodes are not read. Each record's checksum is
// verified. It stops at and returns the first error fn returns. O(n).
func (c *Collection) ForEachRecordKey(fn func(id uint32, key []byte, seq uint64, meta []byte) error) error {
	cur := c.records.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 4 {
			return corrupt(c.name, "records", "key of %d bytes, want 4", len(k))
		}
		id := binary.BigEndian.Uint32(k)
		d, err := c.decodeRecordValue(id, k, v)
		if err != nil {
			return err
		}
		if err := fn(id, d.key, d.seq, d.meta); err != nil {
			return err
		}
	}
	return nil
}

// FoldDeltas folds the node log and every vector and node delta of
// collection name into its blocks, a few blocks per transaction, so that a load reads blocks
// only (a bulk load leaves deltas in the blocks its batches straddle, and
// the neighbours its later batches relink). The pages read are released
// from the resident set after each transaction (Tx.ReleaseMapped). Cost:
// O(size of the blocks that have deltas).
func (db *DB) FoldDeltas(ctx context.Context, name string) error {
	// The node log first: its newest nodes become graph/ deltas, or fold
	// their blocks (nodelog.go).
	if err := db.Update(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		return c.FoldNodeLog()
	}); err != nil {
		return err
	}
	var blocks []uint32
	if err := db.View(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		for _, bk := range []*bolt.Bucket{c.vectors, c.graph} {
			d, err := c.allDeltas(bk, c.bucketName(bk))
			if err != nil {
				return err
			}
			for _, e := range d {
				blocks = append(blocks, e.id>>c.shift)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	slices.Sort(blocks)
	blocks = slices.Compact(blocks)
	const perTx = 8
	for len(blocks) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(perTx, len(blocks))
		if err := db.Update(func(tx *Tx) error {
			defer tx.ReleaseMapped()
			c, err := tx.Collection(name)
			if err != nil {
				return err
			}
			for _, b := range blocks[:n] {
				if d, err := c.deltasIn(c.vectors, b); err != nil {
					return err
				} else if len(d) > 0 {
					if err := c.foldVectors(b, d, nil); err != nil {
						return err
					}
				}
				if d, err := c.deltasIn(c.graph, b); err != nil {
					return err
				} else if len(d) > 0 {
					if err := c.foldNodes(b, d, nil); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
		blocks = blocks[n:]
	}
	return nil
}
