package query

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/vecbolt/vecbolt/store"
)

// The methods in this file read records straight from the file, without
// loading a collection's graph: a command that prints one record or exports
// a collection need not pay for the graph.

// CollectionInfo returns a collection's configuration and record count from
// the file, without loading its graph.
func (db *DB) CollectionInfo(name string) (CollectionConfig, int, error) {
	var (
		cfg CollectionConfig
		n   int
	)
	err := db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(name)
		if err != nil {
			return err
		}
		cfg, n = configFromStore(sc.Config()).withDefaults(), sc.Len()
		return nil
	})
	return cfg, n, err
}

// Get returns the record stored under key in the named collection, read
// from the file without loading the collection's graph. The returned slices
// belong to the caller. A missing key gives a *KeyError.
func (db *DB) Get(ctx context.Context, collection, key string) (Record, error) {
	var rec Record
	err := db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(collection)
		if err != nil {
			return err
		}
		r, err := sc.Get(key)
		if err != nil {
			if errorsIsNotFound(err) {
				return &KeyError{Collection: collection, Key: key}
			}
			return err
		}
		rec = Record{Key: r.Key, Vector: append([]float32(nil), r.Vector...)}
		if r.Metadata != nil {
			rec.Metadata = append(json.RawMessage(nil), r.Metadata...)
		}
		rec.Text, _, err = sc.Text(r.ID)
		return err
	})
	return rec, err
}

// ForEach calls fn for every record of the named collection in insertion
// order, read from the file without loading the graph, in one read
// transaction (a consistent snapshot; writers are not blocked). The
// record's slices are valid only during the call.
func (db *DB) ForEach(ctx context.Context, collection string, fn func(r Record) error) error {
	return db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(collection)
		if err != nil {
			return err
		}
		return sc.ForEach(func(r *store.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			t, _, err := sc.Text(r.ID)
			if err != nil {
				return err
			}
			return fn(Record{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata, Text: t})
		})
	})
}

// GetMany returns the records stored under keys, in the order of keys, read
// in one transaction from the file without loading the graph. A missing key
// gives a *KeyError naming it and no records. The slices belong to the
// caller. Cost: O(len(keys)·(log n + d)).
func (db *DB) GetMany(ctx context.Context, collection string, keys []string) ([]Record, error) {
	out := make([]Record, len(keys))
	err := db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(collection)
		if err != nil {
			return err
		}
		for i, k := range keys {
			if i&1023 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			r, err := sc.Get(k)
			if err != nil {
				if errorsIsNotFound(err) {
					return &KeyError{Collection: collection, Key: k}
				}
				return err
			}
			t, _, err := sc.Text(r.ID)
			if err != nil {
				return err
			}
			out[i] = Record{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata, Text: t}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetMany returns the records stored under keys, in order; see DB.GetMany.
func (c *Collection) GetMany(ctx context.Context, keys []string) ([]Record, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	return c.db.GetMany(ctx, c.name, keys)
}

// DeleteOptions tunes DeleteKeys. The zero value behaves as Delete.
type DeleteOptions struct {
	// MissingOK skips keys that are not stored instead of failing.
	MissingOK bool
}

// DeleteKeys removes the records under keys in one transaction, as Delete,
// and returns how many it removed. With opts.MissingOK a key that is not
// stored is skipped (a key deleted by another writer meanwhile too);
// otherwise it gives a *KeyError and nothing is deleted. Cost: as Delete.
func (c *Collection) DeleteKeys(ctx context.Context, keys []string, opts DeleteOptions) (int, error) {
	if !opts.MissingOK {
		return c.Delete(ctx, keys...)
	}
	for {
		c.mu.RLock()
		present := make([]string, 0, len(keys))
		for _, k := range keys {
			if _, ok := c.ids[k]; ok {
				present = append(present, k)
			}
		}
		c.mu.RUnlock()
		n, err := c.Delete(ctx, present...)
		var ke *KeyError
		if errors.As(err, &ke) {
			continue // deleted by another writer since we looked: look again
		}
		return n, err
	}
}

// KeysWhere returns the keys of the records whose metadata f matches, in
// insertion order, from the parsed metadata in memory. Cost: O(n) filter
// tests plus a sort of the matches.
func (c *Collection) KeysWhere(ctx context.Context, f Filter) ([]string, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	pred := f.compile()
	if err := c.ensureCatalog(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var ids []uint32
	for id, k := range c.keys {
		if k != "" && pred(c.meta.get(uint32(id))) {
			ids = append(ids, uint32(id))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(ids, func(a, b uint32) int { return cmp.Compare(c.seqs[a], c.seqs[b]) })
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = c.keys[id]
	}
	return out, nil
}

// DeleteWhere removes every record whose metadata f matches, in one
// transaction, and returns how many it removed. A zero Filter matches every
// record. Cost: KeysWhere plus Delete of the matches.
func (c *Collection) DeleteWhere(ctx context.Context, f Filter) (int, error) {
	keys, err := c.KeysWhere(ctx, f)
	if err != nil {
		return 0, err
	}
	return c.DeleteKeys(ctx, keys, DeleteOptions{MissingOK: true})
}
