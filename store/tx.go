package store

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

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
	vblocksBucket = []byte("vblocks")
	gblocksBucket = []byte("gblocks")

	configVersionKey = []byte("version")
	configKey        = []byte("config")
	metaKey          = []byte("meta")
	graphMetaKey     = []byte("graphmeta")
	nameKey          = []byte("name")
)

var subBuckets = [][]byte{configBucket, keysBucket, recordsBucket, vectorsBucket, orderBucket, graphBucket, vblocksBucket, gblocksBucket, nodeLogBucket}

// dataBuckets are the sub-buckets a copy of a collection copies entry by
// entry.
var dataBuckets = [][]byte{keysBucket, recordsBucket, vectorsBucket, orderBucket, graphBucket, vblocksBucket, gblocksBucket}

// stagedPrefix starts the hidden names of staged collections (see
// Tx.CreateStaged). User names may not start with a NUL byte.
const stagedPrefix = "\x00staged\x00"

// Tx is a transaction, handed to the functions given to DB.Update, DB.View
// and DB.Batch. A Tx, and the Collections obtained from it, are valid only
// until that function returns, and must be used by one goroutine at a time.
type Tx struct {
	db    *DB
	btx   *bolt.Tx
	root  *bolt.Bucket           // the "vecbolt" root bucket
	cols  *bolt.Bucket           // the "collections" bucket: id -> collection bucket
	names *bolt.Bucket           // the "names" bucket: name -> sealed id
	open  map[string]*Collection // handles returned in this tx, so each name has one
}

func newTx(db *DB, btx *bolt.Tx) (*Tx, error) {
	if err := checkRootBuckets(db, btx); err != nil { // bucket_check.go
		return nil, err
	}
	root := btx.Bucket(rootBucket)
	var cols, names *bolt.Bucket
	if root != nil {
		cols = root.Bucket(collectionsBucket)
		names = root.Bucket(namesBucket)
	}
	if cols == nil || names == nil {
		return nil, fmt.Errorf("%w: %s: missing %q or %q bucket", ErrCorrupt, db.path, collectionsBucket, namesBucket)
	}
	return &Tx{db: db, btx: btx, root: root, cols: cols, names: names}, nil
}

// Writable reports whether this is a read-write transaction.
func (tx *Tx) Writable() bool { return tx.btx.Writable() }

func (tx *Tx) checkWritable() error {
	if !tx.btx.Writable() {
		return fmt.Errorf("%w: write in a View transaction", ErrReadOnly)
	}
	return nil
}

// lookup returns the id the names table holds for name.
func (tx *Tx) lookup(name string) (id uint32, found bool, err error) {
	v := tx.names.Get([]byte(name))
	if v == nil {
		return 0, false, nil
	}
	p, ok := unseal([]byte(name), v)
	if !ok || len(p) != 4 {
		return 0, true, corrupt(name, "names", "entry fails its checksum or has %d bytes", len(v))
	}
	return binary.BigEndian.Uint32(p), true, nil
}

// CreateCollection creates the named collection. If it exists with the same
// configuration, it returns the existing collection; with a different one,
// a *ConfigMismatchError wrapping ErrCollectionExists. The name must be
// 1..MaxNameLen bytes of valid UTF-8 not starting with a NUL byte
// (ErrInvalidName) and cfg must pass Validate (ErrInvalidConfig). O(1).
func (tx *Tx) CreateCollection(name string, cfg Config) (*Collection, error) {
	if err := tx.checkWritable(); err != nil {
		return nil, err
	}
	if err := validateName(name); err != nil {
		return nil, err
	}
	return tx.createCollection(name, cfg)
}

