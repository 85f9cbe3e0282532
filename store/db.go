package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// defaultTimeout is the lock wait when Options.Timeout is 0.
const defaultTimeout = time.Second

// FormatVersion is the on-disk format version this package writes and the
// only one it opens. Files with a newer version are refused with
// ErrVersion; format-1 files with ErrNeedsUpgrade (see Upgrade).
const FormatVersion uint32 = 2

// Names of the root bucket and its keys; see the on-disk layout in doc.go.
var (
	rootBucket        = []byte("vecbolt")
	magicKey          = []byte("magic")
	versionKey        = []byte("version")
	collectionsBucket = []byte("collections")
	magic             = []byte("vecbolt\x00db\x00\x01\x02\x03\x04")
)

// Options configure Open. The zero value opens read-write, creating the
// file if it is absent, waiting up to one second for the file lock.
type Options struct {
	// ReadOnly opens the file with a shared lock: any number of read-only
	// handles may coexist, but none alongside a read-write one. Writes fail
	// with ErrReadOnly. A missing file is an error, not created.
	ReadOnly bool
	// Timeout is how long Open waits for the file lock before returning
	// ErrLocked. 0 means one second; a negative value tries once.
	Timeout time.Duration
	// NoSync skips fsync on commit: faster bulk loads, but a crash (of the
	// machine, not only the process) can lose or corrupt committed data.
	NoSync bool
	// FileMode is the permission of a newly created file; 0 means 0600.
	FileMode os.FileMode
	// Freelist chooses how bbolt keeps its list of free pages; the zero
	// value is FreelistDefault. See Freelist.
	Freelist Freelist
}

// Freelist chooses how bbolt keeps its list of free pages (see the
// "Commit costs" section of the package documentation for the figures).
type Freelist uint8

const (
	// FreelistDefault is the package's choice: FreelistUnsynced (see the
	// "Commit costs" section of the package documentation for why).
	FreelistDefault Freelist = iota
	// FreelistSynced is bbolt's default: an array freelist written to the
	// file on every commit, so that Open reads it back at once. Each
	// commit writes 8 bytes per free page: O(free pages), which a staged
	// import or a batch that rewrites most of the graph leaves at O(n).
	FreelistSynced
	// FreelistUnsynced keeps a hashmap freelist in memory while the file
	// is open: commits do not write it, so a commit writes its dirty pages
	// and a meta page whatever the number of free pages. Close writes the
	// list once, and the next Open reads it back (O(free pages), once). A
	// file that was not closed (the process died) has no list on disk: the
	// next read-write Open rebuilds it by walking every page, O(file
	// size), after verifying the pages with bounds-checked reads so that a
	// damaged page gives ErrCorrupt, not a crash. A commit that fails
	// (disk full) makes bbolt walk the file again to restore its list.
	FreelistUnsynced
)

// DB is an open vecbolt database file. All methods are safe for concurrent
// use; any number of View transactions may run alongside one Update.
type DB struct {
	// All fields are set by Open and never change (rows and checked lock
	// themselves), so DB needs no lock of its own; bbolt serialises
	// writers and guards its mmap.
	bolt       *bolt.DB
	path       string
	readOnly   bool
	metaDamage *MetaPageError // a damaged meta page found by a read-only Open
	unsynced   bool           // read-write with FreelistUnsynced: Close writes the freelist
	rows       rowFile        // the handle exact rows are read through, opened on demand (view_rows.go)
	checked    bucketChecks   // collection buckets verified before bbolt reads them (bucket_check.go)
}

// allocSize is how far bbolt grows the file beyond its data when it must.
const allocSize = 4 << 20

