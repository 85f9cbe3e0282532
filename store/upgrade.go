package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// UpgradeSuffix is appended to the database path to name the file Upgrade
// writes before renaming it over the original. A leftover one (from an
// upgrade that was killed) is removed by the next Upgrade.
const UpgradeSuffix = ".upgrade-tmp"

// Upgrade rewrites the format-1 database at path in the current format:
// it holds the file's write lock (waiting up to timeout; 0 means one
// second), copies every collection into a new file beside it
// (path+UpgradeSuffix), sealing every value with its checksum and giving
// each collection an id, runs Check on the copy, syncs it and renames it
// over path. A crash or an error at any point leaves the format-1 file as
// it was. It returns the format version found; a file already in the
// current format is left alone (and the result is FormatVersion). Cost:
// O(file size), in transactions of 20,000 entries. The caller must not
// have the file open.
func Upgrade(ctx context.Context, path string, timeout time.Duration) (from uint32, err error) {
	if timeout == 0 {
		timeout = defaultTimeout
	}
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("store: upgrade %s: %w", path, err)
	}
	// Opening read-write takes the exclusive lock: nobody writes to the
	// old file while it is copied. Nothing is written to it: with the
	// unsynced freelist bbolt does not write one at open, and a file left
	// without one by a crash is verified before bbolt walks it.
	if synced, ok := metaFreelistSynced(path); ok && !synced {
		if err := validateUnclosed(path, timeout); err != nil {
			return 0, err
		}
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return 0, fmt.Errorf("%w: %s (waited %v)", ErrLocked, path, timeout)
		}
		return 0, fmt.Errorf("%w: %s: %v", ErrNotVecbolt, path, err)
	}
	defer func() {
		if cerr := src.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	err = src.View(func(btx *bolt.Tx) error {
		root := btx.Bucket(rootBucket)
		if root == nil || !bytes.Equal(root.Get(magicKey), magic) {
			return fmt.Errorf("%w: %s", ErrNotVecbolt, path)
		}
		from, err = fileVersion(root, path)
		return err
	})
	if err != nil || from == FormatVersion {
		return from, err
	}
	if from != 1 {
		return from, &VersionError{What: "file " + path, Got: from, Supported: FormatVersion}
	}
	tmp := path + UpgradeSuffix
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return from, fmt.Errorf("store: upgrade %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err := writeUpgraded(ctx, src, path, tmp); err != nil {
		return from, fmt.Errorf("store: upgrade %s: %w (the file is unchanged)", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return from, fmt.Errorf("store: upgrade %s: %w (the file is unchanged)", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return from, nil
}

// writeUpgraded writes the format-2 copy of src to tmp, checks and syncs
// it.
func writeUpgraded(ctx context.Context, src *bolt.DB, path, tmp string) error {
	dst, err := Open(tmp, Options{NoSync: true})
	if err != nil {
		return err
	}
	defer dst.Close()
	var names [][]byte
	if err := src.View(func(btx *bolt.Tx) error {
		cols := btx.Bucket(rootBucket).Bucket(collectionsBucket)
		if cols == nil {
			return fmt.Errorf("%w: %s: no %q bucket", ErrCorrupt, path, collectionsBucket)
		}
		return cols.ForEachBucket(func(k []byte) error {
			names = append(names, bytes.Clone(k))
			return nil
		})
	}); err != nil {
		return err
	}
	for _, name := range names {
		if err := upgradeCollection(ctx, src, dst, string(name)); err != nil {
			return err
		}
	}
	if err := dst.Check(ctx); err != nil {
		return fmt.Errorf("the upgraded copy fails its check: %w", err)
	}
	if err := dst.bolt.Sync(); err != nil {
		return err
	}
	return dst.Close()
}

// upgradeCollection copies one format-1 collection into dst.
func upgradeCollection(ctx context.Context, src *bolt.DB, dst *DB, name string) error {
	v1 := func(btx *bolt.Tx) (*bolt.Bucket, error) {
		b := btx.Bucket(rootBucket).Bucket(collectionsBucket).Bucket([]byte(name))
		if b == nil {
			return nil, corrupt(name, "", "bucket vanished")
		}
		return b, nil
	}
	var cfg Config
	var meta, graphMeta []byte
	if err := src.View(func(btx *bolt.Tx) error {
		b, err := v1(btx)
		if err != nil {
			return err
		}
		cb := b.Bucket(configBucket)
		if cb == nil {
			return corrupt(name, "config", "bucket missing")
		}
		if cfg, err = decodeConfig(name, sealCopy(configVersionKey, cb.Get(configVersionKey)), sealCopy(configKey, cb.Get(configKey))); err != nil {
			return err
		}
		meta, graphMeta = bytes.Clone(b.Get(metaKey)), bytes.Clone(b.Get(graphMetaKey))
		if _, _, err := decodeMeta(meta); err != nil {
			return corrupt(name, "", "%v", err)
		}
		return nil
	}); err != nil {
		return err
	}
	var hidden string
	if err := dst.Update(func(tx *Tx) error {
		// Copy into a staged collection and swap it in at the end, so a
		// failed upgrade never leaves a half-copied collection behind,
		// even in the temporary file.
		var err error
		hidden, _, err = tx.CreateStaged(name, cfg)
		return err
	}); err != nil {
		return fmt.Errorf("collection %q: %w", name, err)
	}
	for _, sub := range [][]byte{keysBucket, recordsBucket, vectorsBucket, orderBucket, graphBucket} {
		err := copyChunked(ctx, src, func(btx *bolt.Tx) (*bolt.Bucket, error) {
			b, err := v1(btx)
			if err != nil {
				return nil, err
			}
			if sb := b.Bucket(sub); sb != nil {
				return sb, nil
			}
			return nil, corrupt(name, string(sub), "bucket missing")
		}, dst, func(tx *Tx) (*bolt.Bucket, error) {
			c, err := tx.Collection(hidden)
			if err != nil {
				return nil, err
			}
			return c.b.Bucket(sub), nil
		}, func(k, v []byte) ([]byte, error) {
			if err := checkV1Value(name, sub, cfg, k, v); err != nil {
				return nil, err
			}
			return sealCopy(k, v), nil
		})
		if err != nil {
			return fmt.Errorf("collection %q: %w", name, err)
		}
	}
	// Format 1 kept one value per vector and node; they arrive as deltas
	// and are folded into blocks here.
	if err := dst.FoldDeltas(ctx, hidden); err != nil {
		return fmt.Errorf("collection %q: %w", name, err)
	}
	return dst.Update(func(tx *Tx) error {
		c, err := tx.Collection(hidden)
		if err != nil {
			return err
		}
		if err := c.b.Put(metaKey, sealCopy(metaKey, meta)); err != nil {
			return err
		}
		if graphMeta != nil {
			if err := c.SetGraphMeta(graphMeta); err != nil {
				return err
			}
		}
		return tx.CommitStaged(hidden, name)
	})
}

// checkV1Value validates one format-1 entry before it is sealed: sealing
// damaged bytes would make them look sound.
func checkV1Value(name string, sub []byte, cfg Config, k, v []byte) error {
	switch string(sub) {
	case string(recordsBucket):
		if len(k) != 4 {
			return corrupt(name, "records", "key of %d bytes", len(k))
		}
		if _, err := decodeRecord(v); err != nil {
			return corruptID(name, "records", binary.BigEndian.Uint32(k), "%v", err)
		}
	case string(vectorsBucket):
		if len(k) != 4 || len(v) != 4*cfg.Dim {
			return corrupt(name, "vectors", "entry %x of %d bytes, want %d", k, len(v), 4*cfg.Dim)
		}
	case string(keysBucket):
		if len(v) != 4 {
			return corrupt(name, "keys", "key %q maps to %d bytes", k, len(v))
		}
	case string(orderBucket):
		if len(k) != 8 || len(v) != 4 {
			return corrupt(name, "order", "entry of %d/%d bytes", len(k), len(v))
		}
	case string(graphBucket):
		if len(k) != 4 || len(v) == 0 {
			return corrupt(name, "graph", "entry of %d/%d bytes", len(k), len(v))
		}
	}
	return nil
}