func (tx *Tx) createCollection(name string, cfg Config) (*Collection, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("collection %q: %w", name, err)
	}
	if _, found, err := tx.lookup(name); err != nil {
		return nil, err
	} else if found {
		c, err := tx.Collection(name)
		if err != nil {
			return nil, err
		}
		if field, stored, req, differ := c.cfg.mismatch(cfg); differ {
			return nil, &ConfigMismatchError{Collection: name, Field: field, Stored: stored, Requested: req}
		}
		return c, nil
	}
	id, err := tx.nextCollectionID()
	if err != nil {
		return nil, err
	}
	b, err := tx.cols.CreateBucket(idKey(id))
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
	if err := cb.Put(configVersionKey, seal(configVersionKey, binary.BigEndian.AppendUint32(nil, configVersion))); err != nil {
		return nil, err
	}
	if err := cb.Put(configKey, seal(configKey, data)); err != nil {
		return nil, err
	}
	if err := b.Put(metaKey, seal(metaKey, encodeMeta(1, 0))); err != nil {
		return nil, err
	}
	if err := tx.setName(b, id, name); err != nil {
		return nil, err
	}
	return tx.Collection(name)
}

// nextCollectionID allocates a collection id from the root's counter.
func (tx *Tx) nextCollectionID() (uint32, error) {
	p, ok := unseal(nextColKey, tx.root.Get(nextColKey))
	if !ok || len(p) != 4 {
		return 0, fmt.Errorf("%w: %s: collection id counter fails its checksum", ErrCorrupt, tx.db.path)
	}
	id := binary.BigEndian.Uint32(p)
	if id == ^uint32(0) {
		return 0, fmt.Errorf("store: %s: collection ids exhausted", tx.db.path)
	}
	return id, tx.root.Put(nextColKey, seal(nextColKey, binary.BigEndian.AppendUint32(nil, id+1)))
}

// setName points name at collection id and records the name in its bucket.
func (tx *Tx) setName(b *bolt.Bucket, id uint32, name string) error {
	if err := tx.names.Put([]byte(name), seal([]byte(name), idKey(id))); err != nil {
		return fmt.Errorf("store: collection %q: %w", name, err)
	}
	return b.Put(nameKey, sealCopy(nameKey, []byte(name)))
}

// Collection returns the named collection, or an error wrapping
// ErrUnknownCollection that names it. Within one transaction every call
// for the same name returns the same *Collection. Its configuration and
// metadata are validated (ErrCorrupt, ErrVersion). O(1).
func (tx *Tx) Collection(name string) (*Collection, error) {
	if c, ok := tx.open[name]; ok {
		return c, nil
	}
	id, found, err := tx.lookup(name)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCollection, name)
	}
	b := tx.cols.Bucket(idKey(id))
	if b == nil {
		return nil, corrupt(name, "collections", "names table points at id %d, which has no bucket", id)
	}
	if err := tx.checkCollectionBucket(name, b); err != nil { // bucket_check.go
		return nil, err
	}
	c, err := openCollection(tx, name, id, b)
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
// that name earlier in the transaction must not be used afterwards. It
// frees every page of the collection: O(pages).
func (tx *Tx) DropCollection(name string) error {
	if err := tx.checkWritable(); err != nil {
		return err
	}
	id, found, err := tx.lookup(name)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: %q", ErrUnknownCollection, name)
	}
	delete(tx.open, name)
	if err := tx.names.Delete([]byte(name)); err != nil {
		return err
	}
	if tx.cols.Bucket(idKey(id)) == nil {
		return nil
	}
	if err := tx.cols.DeleteBucket(idKey(id)); err != nil {
		return fmt.Errorf("store: drop collection %q: %w", name, err)
	}
	return nil
}

// RenameCollection gives collection oldName the name newName. It changes
// two small entries, whatever the collection's size: O(1). An unknown
// oldName wraps ErrUnknownCollection; an existing newName wraps
// ErrCollectionExists; an invalid newName wraps ErrInvalidName. Handles
// obtained for oldName earlier in the transaction must not be used
// afterwards.
func (tx *Tx) RenameCollection(oldName, newName string) error {
	if err := tx.checkWritable(); err != nil {
		return err
	}
	if err := validateName(newName); err != nil {
		return err
	}
	return tx.rename(oldName, newName)
}

