package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Names of a collection's sub-buckets and keys; see doc.go.
var (
	configBucket  = []byte("config")
	keysBucket    = []byte("keys")
	recordsBucket = []byte("records")
	vectorsBucket = []byte("vectors")
	orderBucket   = []byte("order")
	graphBucket   = []byte("graph")

	configVersionKey = []byte("version")
	configKey        = []byte("config")
	metaKey          = []byte("meta")
	graphMetaKey     = []byte("graphmeta")
)

var subBuckets = [][]byte{configBucket, keysBucket, recordsBucket, vectorsBucket, orderBucket, graphBucket}

// Tx is a transaction, handed to the functions given to DB.Update, DB.View
// and DB.Batch. A Tx, and the Collections obtained from it, are valid only
// until that function returns, and must be used by one goroutine at a time.
type Tx struct {
	db   *DB
	btx  *bolt.Tx
	cols *bolt.Bucket           // the "collections" bucket
	open map[string]*Collection // handles returned in this tx, so each name has one
}

func newTx(db *DB, btx *bolt.Tx) (*Tx, error) {
	root := btx.Bucket(rootBucket)
	var cols *bolt.Bucket
	if root != nil {
		cols = root.Bucket(collectionsBucket)
	}
	if cols == nil {
		return nil, fmt.Errorf("%w: %s: missing %q bucket", ErrCorrupt, db.path, collectionsBucket)
	}
	return &Tx{db: db, btx: btx, cols: cols}, nil
}

// Writable reports whether this is a read-write transaction.
func (tx *Tx) Writable() bool { return tx.btx.Writable() }

func (tx *Tx) checkWritable() error {
	if !tx.btx.Writable() {
		return fmt.Errorf("%w: write in a View transaction", ErrReadOnly)
	}
	return nil
}

// CreateCollection creates the named collection. If it exists with the same
// configuration, it returns the existing collection; with a different one,
// a *ConfigMismatchError wrapping ErrCollectionExists. The name must be
// 1..MaxNameLen bytes of valid UTF-8 (ErrInvalidName) and cfg must pass
// Validate (ErrInvalidConfig).
func (tx *Tx) CreateCollection(name string, cfg Config) (*Collection, error) {
	if err := tx.checkWritable(); err != nil {
		return nil, err
	}
	if err := validateName(name); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("collection %q: %w", name, err)
	}
	if tx.cols.Bucket([]byte(name)) != nil {
		c, err := tx.Collection(name)
		if err != nil {
			return nil, err
		}
		if field, stored, req, differ := c.cfg.mismatch(cfg); differ {
			return nil, &ConfigMismatchError{Collection: name, Field: field, Stored: stored, Requested: req}
		}
		return c, nil
	}
	b, err := tx.cols.CreateBucket([]byte(name))
	if err != nil {
		return nil, fmt.Errorf("store: create collection %q: %w", name, err)
	}
	for _, sub := range subBuckets {
		if _, err := b.CreateBucket(sub); err != nil {
			return nil, fmt.Errorf("store: create collection %q: %w", name, err)
		}
	}
	data, err := encodeConfig(cfg)
	if err != nil {
		return nil, err
	}
	cb := b.Bucket(configBucket)
	if err := cb.Put(configVersionKey, binary.BigEndian.AppendUint32(nil, configVersion)); err != nil {
		return nil, err
	}
	if err := cb.Put(configKey, data); err != nil {
		return nil, err
	}
	if err := b.Put(metaKey, encodeMeta(1, 0)); err != nil {
		return nil, err
	}
	return tx.Collection(name)
}

// Collection returns the named collection, or an error wrapping
// ErrUnknownCollection that names it. Within one transaction every call
// for the same name returns the same *Collection. Its configuration and
// metadata are validated (ErrCorrupt, ErrVersion).
func (tx *Tx) Collection(name string) (*Collection, error) {
	if c, ok := tx.open[name]; ok {
		return c, nil
	}
	b := tx.cols.Bucket([]byte(name))
	if b == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCollection, name)
	}
	c, err := openCollection(tx, name, b)
	if err != nil {
		return nil, err
	}
	if tx.open == nil {
		tx.open = make(map[string]*Collection)
	}
	tx.open[name] = c
	return c, nil
}

// DropCollection deletes the named collection and everything in it, or
// returns an error wrapping ErrUnknownCollection. Collections obtained for
// that name earlier in the transaction must not be used afterwards.
func (tx *Tx) DropCollection(name string) error {
	if err := tx.checkWritable(); err != nil {
		return err
	}
	if tx.cols.Bucket([]byte(name)) == nil {
		return fmt.Errorf("%w: %q", ErrUnknownCollection, name)
	}
	delete(tx.open, name)
	if err := tx.cols.DeleteBucket([]byte(name)); err != nil {
		return fmt.Errorf("store: drop collection %q: %w", name, err)
	}
	return nil
}

// Collections returns the names of all collections, sorted by byte order.
// The slice belongs to the caller.
func (tx *Tx) Collections() ([]string, error) {
	var names []string
	err := tx.cols.ForEachBucket(func(k []byte) error {
		names = append(names, string(k))
		return nil
	})
	return names, err
}
