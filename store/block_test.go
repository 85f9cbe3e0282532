package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/store"
)

func TestBlockShift(t *testing.T) {
	for _, c := range []struct {
		dim  int
		want uint
	}{{1, 16}, {4, 16}, {5, 15}, {100, 11}, {768, 8}, {4096, 6}, {65536, 6}} {
		if got := store.BlockShiftFor(c.dim); got != c.want {
			t.Errorf("dim %d: shift %d, want %d", c.dim, got, c.want)
		}
	}
}

// blockModel is the expected content of a collection, kept independently
// of the store: vectors and nodes by id.
type blockModel struct {
	vecs  map[uint32][]float32
	nodes map[uint32][]byte
}

// bucketKeys counts the entries of a collection's sub-bucket.
func bucketKeys(t *testing.T, db *store.DB, sub string) int {
	t.Helper()
	n := 0
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		n = c.BucketLen(sub)
		return err
	})
	return n
}

// assertModel compares every way of reading vectors and nodes with m.
func assertModel(t *testing.T, db *store.DB, m blockModel, step string) {
	t.Helper()
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		if c.Len() != len(m.vecs) {
			t.Fatalf("%s: Len %d, want %d", step, c.Len(), len(m.vecs))
		}
		for id, v := range m.vecs {
			r, err := c.GetByID(id)
			if err != nil {
				t.Fatalf("%s: GetByID(%d): %v", step, id, err)
			}
			if !slices.Equal(r.Vector, v) {
				t.Fatalf("%s: id %d: vector differs", step, id)
			}
		}
		seen := 0
		if err := c.ForEachNode(func(id uint32, node []byte) error {
			seen++
			if !bytes.Equal(node, m.nodes[id]) {
				t.Fatalf("%s: ForEachNode: node %d = %x, want %x", step, id, node, m.nodes[id])
			}
			if got, err := c.ReadNode(id); err != nil || !bytes.Equal(got, node) {
				t.Fatalf("%s: ReadNode(%d) = %x, %v", step, id, got, err)
			}
			return nil
		}); err != nil {
			return err
		}
		if seen != len(m.nodes) {
			t.Fatalf("%s: ForEachNode saw %d nodes, want %d", step, seen, len(m.nodes))
		}
		var maxID uint32
		for id := range m.nodes {
			maxID = max(maxID, id+1)
		}
		if got, err := c.MaxNodeID(); err != nil || got != maxID {
			t.Fatalf("%s: MaxNodeID = %d, %v; want %d", step, got, err, maxID)
		}
		loaded := 0
		var mu = make(chan struct{}, 1)
		mu <- struct{}{}
		if err := c.ForEachLoadParallel(context.Background(), 3, func(_ int, id uint32, key []byte, _ uint64, vec []float32, node, _ []byte) error {
			<-mu
			defer func() { mu <- struct{}{} }()
			loaded++
			if string(key) != fmt.Sprintf("k%d", id) || !slices.Equal(vec, m.vecs[id]) || !bytes.Equal(node, m.nodes[id]) {
				t.Errorf("%s: load: id %d differs", step, id)
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: load: %v", step, err)
		}
		if loaded != len(m.vecs) {
			t.Fatalf("%s: load saw %d records, want %d", step, loaded, len(m.vecs))
		}
		nodes := 0
		if err := c.ForEachNodeParallel(context.Background(), 3, func(_ int, id uint32, node []byte) error {
			<-mu
			defer func() { mu <- struct{}{} }()
			nodes++
			if !bytes.Equal(node, m.nodes[id]) {
				t.Errorf("%s: ForEachNodeParallel: node %d = %x, want %x", step, id, node, m.nodes[id])
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: ForEachNodeParallel: %v", step, err)
		}
		if nodes != len(m.nodes) {
			t.Fatalf("%s: ForEachNodeParallel saw %d nodes, want %d", step, nodes, len(m.nodes))
		}
		return nil
	})
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// TestBlocksAndDeltas writes a collection in bulk (whole blocks), then
// single writes and deletes (deltas) until a block folds, and checks every
// read path against a model after each step, and where the bytes went.
func TestBlocksAndDeltas(t *testing.T) {
	db := openTemp(t)
	const dim = 1024 // 256 ids per block, folded at 64 deltas
	per := 1 << store.BlockShiftFor(dim)
	r := rand.New(rand.NewPCG(1, 2))
	m := blockModel{vecs: map[uint32][]float32{}, nodes: map[uint32][]byte{}}
	node := func(id uint32) []byte { return []byte(fmt.Sprintf("node %d %d", id, r.IntN(1000))) }
	put := func(c *store.Collection, id uint32) error {
		v := randVec(r, dim)
		if err := c.Put(&store.Record{ID: id, Key: fmt.Sprintf("k%d", id), Vector: v}); err != nil {
			return err
		}
		nb := node(id)
		m.vecs[id], m.nodes[id] = v, nb
		return c.PutNode(id, nb)
	}
	// Bulk: 2.5 blocks in one transaction.
	n := uint32(per*2 + per/2)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: dim, Metric: store.L2})
		if err != nil {
			return err
		}
		recs := make([]store.Record, n)
		for i := range recs {
			recs[i] = store.Record{ID: uint32(i), Key: fmt.Sprintf("k%d", i), Vector: randVec(r, dim)}
			m.vecs[uint32(i)] = recs[i].Vector
		}
		if err := c.PutBatch(recs); err != nil {
			return err
		}
		for id := uint32(0); id < n; id++ {
			m.nodes[id] = node(id)
			if err := c.PutNode(id, m.nodes[id]); err != nil {
				return err
			}
		}
		return nil
	})
	assertModel(t, db, m, "bulk")
	// Two full blocks; the half block's 128 writes reach its fold point too.
	if got := bucketKeys(t, db, "vblocks"); got != 3 {
		t.Fatalf("after the bulk load: %d vector blocks, want 3", got)
	}
	if v, g := bucketKeys(t, db, "vectors"), bucketKeys(t, db, "graph"); v != 0 || g != 0 {
		t.Fatalf("after the bulk load: %d vector and %d node deltas, want none", v, g)
	}

	// Single writes into block 1: deltas, until the 64th folds them.
	fold := per / 4
	for i := 0; i < fold-1; i++ {
		id := uint32(per + r.IntN(per))
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, _ := tx.Collection("c")
			if i%5 == 4 { // a delete now and then
				if _, ok := m.vecs[id]; ok {
					if _, err := c.Delete(fmt.Sprintf("k%d", id)); err != nil {
						return err
					}
					delete(m.vecs, id)
					delete(m.nodes, id)
					return c.DeleteNode(id)
				}
			}
			if _, ok := m.vecs[id]; !ok {
				return put(c, id)
			}
			v := randVec(r, dim)
			m.vecs[id] = v
			if err := c.Put(&store.Record{ID: id, Key: fmt.Sprintf("k%d", id), Vector: v}); err != nil {
				return err
			}
			m.nodes[id] = node(id)
			return c.PutNode(id, m.nodes[id])
		})
	}
	assertModel(t, db, m, "deltas")
	// Vectors as deltas; nodes in the node log, one value per transaction.
	vd, gd, nl := bucketKeys(t, db, "vectors"), bucketKeys(t, db, "graph"), bucketKeys(t, db, "nodelog")
	if vd == 0 || vd >= fold || gd != 0 || nl != fold-1 {
		t.Fatalf("after %d single writes: %d vector deltas (want 1..%d), %d node deltas (want 0) and %d log values (want %d)",
			fold-1, vd, fold-1, gd, nl, fold-1)
	}
	// More writes to block 1 until it folds (deltas back to none).
	for i := 0; bucketKeys(t, db, "vectors") != 0; i++ {
		id := uint32(per + i)
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, _ := tx.Collection("c")
			return put(c, id)
		})
		if i > fold {
			t.Fatal("block 1 never folded")
		}
	}
	if got := bucketKeys(t, db, "graph"); got > fold {
		t.Fatalf("after the fold: %d node deltas", got)
	}
	assertModel(t, db, m, "folded")
	// Delete everything in block 0: its blocks go.
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		for id := uint32(0); id < uint32(per); id++ {
			if _, err := c.Delete(fmt.Sprintf("k%d", id)); err != nil {
				return err
			}
			if err := c.DeleteNode(id); err != nil {
				return err
			}
			delete(m.vecs, id)
			delete(m.nodes, id)
		}
		return nil
	})
	assertModel(t, db, m, "block 0 deleted")
	// The 256 node deletions went to the log; folding it drops block 0.
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		return c.FoldNodeLog()
	})
	assertModel(t, db, m, "log folded")
	if got, nl := bucketKeys(t, db, "gblocks"), bucketKeys(t, db, "nodelog"); got != 2 || nl != 0 {
		t.Fatalf("after deleting block 0 and folding the log: %d graph blocks (want 2), %d log values (want 0)", got, nl)
	}
	// Single deletes of the highest ids: deltas over the last block that
	// delete its top rows, which MaxNodeID must not count.
	for _, id := range []uint32{n - 1, n - 2} {
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, _ := tx.Collection("c")
			if _, err := c.Delete(fmt.Sprintf("k%d", id)); err != nil {
				return err
			}
			delete(m.vecs, id)
			delete(m.nodes, id)
			return c.DeleteNode(id)
		})
	}
	if got := bucketKeys(t, db, "graph") + bucketKeys(t, db, "nodelog"); got == 0 {
		t.Fatal("the deletes of the top ids left no delta or node log value")
	}
	assertModel(t, db, m, "top ids deleted")
	// The same deletes moved from the node log to graph/ deltas.
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		return c.FoldNodeLog()
	})
	if got := bucketKeys(t, db, "graph"); got == 0 {
		t.Fatal("the node log's deletes left no graph delta")
	}
	assertModel(t, db, m, "node log folded")
}

