package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// copyChunk is how many entries a chunked copy moves per transaction.
const copyChunk = 20000

// copyChunked copies bucket sub from the bucket that srcOf finds in a view
// of src into the bucket dstOf finds in an update of dst, copyChunk
// entries per transaction, in key order, passing each value through conv
// (which returns the value to store, a copy).
func copyChunked(ctx context.Context, src *bolt.DB, srcOf func(*bolt.Tx) (*bolt.Bucket, error),
	dst *DB, dstOf func(*Tx) (*bolt.Bucket, error), conv func(k, v []byte) ([]byte, error)) error {
	var after []byte // last key copied
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var batch [][2][]byte
		if err := src.View(func(btx *bolt.Tx) error {
			sb, err := srcOf(btx)
			if err != nil {
				return err
			}
			return chunkAfter(sb, after, func(k, v []byte) error {
				if v == nil {
					return fmt.Errorf("%w: nested bucket %q", ErrCorrupt, k)
				}
				cv, err := conv(k, v)
				if err != nil {
					return err
				}
				batch = append(batch, [2][]byte{bytes.Clone(k), cv})
				return nil
			})
		}); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		after = batch[len(batch)-1][0]
		if err := dst.Update(func(tx *Tx) error {
			b, err := dstOf(tx)
			if err != nil {
				return err
			}
			return putAll(b, batch) // spill.go
		}); err != nil {
			return err
		}
	}
}

// chunkAfter calls fn on the entries of b that follow key after in key
// order (from the first when after is nil), copyChunk of them at most: one
// transaction's share of a chunked copy. fn sees a nested bucket's value
// as nil. Cost: O(log n + copyChunk).
func chunkAfter(b *bolt.Bucket, after []byte, fn func(k, v []byte) error) error {
	cur := b.Cursor()
	k, v := cur.First()
	if after != nil {
		if k, v = cur.Seek(after); bytes.Equal(k, after) {
			k, v = cur.Next()
		}
	}
	for n := 0; k != nil && n < copyChunk; k, v = cur.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
		n++
	}
	return nil
}

// createStaged creates a staged collection for target (Tx.CreateStaged)
// in a transaction of its own and returns its hidden name.
func (db *DB) createStaged(target string, cfg Config) (hidden string, err error) {
	err = db.Update(func(tx *Tx) error {
		hidden, _, err = tx.CreateStaged(target, cfg)
		return err
	})
	return hidden, err
}

// dropIfFailed drops the staged collection hidden when *err is not nil:
// deferred by a staged copy, so that a failed one leaves nothing behind.
func (db *DB) dropIfFailed(hidden string, err *error) {
	if *err != nil {
		_ = db.Update(func(tx *Tx) error { return tx.DropCollection(hidden) })
	}
}

// copySealed copies sub-bucket sub of collection name into the staged
// collection hidden, in chunked transactions (copyChunked), verifying
// every entry's checksum: keys are the same in the copy, so sealed values
// copy as they are, and a bad one is not carried over. dstOf returns
// hidden's bucket to write into. Cost: O(size of the bucket).
func (db *DB) copySealed(ctx context.Context, name, hidden string, sub []byte, dstOf func(*Collection) (*bolt.Bucket, error)) error {
	return copyChunked(ctx, db.bolt, func(btx *bolt.Tx) (*bolt.Bucket, error) {
		tx, err := newTx(db, btx)
		if err != nil {
			return nil, err
		}
		c, err := tx.Collection(name)
		if err != nil {
			return nil, err
		}
		return c.b.Bucket(sub), nil
	}, db, func(tx *Tx) (*bolt.Bucket, error) {
		c, err := tx.Collection(hidden)
		if err != nil {
			return nil, err
		}
		return dstOf(c)
	}, func(k, v []byte) ([]byte, error) {
		if _, ok := unseal(k, v); !ok {
			return nil, corrupt(name, string(sub), "entry %x fails its checksum", k)
		}
		return bytes.Clone(v), nil
	})
}

// StageCopy creates a staged collection (see Tx.CreateStaged) holding a
// copy of collection name, for an all-or-nothing rewrite: write to the
// copy under the returned hidden name, then swap it in with
// Tx.CommitStaged, or drop it. The copy runs in transactions of 20,000
// entries, verifying every checksum, so writers of name must be held off
// by the caller while it runs. Cost: O(size of the collection).
func (db *DB) StageCopy(ctx context.Context, name string) (hidden string, err error) {
	// The copy reads graph/ and the blocks: fold the node log into them.
	if err := db.Update(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		return c.FoldNodeLog()
	}); err != nil {
		return "", err
	}
	var cfg Config
	var meta, graphMeta []byte
	if err := db.View(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		cfg = c.cfg
		meta = bytes.Clone(c.b.Get(metaKey))
		graphMeta = bytes.Clone(c.b.Get(graphMetaKey))
		return nil
	}); err != nil {
		return "", err
	}
	if hidden, err = db.createStaged(name, cfg); err != nil {
		return "", err
	}
	defer db.dropIfFailed(hidden, &err)
	for _, sub := range dataBuckets {
		err := db.copySealed(ctx, name, hidden, sub, func(c *Collection) (*bolt.Bucket, error) {
			return c.b.Bucket(sub), nil
		})
		if err != nil {
			return hidden, fmt.Errorf("store: stage a copy of collection %q: %w", name, err)
		}
	}
	if err := db.stageCopyText(ctx, name, hidden); err != nil { // text.go
		return hidden, fmt.Errorf("store: stage a copy of collection %q: %w", name, err)
	}
	if err := db.stageCopyCodes(ctx, name, hidden); err != nil { // code.go
		return hidden, fmt.Errorf("store: stage a copy of collection %q: %w", name, err)
	}
	err = db.Update(func(tx *Tx) error {
		c, err := tx.Collection(hidden)
		if err != nil {
			return err
		}
		if err := c.b.Put(metaKey, meta); err != nil {
			return err
		}
		if graphMeta != nil {
			return c.b.Put(graphMetaKey, graphMeta)
		}
		return nil
	})
	return hidden, err
}
