package query

import (
	"context"
	"encoding/json"

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
		return nil
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
			return fn(Record{Key: r.Key, Vector: r.Vector, Metadata: r.Metadata})
		})
	})
}
