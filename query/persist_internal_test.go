package query

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// storedNodes reads every graph node and the graph meta from the file.
func storedNodes(t *testing.T, c *Collection) (map[uint32][]byte, []byte) {
	t.Helper()
	nodes := map[uint32][]byte{}
	var meta []byte
	err := c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		meta = sc.GraphMeta()
		return sc.ForEachNode(func(id uint32, node []byte) error {
			nodes[id] = bytes.Clone(node)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return nodes, meta
}

// assertPersisted checks that the file holds exactly the in-memory graph:
// every live node's encoding, no other node, and the same meta.
func assertPersisted(t *testing.T, c *Collection, step string) map[uint32][]byte {
	t.Helper()
	nodes, meta := storedNodes(t, c)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !bytes.Equal(meta, c.g.MarshalMeta()) {
		t.Fatalf("%s: stored graph meta differs from memory", step)
	}
	live := 0
	for id := uint32(0); id < c.g.MaxID(); id++ {
		want := c.g.MarshalNode(id, nil)
		if want == nil {
			if _, ok := nodes[id]; ok {
				t.Fatalf("%s: node %d is free in memory but stored", step, id)
			}
			continue
		}
		live++
		if !bytes.Equal(nodes[id], want) {
			t.Fatalf("%s: stored node %d differs from memory", step, id)
		}
	}
	if live != len(nodes) {
		t.Fatalf("%s: %d nodes stored, %d live", step, len(nodes), live)
	}
	return nodes
}

// TestEveryWritePersistsTheGraph checks after each kind of write that the
// file's graph equals the in-memory graph, and that a single upsert
// rewrites only a few nodes, not the graph.
func TestEveryWritePersistsTheGraph(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "p.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.CreateCollection(ctx, "c", CollectionConfig{Dim: 8, M: 8})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	vec := func() []float32 {
		v := make([]float32, 8)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	var recs []Record
	for i := 0; i < 600; i++ {
		recs = append(recs, Record{Key: "k" + strconv.Itoa(i), Vector: vec()})
	}
	if err := c.UpsertBatch(ctx, recs, BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	before := assertPersisted(t, c, "batch")

	if err := c.Upsert(ctx, "one", vec(), nil); err != nil {
		t.Fatal(err)
	}
	after := assertPersisted(t, c, "insert")
	changed := 0
	for id, n := range after {
		if !bytes.Equal(before[id], n) {
			changed++
		}
	}
	// The new node plus the neighbours that linked back to it: at most
	// its degree on each level, far below the 601 nodes in the graph.
	if changed < 2 || changed > 40 {
		t.Fatalf("a single insert changed %d stored nodes", changed)
	}

	if err := c.Upsert(ctx, "k5", vec(), []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	assertPersisted(t, c, "update")
	if _, err := c.Delete(ctx, "k1", "k2", "k3", "one"); err != nil {
		t.Fatal(err)
	}
	assertPersisted(t, c, "delete")
	if err := c.Upsert(ctx, "reuse", vec(), nil); err != nil {
		t.Fatal(err)
	}
	assertPersisted(t, c, "slot reuse")
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