// Open opens the database at path. Unless opts.ReadOnly, a missing file is
// created and initialised with the root bucket, magic and FormatVersion.
//
// Errors: ErrLocked if another handle holds the lock beyond opts.Timeout;
// ErrNotVecbolt for an empty file, a file that is not a bbolt database, or a
// bbolt database without the vecbolt magic; *VersionError (ErrVersion) for a
// newer format; ErrCorrupt for a truncated file; a *MetaPageError
// (ErrCorrupt) for a read-write open of a file whose first or second bbolt
// meta page is damaged (a read-only open proceeds and reports it from
// MetaDamage); ErrCorrupt for a read-write open of a file that was not
// closed (no freelist on disk) and has damaged pages. A garbage file gives
// an error, never a panic. A read-write open after a Close reads bbolt's
// freelist, O(free pages); one after a crash walks every page, O(file).
func Open(path string, opts Options) (db *DB, err error) {
	created := false
	switch info, statErr := os.Stat(path); {
	case statErr == nil && info.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", ErrNotVecbolt, path)
	case statErr == nil && info.Size() == 0:
		return nil, fmt.Errorf("%w: %s is empty", ErrNotVecbolt, path)
	case errors.Is(statErr, fs.ErrNotExist) && !opts.ReadOnly:
		created = true
	case statErr != nil:
		return nil, fmt.Errorf("store: open %s: %w", path, statErr)
	}

	timeout := opts.Timeout
	switch {
	case timeout == 0:
		timeout = defaultTimeout
	case timeout < 0:
		timeout = time.Nanosecond // bbolt: one attempt, then ErrTimeout
	}
	mode := opts.FileMode
	if mode == 0 {
		mode = 0o600
	}

	// bbolt trusts the file's pages; on a garbage or truncated file it can
	// index out of range or touch mmap'ed memory past the end of the file
	// (SIGBUS). Turn both into errors, and keep the *os.File so a failed
	// open does not leave the lock held.
	var file *os.File
	bopts := &bolt.Options{
		Timeout:        timeout,
		ReadOnly:       opts.ReadOnly,
		NoSync:         opts.NoSync,
		NoFreelistSync: unsyncedFreelist(opts.Freelist),
		FreelistType:   freelistType(opts.Freelist),
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			if err == nil {
				file = f
			}
			return f, err
		},
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var bdb *bolt.DB
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if bdb != nil {
			_ = bdb.Close()
		} else if file != nil {
			// bbolt's mmap of the file outlives Close and would keep
			// the flock: release the lock explicitly. The mapping
			// itself leaks.
			unlockFile(file)
			_ = file.Close()
		}
		if created {
			_ = os.Remove(path)
		}
		db, err = nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, r)
	}()

	// bbolt silently falls back to the other meta page when one is
	// damaged, losing commits; refuse to write on top of that.
	var damage *MetaPageError
	if !created {
		if damage, err = checkMetaPages(path, timeout); err != nil {
			return nil, err
		}
		if damage != nil && !opts.ReadOnly {
			return nil, damage
		}
		if damage != nil {
			damage.ReadOnly = true
		}
		// A file that was not closed has no freelist on disk, and the
		// read-write open walks every page to rebuild it: verify them
		// first (see freelist.go).
		if synced, ok := metaFreelistSynced(path); ok && !synced && !opts.ReadOnly && unsyncedFreelist(opts.Freelist) {
			if err := validateUnclosed(path, timeout); err != nil {
				return nil, err
			}
		}
	}
	bdb, err = bolt.Open(path, mode, bopts)
	if err != nil {
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return nil, fmt.Errorf("%w: %s (waited %v)", ErrLocked, path, timeout)
		case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch),
			errors.Is(err, bolterrors.ErrChecksum):
			return nil, fmt.Errorf("%w: %s: %v", ErrNotVecbolt, path, err)
		}
		if created {
			_ = os.Remove(path)
			return nil, fmt.Errorf("store: create %s: %w", path, err)
		}
		var pathErr *fs.PathError
		var errno syscall.Errno
		if errors.As(err, &pathErr) || errors.As(err, &errno) {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		// Anything else bbolt says about an existing file is about its
		// contents ("file size too small", bad pages).
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	// bbolt grows the file 16 MiB at a time by default; a quarter of that
	// keeps small databases small on disk at the cost of a few more
	// truncate calls during a large import.
	bdb.AllocSize = allocSize
	db = &DB{bolt: bdb, path: path, readOnly: opts.ReadOnly, metaDamage: damage,
		unsynced: !opts.ReadOnly && unsyncedFreelist(opts.Freelist)}
	if created {
		err = bdb.Update(initFile)
		if err != nil {
			_ = bdb.Close()
			_ = os.Remove(path)
			return nil, fmt.Errorf("store: initialise %s: %w", path, err)
		}
		return db, nil
	}
	if err := db.bolt.View(func(btx *bolt.Tx) error { return checkHeader(btx, path) }); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		if err := db.dropStaged(); err != nil {
			_ = bdb.Close()
			return nil, err
		}
	}
	return db, nil
}