func (tx *Tx) rename(oldName, newName string) error {
	id, found, err := tx.lookup(oldName)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: %q", ErrUnknownCollection, oldName)
	}
	if _, exists, err := tx.lookup(newName); err != nil {
		return err
	} else if exists {
		return fmt.Errorf("%w: cannot rename %q to %q, which exists", ErrCollectionExists, oldName, newName)
	}
	b := tx.cols.Bucket(idKey(id))
	if b == nil {
		return corrupt(oldName, "collections", "names table points at id %d, which has no bucket", id)
	}
	if c, ok := tx.open[oldName]; ok {
		if err := c.flush(); err != nil {
			return err
		}
	}
	delete(tx.open, oldName)
	if err := tx.names.Delete([]byte(oldName)); err != nil {
		return err
	}
	return tx.setName(b, id, newName)
}

// CreateStaged creates a hidden collection that will replace (or become)
// collection target when CommitStaged swaps it in. Collections does not
// list it; Collection opens it under the returned hidden name, so records
// can be written to it over many transactions. A staged collection that is
// never committed is dropped by the next read-write Open (or by
// DropCollection with its hidden name). target must be a valid name.
func (tx *Tx) CreateStaged(target string, cfg Config) (hidden string, c *Collection, err error) {
	if err := tx.checkWritable(); err != nil {
		return "", nil, err
	}
	if err := validateName(target); err != nil {
		return "", nil, err
	}
	p, ok := unseal(nextColKey, tx.root.Get(nextColKey))
	if !ok || len(p) != 4 {
		return "", nil, fmt.Errorf("%w: %s: collection id counter fails its checksum", ErrCorrupt, tx.db.path)
	}
	hidden = stagedPrefix + strconv.FormatUint(uint64(binary.BigEndian.Uint32(p)), 10) + "\x00" + target
	c, err = tx.createCollection(hidden, cfg)
	return hidden, c, err
}

// CommitStaged makes the staged collection hidden the collection target:
// an existing target is dropped (its pages freed) and the staged one takes
// its name, all in this transaction. Handles obtained for either name
// earlier in the transaction must not be used afterwards.
func (tx *Tx) CommitStaged(hidden, target string) error {
	if err := tx.checkWritable(); err != nil {
		return err
	}
	if !IsStaged(hidden) {
		return fmt.Errorf("%w: %q is not a staged collection", ErrUnknownCollection, hidden)
	}
	if err := validateName(target); err != nil {
		return err
	}
	if _, found, err := tx.lookup(target); err != nil {
		return err
	} else if found {
		if err := tx.DropCollection(target); err != nil {
			return err
		}
	}
	return tx.rename(hidden, target)
}

// flush writes every collection's pending vectors and nodes (block.go);
// Update and Batch call it before committing.
func (tx *Tx) flush() error {
	for _, c := range tx.open {
		if err := c.flush(); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes every collection's pending vectors and nodes now, as the
// end of Update does: per block, as deltas or by folding the block. A
// caller timing its transaction calls it last. O(pending writes), plus
// the blocks it folds.
func (tx *Tx) Flush() error {
	if err := tx.checkWritable(); err != nil {
		return err
	}
	return tx.flush()
}

// IsStaged reports whether name is the hidden name of a staged collection.
func IsStaged(name string) bool { return strings.HasPrefix(name, stagedPrefix) }

// Collections returns the names of all collections, sorted by byte order,
// without staged ones. The slice belongs to the caller.
func (tx *Tx) Collections() ([]string, error) {
	var names []string
	err := tx.names.ForEach(func(k, _ []byte) error {
		if !IsStaged(string(k)) {
			names = append(names, string(k))
		}
		return nil
	})
	return names, err
}

// staged returns the hidden names of all staged collections.
func (tx *Tx) staged() []string {
	var names []string
	cur := tx.names.Cursor()
	for k, _ := cur.Seek([]byte(stagedPrefix)); k != nil && IsStaged(string(k)); k, _ = cur.Next() {
		names = append(names, string(k))
	}
	return names
}
