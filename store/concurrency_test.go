package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// TestConcurrentBatchAndView runs Batch writers and View readers at once
// (meaningful under -race): every write lands exactly once and readers
// always see a consistent collection.
func TestConcurrentBatchAndView(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		_, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.L2})
		return err
	})
	const writers, perWriter = 4, 25
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				id := uint32(w*perWriter + i)
				err := db.Batch(func(tx *store.Tx) error {
					c, err := tx.Collection("c")
					if err != nil {
						return err
					}
					// Batch may run fn twice: Put of the same key and id is idempotent.
					return c.Put(&store.Record{ID: id, Key: fmt.Sprint("k", id), Vector: []float32{float32(id), 1}})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				err := db.View(func(tx *store.Tx) error {
					c, err := tx.Collection("c")
					if err != nil {
						return err
					}
					n := 0
					if err := c.ForEach(func(r *store.Record) error {
						if r.Vector[0] != float32(r.ID) {
							t.Errorf("record %s: vector %v", r.Key, r.Vector)
						}
						n++
						return nil
					}); err != nil {
						return err
					}
					if n != c.Len() {
						t.Errorf("ForEach saw %d records, Len %d", n, c.Len())
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	mustView(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		if c.Len() != writers*perWriter {
			t.Errorf("Len %d, want %d", c.Len(), writers*perWriter)
		}
		return nil
	})
}
