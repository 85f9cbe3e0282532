package query

import "github.com/vecbolt/vecbolt/store"

// ValidateRecord reports whether r may be written to a collection with
// configuration cfg (zero fields mean the defaults), returning the error
// UpsertBatch would give for it: a wrong dimension, a NaN or infinite
// component, a zero vector under cosine, an empty or too long key, metadata
// that is not a JSON object. Bulk loaders call it while reading, so that
// they can name the input line of a bad record before writing anything. It
// only reads r.
func (cfg CollectionConfig) ValidateRecord(r Record) error {
	return store.Validate(cfg.withDefaults().storeConfig(), r.Key, r.Vector, r.Metadata)
}
