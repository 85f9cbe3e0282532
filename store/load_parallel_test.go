package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// TestForEachLoadParallelMatchesForEachLoad: the parallel loader hands
// over exactly what the sequential one does, across several blocks and
// worker counts.
func TestForEachLoadParallelMatchesForEachLoad(t *testing.T) {
	db := openTemp(t)
	const n = 70000 // more than one block of 65,536
	fillRandom(t, db, "c", 3, n)
	if err := db.Update(func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		for id := uint32(0); id < n; id++ {
			if err := c.PutNode(id, []byte(fmt.Sprintf("node%d", id))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		key  string
		seq  uint64
		vec  []float32
		node string
	}
	want := make([]entry, n)
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		return c.ForEachLoad(func(id uint32, key string, seq uint64, vec []float32, node, _ []byte) error {
			want[id] = entry{key, seq, append([]float32(nil), vec...), string(node)}
			return nil
		})
	})
	for _, workers := range []int{0, 1, 3} {
		got := make([]entry, n)
		var mu sync.Mutex
		calls := 0
		mustView(t, db, func(tx *store.Tx) error {
			c, err := tx.Collection("c")
			if err != nil {
				return err
			}
			return c.ForEachLoadParallel(context.Background(), workers, func(w int, id uint32, key []byte, seq uint64, vec []float32, node, _ []byte) error {
				if w < 0 || w >= max(workers, 1) {
					t.Errorf("worker %d of %d", w, workers)
				}
				got[id] = entry{string(key), seq, append([]float32(nil), vec...), string(node)}
				mu.Lock()
				calls++
				mu.Unlock()
				return nil
			})
		})
		if calls != n || !reflect.DeepEqual(got, want) {
			t.Errorf("workers %d: %d calls, entries differ: %t", workers, calls, !reflect.DeepEqual(got, want))
		}
	}
}
