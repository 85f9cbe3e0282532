package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// bbolt's meta page (pages 0 and 1; documented in bbolt's
// internal/common/meta.go): after the 16-byte page header, magic uint32,
// version uint32, page size uint32, flags uint32, root bucket (pgid uint64,
// sequence uint64), freelist pgid uint64, high-water pgid uint64, txid
// uint64, then an FNV-64a checksum of the 56 bytes before it. Host order
// (little-endian on every platform bbolt supports). A commit writes the
// meta page txid%2, so the two pages hold the last two transactions.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	metaChecksumFrom = pageHeaderSize
	metaChecksumAt   = pageHeaderSize + 56
	metaPageBytes    = metaChecksumAt + 8
)

// MetaPageError reports one of bbolt's two meta pages failing validation
// while the other passes. bbolt then silently uses the valid one: if the
// damaged page held the newer transaction, everything committed in it is
// invisible, and the next write reuses the damaged slot and makes the loss
// permanent. A read-write Open refuses such a file with this error; a
// read-only Open proceeds (so that backup, export and check can read what
// remains) and reports it from DB.MetaDamage; Check lists it. It wraps
// ErrCorrupt.
type MetaPageError struct {
	Path   string
	Page   int    // the damaged meta page: 0 or 1
	Reason string // e.g. "fails its checksum"
	// Txid is the transaction of the valid meta page, the state bbolt
	// shows; DamagedTxid is the damaged page's transaction field as read
	// (untrustworthy, but a value above Txid means commits are lost).
	Txid, DamagedTxid uint64
	// ReadOnly is set when the file was opened read-only anyway.
	ReadOnly bool
}

func (e *MetaPageError) Error() string {
	if e.ReadOnly {
		return fmt.Sprintf("store: %s: %s; this read-only view shows that older state: copy it with 'vecbolt backup' and run 'vecbolt check' on the copy",
			e.Path, e.problem())
	}
	return fmt.Sprintf("store: %s: %s; refusing to open it read-write: copy what remains with 'vecbolt backup' (it opens read-only) and run 'vecbolt check' on the copy",
		e.Path, e.problem())
}

// problem describes the damage in one clause, for Error and Check.
func (e *MetaPageError) problem() string {
	return fmt.Sprintf("meta page %d %s, so bbolt falls back to meta page %d (transaction %d) and commits after it are invisible; the next write would make that loss permanent",
		e.Page, e.Reason, 1-e.Page, e.Txid)
}

func (e *MetaPageError) Unwrap() error { return ErrCorrupt }

// metaState is one meta page as read from the file.
type metaState struct {
	valid    bool
	reason   string // why not valid
	pageSize uint32
	txid     uint64
}

// parseMeta validates the meta page at the start of b as bbolt does:
// magic, version, checksum (bbolt ignores the page header).
func parseMeta(b []byte) metaState {
	if len(b) < metaPageBytes {
		return metaState{reason: "is truncated"}
	}
	le := binary.LittleEndian
	m := metaState{pageSize: le.Uint32(b[pageHeaderSize+8:]), txid: le.Uint64(b[pageHeaderSize+48:])}
	h := fnv.New64a()
	h.Write(b[metaChecksumFrom:metaChecksumAt])
	switch {
	case le.Uint32(b[pageHeaderSize:]) != boltMagic:
		m.reason = "has a bad magic number"
	case le.Uint32(b[pageHeaderSize+4:]) != boltVersion:
		m.reason = fmt.Sprintf("has version %d, want %d", le.Uint32(b[pageHeaderSize+4:]), boltVersion)
	case h.Sum64() != le.Uint64(b[metaChecksumAt:]):
		m.reason = "fails its checksum"
	default:
		m.valid = true
	}
	return m
}

// readMetaDamage reads both meta pages of the file at path and returns a
// *MetaPageError when exactly one of them is invalid. Files where both are
// invalid (not bbolt, or beyond repair) or that cannot be read are left to
// bbolt's Open, which reports them.
func readMetaDamage(path string) *MetaPageError {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, metaPageBytes)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil
	}
	m0 := parseMeta(b)
	var m1 metaState
	if m0.valid {
		if _, err := f.ReadAt(b, int64(m0.pageSize)); err != nil {
			return nil
		}
		m1 = parseMeta(b)
	} else {
		// Page 0 is unusable: find page 1 as bbolt does, trying page
		// sizes from 1 KiB to 16 MiB.
		for i := 0; i <= 14; i++ {
			if _, err := f.ReadAt(b, 1024<<i); err != nil {
				break
			}
			if m1 = parseMeta(b); m1.valid && int(m1.pageSize) == 1024<<i {
				break
			}
		}
	}
	switch {
	case m0.valid && !m1.valid:
		return &MetaPageError{Page: 1, Reason: m1.reason, Txid: m0.txid, DamagedTxid: m1.txid}
	case !m0.valid && m1.valid:
		return &MetaPageError{Page: 0, Reason: m0.reason, Txid: m1.txid, DamagedTxid: m0.txid}
	}
	return nil
}

// checkMetaPages is Open's meta page check for an existing file. It reads
// both meta pages; only if one is damaged does it read them again while
// holding bbolt's shared lock (a read-only open), so that a commit another
// process was writing at that moment is not mistaken for damage. It returns
// the confirmed damage or nil, or ErrLocked.
func checkMetaPages(path string, timeout time.Duration) (*MetaPageError, error) {
	d := readMetaDamage(path)
	if d == nil {
		return nil, nil
	}
	b, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s (waited %v)", ErrLocked, path, timeout)
		}
		return nil, nil // let the real Open report it
	}
	defer b.Close()
	if d = readMetaDamage(path); d != nil {
		d.Path = path
	}
	return d, nil
}

// MetaDamage returns the *MetaPageError found when a read-only Open met a
// file with a damaged meta page (a read-write Open refuses such files), or
// nil. What the handle shows is the older state bbolt fell back to. Safe
// for concurrent use; O(1).
func (db *DB) MetaDamage() error {
	if db.metaDamage == nil {
		return nil
	}
	return db.metaDamage
}
