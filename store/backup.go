package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole file to w from one read
// transaction (a hot backup: writes may continue meanwhile and are not in
// the copy) and returns the number of bytes written. Cancelling ctx stops
// the copy at the next write to w.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := db.bolt.View(func(btx *bolt.Tx) error {
		var err error
		n, err = btx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup %s: %w", db.path, err)
	}
	return n, nil
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (cw ctxWriter) Write(p []byte) (int, error) {
	if err := cw.ctx.Err(); err != nil {
		return 0, err
	}
	return cw.w.Write(p)
}

// CopyFile writes a hot backup (see Backup) to a new file at path,
// atomically: it writes and syncs a temporary file in the same directory
// and renames it into place, so path either does not exist or holds a
// complete copy. It refuses to overwrite an existing path (fs.ErrExist).
func (db *DB) CopyFile(ctx context.Context, path string) error {
	return writeAtomic(path, func(f *os.File) error {
		_, err := db.Backup(ctx, f)
		return err
	})
}

// Compact writes a compacted copy of the database to dstPath (bbolt.Compact:
// every bucket rewritten in key order into full pages, without free
// pages), atomically as CopyFile does. The copy is the smallest file that
// holds the data: bbolt grows a file ahead of its data (by doubling, then
// in AllocSize steps) and Compact truncates that tail away, so the copy
// is never larger than a Backup of the same data. The open database is
// only read; on failure it and dstPath are left as they were. dstPath must
// not exist (fs.ErrExist) and must not be this database's own path. ctx
// is checked before and after; the copy itself cannot be interrupted.
// Cost: O(file size) reads and writes, one pass.
func (db *DB) Compact(ctx context.Context, dstPath string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if same, _ := sameFile(db.path, dstPath); same {
		return fmt.Errorf("store: compact %s: destination is the database itself", db.path)
	}
	return writeAtomic(dstPath, func(f *os.File) error {
		tmp := f.Name()
		if err := f.Close(); err != nil {
			return err
		}
		// bbolt initialises the empty temporary file as a new database.
		dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: defaultTimeout, NoSync: true, NoGrowSync: true})
		if err != nil {
			return err
		}
		if err := bolt.Compact(dst, db.bolt, compactTxSize); err != nil {
			_ = dst.Close()
			return err
		}
		// The data ends at the high-water mark (the meta page's page
		// count); everything after it is bbolt's growth ahead of need.
		var size int64
		if err := dst.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }); err != nil {
			_ = dst.Close()
			return err
		}
		if err := dst.Close(); err != nil {
			return err
		}
		if err := os.Truncate(tmp, size); err != nil {
			return err
		}
		return ctx.Err()
	})
}

// compactTxSize is how many bytes of keys and values Compact writes per
// transaction: bounded memory on large files, few commits (and so few
// freed pages left in the copy) on everyday ones.
const compactTxSize = 256 << 20

// writeAtomic creates a temporary file beside path, lets write fill it
// (write may close it), syncs it and renames it to path. On any error the
// temporary file is removed and path is untouched.
func writeAtomic(path string, write func(f *os.File) error) (err error) {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("store: %s: %w", path, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	// write may have closed or replaced the file: reopen to sync.
	g, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := g.Sync(); err != nil {
		_ = g.Close()
		return fmt.Errorf("store: sync %s: %w", tmp, err)
	}
	if err := g.Close(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_ = f.Close()
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable; best effort
		_ = d.Close()
	}
	return nil
}

func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}
