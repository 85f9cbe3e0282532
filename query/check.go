package query

import (
	"context"
	"errors"
	"fmt"

	"github.com/vecbolt/vecbolt/store"
)

// Check verifies the collection: the graph's invariants (see index.Graph.Check)
// and that the graph, the in-memory key maps and the stored records agree
// (every record is a live node with the same key, and nothing else is).
// It reads under a read transaction and may run concurrently with searches
// and writes; a write landing mid-check may be reported, so run it quiet.
func (c *Collection) Check(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	c.wmu.Lock() // keep writers out so memory and file agree
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var errs []error
	if err := c.g.Check(); err != nil {
		errs = append(errs, fmt.Errorf("graph: %w", err))
	}
	if c.g.Len() != len(c.ids) {
		errs = append(errs, fmt.Errorf("graph has %d live nodes, collection has %d keys", c.g.Len(), len(c.ids)))
	}
	for key, id := range c.ids {
		if !c.g.Live(id) {
			errs = append(errs, fmt.Errorf("key %q maps to node %d, which is not live", key, id))
		}
		if len(errs) > 20 {
			break
		}
	}
	err := c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		if sc.Len() != len(c.ids) {
			errs = append(errs, fmt.Errorf("store holds %d records, memory %d", sc.Len(), len(c.ids)))
		}
		return sc.ForEachID(func(id uint32, key string, _ uint64, vec []float32) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if got, ok := c.ids[key]; !ok || got != id {
				errs = append(errs, fmt.Errorf("stored record %d (%q) is not the in-memory node for that key", id, key))
			}
			if len(errs) > 20 {
				return errors.New("too many problems")
			}
			return nil
		})
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("query: collection %q fails its check: %w", c.name, errors.Join(errs...))
	}
	return nil
}

// Check verifies the whole database: the store's own consistency check, then
// every collection's Check. The report names each problem found.
func (db *DB) Check(ctx context.Context) error {
	if err := db.st.Check(ctx); err != nil {
		return err
	}
	names, err := db.Collections()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		c, err := db.Collection(ctx, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := c.Check(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
