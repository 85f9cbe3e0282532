package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/store"
)

// logFixture builds collection "c" (dim 4, so one block holds every id)
// with n records and nodes written in bulk, straight into the block.
func logFixture(t *testing.T, n int) (*store.DB, blockModel, *rand.Rand) {
	t.Helper()
	db := openTemp(t)
	r := rand.New(rand.NewPCG(7, 8))
	m := blockModel{vecs: map[uint32][]float32{}, nodes: map[uint32][]byte{}}
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 4, Metric: store.L2})
		if err != nil {
			return err
		}
		recs := make([]store.Record, n)
		for i := range recs {
			recs[i] = store.Record{ID: uint32(i), Key: fmt.Sprintf("k%d", i), Vector: randVec(r, 4)}
			m.vecs[uint32(i)] = recs[i].Vector
		}
		if err := c.PutBatch(recs); err != nil {
			return err
		}
		for i := range recs {
			m.nodes[uint32(i)] = []byte(fmt.Sprintf("bulk %d", i))
			if err := c.PutNode(uint32(i), m.nodes[uint32(i)]); err != nil {
				return err
			}
		}
		return nil
	})
	return db, m, r
}

// TestNodeLog writes nodes in small transactions: they go to the log (one
// value per transaction) and override the block; deletions in the log
// hide block rows; a new record's node can live in the log only; every
// read path agrees with the model; and the log folds by itself at 4,096
// node writes (the minimum), leaving no log value behind.
func TestNodeLog(t *testing.T) {
	const n = 600 // above the 512 writes that bypass the log: a block
	db, m, r := logFixture(t, n)
	if g, nl := bucketKeys(t, db, "gblocks"), bucketKeys(t, db, "nodelog"); g != 1 || nl != 0 {
		t.Fatalf("after the bulk load: %d graph blocks (want 1), %d log values (want 0)", g, nl)
	}
	assertModel(t, db, m, "bulk")

	writes, txs := 0, 0 // node writes in the log (distinct ids per transaction), log values
	step := func(k int) {
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, _ := tx.Collection("c")
			seen := map[uint32]bool{}
			defer func() { writes += len(seen) }()
			for range k {
				id := uint32(r.IntN(n))
				if _, ok := m.vecs[id]; !ok {
					continue
				}
				if r.IntN(10) == 0 { // delete now and then
					if _, err := c.Delete(fmt.Sprintf("k%d", id)); err != nil {
						return err
					}
					delete(m.vecs, id)
					delete(m.nodes, id)
					seen[id] = true
					if err := c.DeleteNode(id); err != nil {
						return err
					}
					continue
				}
				m.nodes[id] = []byte(fmt.Sprintf("node %d %d", id, r.IntN(1e6)))
				seen[id] = true
				if err := c.PutNode(id, m.nodes[id]); err != nil {
					return err
				}
			}
			return nil
		})
		txs++
	}
	for range 5 {
		step(20)
	}
	// A new record whose node exists only in the log, above every block row.
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		v := randVec(r, 4)
		if err := c.Put(&store.Record{ID: n, Key: fmt.Sprintf("k%d", n), Vector: v}); err != nil {
			return err
		}
		m.vecs[n], m.nodes[n] = v, []byte("new")
		return c.PutNode(n, m.nodes[n])
	})
	writes++
	txs++
	if g, nl := bucketKeys(t, db, "graph"), bucketKeys(t, db, "nodelog"); g != 0 || nl != txs {
		t.Fatalf("after %d small transactions: %d node deltas (want 0), %d log values (want %d)", txs, g, nl, txs)
	}
	assertModel(t, db, m, "logged")
	// Deleting the highest ids in the log (the new one, and the block's
	// last rows): MaxNodeID walks down past them.
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		for id := uint32(n - 5); id <= n; id++ {
			if _, ok := m.vecs[id]; !ok {
				continue
			}
			if _, err := c.Delete(fmt.Sprintf("k%d", id)); err != nil {
				return err
			}
			delete(m.vecs, id)
			delete(m.nodes, id)
			writes++
			if err := c.DeleteNode(id); err != nil {
				return err
			}
		}
		return nil
	})
	txs++
	assertModel(t, db, m, "top deleted in the log")

	// Until the log reaches 4,096 writes, then it folds into the block.
	for {
		step(100)
		if writes >= 4096 {
			break
		}
		if nl := bucketKeys(t, db, "nodelog"); nl != txs {
			t.Fatalf("after %d node writes: %d log values, want %d", writes, nl, txs)
		}
	}
	if nl := bucketKeys(t, db, "nodelog"); nl != 0 {
		t.Fatalf("after %d node writes: %d log values, want the log folded", writes, nl)
	}
	// Its hundreds of distinct ids reach the block's fold point: folded.
	if g, d := bucketKeys(t, db, "gblocks"), bucketKeys(t, db, "graph"); g != 1 || d != 0 {
		t.Fatalf("after the fold: %d graph blocks (want 1), %d node deltas (want 0)", g, d)
	}
	assertModel(t, db, m, "folded")
}

// TestNodeLogAbsent opens a collection written before the node log
// existed (no nodelog bucket): reads see an empty log, and the first
// small node write creates it.
func TestNodeLogAbsent(t *testing.T) {
	db, m, _ := logFixture(t, 600)
	path := db.Path()
	db.Close()
	if err := rawUpdate(path, func(btx *bolt.Tx) error { return colBucket(btx, "").DeleteBucket([]byte("nodelog")) }); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	assertModel(t, db, m, "no log bucket")
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		m.nodes[3] = []byte("logged")
		return c.PutNode(3, m.nodes[3])
	})
	if nl := bucketKeys(t, db, "nodelog"); nl != 1 {
		t.Fatalf("%d log values, want 1", nl)
	}
	assertModel(t, db, m, "log created")
}

// TestNodeLogDamage flips a byte of a log value: reading a node reports
// the log (ErrCorrupt), and Check names it.
func TestNodeLogDamage(t *testing.T) {
	db, _, _ := logFixture(t, 600)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		return c.PutNode(5, []byte("logged node"))
	})
	path := db.Path()
	db.Close()
	if err := rawUpdate(path, func(btx *bolt.Tx) error {
		b := colBucket(btx, "nodelog")
		k, v := b.Cursor().First()
		v = append([]byte(nil), v...)
		v[6] ^= 0x20
		return b.Put(append([]byte(nil), k...), v)
	}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		_, err = c.ReadNode(100)
		return err
	})
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "nodelog") {
		t.Fatalf("ReadNode over a damaged log: %v", err)
	}
	err = db.Check(context.Background())
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "nodelog: value 0 fails its checksum") {
		t.Fatalf("Check: %v", err)
	}
}

// TestNodeLogStageCopy copies a collection whose newest nodes are in the
// log: the copy holds them (StageCopy folds the log first).
func TestNodeLogStageCopy(t *testing.T) {
	db, m, _ := logFixture(t, 600)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		m.nodes[9] = []byte("logged")
		return c.PutNode(9, m.nodes[9])
	})
	hidden, err := db.StageCopy(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *store.Tx) error { return tx.CommitStaged(hidden, "c") })
	assertModel(t, db, m, "copied")
}
