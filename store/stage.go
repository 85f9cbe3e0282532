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
			cur := sb.Cursor()
			k, v := cur.First()
			if after != nil {
				if k, v = cur.Seek(after); bytes.Equal(k, after) {
					k, v = cur.Next()
				}
			}
			for ; k != nil && len(batch) < copyChunk; k, v = cur.Next() {
				if v == nil {
					return fmt.Errorf("%w: nested bucket %q", ErrCorrupt, k)
				}
				cv, err := conv(k, v)
				if err != nil {
					return err
				}
				batch = append(batch, [2][]byte{bytes.Clone(k), cv})
			}
			return nil
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
	if err := db.Update(func(tx *Tx) error {
		hidden, _, err = tx.CreateStaged(name, cfg)
		return err
	}); err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = db.Update(func(tx *Tx) error { return tx.DropCollection(hidden) })
		}
	}()
	for _, sub := range dataBuckets {
		err := copyChunked(ctx, db.bolt, func(btx *bolt.Tx) (*bolt.Bucket, error) {
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
			return c.b.Bucket(sub), nil
		}, func(k, v []byte) ([]byte, error) {
			// Keys are the same in the copy, so sealed values copy as
			// they are; a bad one is not carried over.
			if _, ok := unseal(k, v); !ok {
				return nil, corrupt(name, string(sub), "entry %x fails its checksum", k)
			}
			return bytes.Clone(v), nil
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
