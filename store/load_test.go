package store_test

import (
	"errors"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

func TestForEachLoad(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.L2})
		if err != nil {
			return err
		}
		if n, err := c.MaxNodeID(); err != nil || n != 0 {
			t.Fatalf("MaxNodeID of an empty graph = %d, %v", n, err)
		}
		for i, k := range []string{"a", "b", "c"} {
			id := uint32(i * 2)
			if err := c.Put(&store.Record{ID: id, Key: k, Vector: []float32{float32(i), 1}, Metadata: []byte(`{"i":1}`)}); err != nil {
				return err
			}
			if err := c.PutNode(id, []byte{byte(i + 1)}); err != nil {
				return err
			}
		}
		return nil
	})
	type seen struct {
		id   uint32
		key  string
		x    float32
		node byte
	}
	var got []seen
	mustView(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		if n, err := c.MaxNodeID(); err != nil || n != 5 {
			t.Fatalf("MaxNodeID = %d, %v; want 5", n, err)
		}
		return c.ForEachLoad(func(id uint32, key string, seq uint64, vec []float32, node, meta []byte) error {
			if string(meta) != `{"i":1}` {
				t.Errorf("meta = %s", meta)
			}
			got = append(got, seen{id, key, vec[0], node[0]})
			return nil
		})
	})
	want := []seen{{0, "a", 0, 1}, {2, "b", 1, 2}, {4, "c", 2, 3}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// A node without a record, then a record without a node: both corrupt.
	for _, damage := range []func(c *store.Collection) error{
		func(c *store.Collection) error { return c.PutNode(3, []byte{9}) },
		func(c *store.Collection) error { return c.DeleteNode(2) },
		func(c *store.Collection) error { return c.PutNode(7, []byte{9}) },
	} {
		err := db.Update(func(tx *store.Tx) error {
			c, _ := tx.Collection("c")
			if err := damage(c); err != nil {
				return err
			}
			err := c.ForEachLoad(func(uint32, string, uint64, []float32, []byte, []byte) error { return nil })
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("ForEachLoad on a damaged graph = %v, want ErrCorrupt", err)
			}
			return errors.New("roll back")
		})
		if err == nil || err.Error() != "roll back" {
			t.Fatalf("update: %v", err)
		}
	}
}
