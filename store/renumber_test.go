package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// renumberFixture writes n records (ids 0..n-1, node bytes naming the id)
// into collection "c", deletes the records of ids in gone, and returns
// the remaining records by key.
func renumberFixture(t *testing.T, db *store.DB, n int, gone ...uint32) map[string]store.Record {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 5))
	want := map[string]store.Record{}
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 4, Metric: store.L2})
		if err != nil {
			return err
		}
		recs := make([]store.Record, n)
		for i := range recs {
			recs[i] = store.Record{ID: uint32(i), Key: fmt.Sprintf("k%d", i), Vector: randVec(r, 4)}
			if i%2 == 0 {
				recs[i].Metadata = []byte(fmt.Sprintf(`{"i":%d}`, i))
			}
		}
		if err := c.PutBatch(recs); err != nil {
			return err
		}
		for i := range recs {
			if err := c.PutNode(uint32(i), []byte(fmt.Sprintf("node %d", i))); err != nil {
				return err
			}
			want[recs[i].Key] = recs[i]
		}
		for _, id := range gone {
			k := fmt.Sprintf("k%d", id)
			if _, err := c.Delete(k); err != nil {
				return err
			}
			if err := c.DeleteNode(id); err != nil {
				return err
			}
			delete(want, k)
		}
		return c.SetGraphMeta([]byte("meta"))
	})
	return want
}

// TestStageRenumbered reverses the ids of a collection with a deleted
// record: every key keeps its vector, metadata and Seq under its new id,
// the nodes are the ones the callback gave, and Check passes.
func TestStageRenumbered(t *testing.T) {
	db := openTemp(t)
	const n = 3000 // more than one block, so that rows cross blocks
	want := renumberFixture(t, db, n, 17)
	perm := make([]uint32, n)
	next := uint32(n - 2)
	for old := range perm {
		if old == 17 {
			perm[old] = ^uint32(0)
			continue
		}
		perm[old] = next
		next--
	}
	hidden, err := db.StageRenumbered(context.Background(), "c", perm, []byte("new meta"), func(id uint32, dst []byte) []byte {
		return fmt.Appendf(dst, "new node %d", id)
	})
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *store.Tx) error { return tx.CommitStaged(hidden, "c") })
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		if c.Len() != len(want) {
			t.Errorf("Len = %d, want %d", c.Len(), len(want))
		}
		if got := string(c.GraphMeta()); got != "new meta" {
			t.Errorf("graph meta %q", got)
		}
		for k, w := range want {
			r, err := c.Get(k)
			if err != nil {
				t.Fatal(err)
			}
			if wantID := perm[w.ID]; r.ID != wantID || r.Seq != w.Seq || !reflect.DeepEqual(r.Vector, w.Vector) || string(r.Metadata) != string(w.Metadata) {
				t.Fatalf("key %s: id %d seq %d vector %v meta %s, want id %d seq %d vector %v meta %s",
					k, r.ID, r.Seq, r.Vector, r.Metadata, wantID, w.Seq, w.Vector, w.Metadata)
			}
			if node, want := string(c.Node(r.ID)), fmt.Sprintf("new node %d", r.ID); node != want {
				t.Fatalf("node %d = %q, want %q", r.ID, node, want)
			}
		}
		return nil
	})
}

func TestStageRenumberedRefusesBadPermutations(t *testing.T) {
	db := openTemp(t)
	renumberFixture(t, db, 10, 3)
	node := func(id uint32, dst []byte) []byte { return append(dst, 'x') }
	none := ^uint32(0)
	for name, perm := range map[string][]uint32{
		"too few":          {0, 1, 2, none, 3, 4, 5, 6, 7},
		"twice":            {0, 1, 2, none, 3, 4, 5, 6, 7, 7},
		"out of range":     {0, 1, 2, none, 3, 4, 5, 6, 7, 9},
		"a deleted record": {0, 1, 2, 8, 3, 4, 5, 6, 7, none},
	} {
		if _, err := db.StageRenumbered(context.Background(), "c", perm, nil, node); !errors.Is(err, store.ErrPermutation) {
			t.Errorf("%s: %v, want ErrPermutation", name, err)
		}
	}
	// Nothing is left behind: only "c", and no staged collection.
	mustView(t, db, func(tx *store.Tx) error {
		if names, _ := tx.Collections(); !reflect.DeepEqual(names, []string{"c"}) {
			t.Errorf("collections %q", names)
		}
		return nil
	})
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}