// TestBlockDamage changes one byte in a vector block's row, its row
// checksum, and a graph block: reads name the damage, Check reports it.
func TestBlockDamage(t *testing.T) {
	const dim = 1024
	per := 1 << store.BlockShiftFor(dim)
	build := func(t *testing.T) *store.DB {
		db := openTemp(t)
		r := rand.New(rand.NewPCG(3, 4))
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, err := tx.CreateCollection("c", store.Config{Dim: dim, Metric: store.L2})
			if err != nil {
				return err
			}
			recs := make([]store.Record, per)
			for i := range recs {
				recs[i] = store.Record{ID: uint32(i), Key: fmt.Sprintf("k%d", i), Vector: randVec(r, dim)}
			}
			if err := c.PutBatch(recs); err != nil {
				return err
			}
			for i := range recs {
				if err := c.PutNode(uint32(i), []byte{1, 2, 3}); err != nil {
					return err
				}
			}
			return c.FoldNodeLog() // fewer nodes than a bulk write: into the block
		})
		return db
	}
	rowOff := 4 + per/8 + 4*per // first row in a full vector block
	for _, c := range []struct {
		name, bucket string
		at           int
		read, check  string
	}{
		{"vector row", "vblocks", rowOff + 4*dim*5 + 2, "bucket vblocks id 5: vector fails its checksum", "vblocks: block 0 (ids from 0) fails its checksum"},
		{"row checksum", "vblocks", 4 + per/8 + 4*7, "bucket vblocks id 7: vector fails its checksum", "vblocks: block 0 (ids from 0) fails its checksum"},
		{"graph block", "gblocks", 40, "bucket gblocks: block 0 (ids 0..255): graph block fails its checksum", "gblocks: block 0 (ids from 0) fails its checksum"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := build(t)
			path := db.Path()
			db.Close()
			if err := rawUpdate(path, func(btx *bolt.Tx) error {
				b := colBucket(btx, c.bucket)
				v := bytes.Clone(b.Get(be32(0)))
				v[c.at] ^= 0x10
				return b.Put(be32(0), v)
			}); err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.View(func(tx *store.Tx) error {
				col, err := tx.Collection("c")
				if err != nil {
					return err
				}
				if c.bucket == "gblocks" {
					_, err = col.ReadNode(3)
					return err
				}
				id := uint32(5)
				if c.name == "row checksum" {
					id = 7
				}
				_, err = col.GetByID(id)
				return err
			})
			if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), c.read) {
				t.Fatalf("read: %v, want ErrCorrupt with %q", err, c.read)
			}
			err = db.View(func(tx *store.Tx) error {
				col, _ := tx.Collection("c")
				return col.ForEachLoadParallel(context.Background(), 2, func(int, uint32, []byte, uint64, []float32, []byte, []byte) error { return nil })
			})
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("load: %v, want ErrCorrupt", err)
			}
			err = db.Check(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.check) {
				t.Fatalf("check: %v, want %q", err, c.check)
			}
		})
	}
}

// TestVectorRowsAligned checks the property open-without-loading relies
// on: in a vector block as bbolt stores it, every row starts at an address
// that is a multiple of 4.
func TestVectorRowsAligned(t *testing.T) {
	db := openTemp(t)
	const dim = 100
	per := 1 << store.BlockShiftFor(dim)
	r := rand.New(rand.NewPCG(5, 6))
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: dim, Metric: store.L2})
		if err != nil {
			return err
		}
		recs := make([]store.Record, 2*per)
		for i := range recs {
			recs[i] = store.Record{ID: uint32(i), Key: fmt.Sprintf("k%d", i), Vector: randVec(r, dim)}
		}
		return c.PutBatch(recs)
	})
	mustView(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		blocks := c.VectorBlocks()
		if len(blocks) != 2 {
			t.Fatalf("%d vector blocks, want 2", len(blocks))
		}
		for i, v := range blocks {
			if addr := uintptr(unsafe.Pointer(unsafe.SliceData(v))); addr%4 != 0 {
				t.Errorf("block %d starts at an address ≡ %d mod 4", i, addr%4)
			}
			if len(v)%4 != 0 {
				t.Errorf("block %d has %d bytes", i, len(v))
			}
		}
		return nil
	})
}