func unsyncedFreelist(f Freelist) bool { return f == FreelistUnsynced || f == FreelistDefault }

func freelistType(f Freelist) bolt.FreelistType {
	if unsyncedFreelist(f) {
		return bolt.FreelistMapType
	}
	return bolt.FreelistArrayType
}

// Close releases the file and its lock. It waits for open transactions to
// finish. A read-write handle with the unsynced freelist (the default)
// first writes the freelist in one last commit: O(free pages). Calling
// Close twice is harmless.
func (db *DB) Close() error {
	if db.unsynced {
		_ = db.syncFreelistOnClose() // on failure the next Open walks the file
	}
	db.rows.close()
	return db.bolt.Close()
}

// Path returns the path given to Open.
func (db *DB) Path() string { return db.path }

// ReadOnly reports whether the database was opened with Options.ReadOnly.
func (db *DB) ReadOnly() bool { return db.readOnly }

// Size returns the size of the file in bytes, as reported by the file
// system. bbolt grows files in steps, so it exceeds the data held.
func (db *DB) Size() (int64, error) {
	info, err := os.Stat(db.path)
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return info.Size(), nil
}

// Update runs fn in a read-write transaction and commits it if fn returns
// nil. If fn returns an error or panics, the whole transaction is rolled
// back (the panic is then re-raised) and nothing fn wrote is kept. Only one
// Update runs at a time; it does not block View. On a read-only database it
// returns ErrReadOnly without calling fn.
func (db *DB) Update(fn func(*Tx) error) error {
	if db.readOnly {
		return fmt.Errorf("%w: %s was opened read-only", ErrReadOnly, db.path)
	}
	return db.translate(db.bolt.Update(func(btx *bolt.Tx) error {
		tx, err := newTx(db, btx)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.flush()
	}))
}

// Batch is like Update, but bbolt may coalesce concurrent Batch calls into
// one transaction: fn may therefore run more than once and must be
// idempotent, and an error from one fn makes bbolt retry it alone. Useful
// when many goroutines each write a little.
func (db *DB) Batch(fn func(*Tx) error) error {
	if db.readOnly {
		return fmt.Errorf("%w: %s was opened read-only", ErrReadOnly, db.path)
	}
	return db.translate(db.bolt.Batch(func(btx *bolt.Tx) error {
		tx, err := newTx(db, btx)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.flush()
	}))
}

// View runs fn in a read-only transaction, which sees a consistent snapshot
// of the file. Any number of View calls may run at once. Slices read
// inside fn that are documented as valid "during the transaction" must
// not be used after View returns. A panic in fn is re-raised after the
// transaction is closed.
func (db *DB) View(fn func(*Tx) error) error {
	return db.translate(db.bolt.View(func(btx *bolt.Tx) error {
		tx, err := newTx(db, btx)
		if err != nil {
			return err
		}
		return fn(tx)
	}))
}

// translate maps bbolt errors that callers should test for to this
// package's sentinels.
func (db *DB) translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bolterrors.ErrDatabaseReadOnly), errors.Is(err, bolterrors.ErrTxNotWritable):
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	}
	return err
}
