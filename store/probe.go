package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CommitProbe is what ProbeCommits measured.
type CommitProbe struct {
	Commits int     // one-key transactions committed
	Seconds float64 // wall time of those commits
	// PageBytes is what bbolt reported writing for them: the pages it
	// allocated (dirty B+tree pages and, unless FreelistUnsynced, the
	// freelist) plus one meta page per commit.
	PageBytes int64
	FreePages int // pages on the freelist at the end
}

// probeBucket is the root-level bucket ProbeCommits writes to; it is
// removed again before ProbeCommits returns.
var probeBucket = []byte("vecbolt-commit-probe")

// ProbeCommits measures what one durable commit costs in the file at path
// (created as an empty vecbolt database if absent) opened with opts: it
// runs up to n read-write transactions, for at most budget, each putting
// one 8-byte key in a scratch bucket, then removes the bucket in one more
// (untimed) commit. On a scratch file this is the machine's ceiling for
// durable one-key commits; on a copy of a database it shows what bbolt's
// own bookkeeping (freelist, meta page, fsync) adds at that file size.
// Each commit is O(log n) page writes plus, with the synced freelist, one
// freelist write of 8 bytes per free page. Do not run it on a file in use.
func ProbeCommits(ctx context.Context, path string, opts Options, n int, budget time.Duration) (CommitProbe, error) {
	db, err := Open(path, opts)
	if err != nil {
		return CommitProbe{}, err
	}
	defer db.Close()
	if db.readOnly {
		return CommitProbe{}, fmt.Errorf("%w: %s: probing commits needs a writable file", ErrReadOnly, path)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(probeBucket)
		return err
	}); err != nil {
		return CommitProbe{}, fmt.Errorf("store: probe %s: %w", path, err)
	}
	var p CommitProbe
	before := db.bolt.Stats().TxStats
	t0 := time.Now()
	for i := 0; i < n && (i == 0 || time.Since(t0) < budget); i++ {
		if err := ctx.Err(); err != nil {
			return CommitProbe{}, err
		}
		key := binary.BigEndian.AppendUint64(nil, uint64(i))
		if err := db.bolt.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(probeBucket).Put(key, key)
		}); err != nil {
			return CommitProbe{}, fmt.Errorf("store: probe %s: commit %d: %w", path, i, err)
		}
		p.Commits++
	}
	p.Seconds = time.Since(t0).Seconds()
	after := db.bolt.Stats()
	p.PageBytes = after.TxStats.GetPageAlloc() - before.GetPageAlloc() + int64(p.Commits*db.bolt.Info().PageSize)
	p.FreePages = after.FreePageN
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(probeBucket) }); err != nil {
		return CommitProbe{}, fmt.Errorf("store: probe %s: %w", path, err)
	}
	return p, nil
}

// OpenProbe is what ProbeOpen measured: the time of a read-write Open of a
// file, the way the last handle left it.
type OpenProbe struct {
	// CleanSeconds is Open after a Close: the freelist is read from the
	// file (or, with FreelistSynced, always is).
	CleanSeconds float64
	// UncleanSeconds is Open of the same file as a process that died after
	// a commit leaves it: with the unsynced freelist, Open verifies every
	// page and bbolt walks them all to rebuild the list. With
	// FreelistSynced it is the same as CleanSeconds.
	UncleanSeconds float64
	FreePages      int // pages on the freelist
}

// ProbeOpen measures a read-write Open of the file at path under opts, as
// a Close leaves it and as a crash after a commit leaves it. It commits
// one empty transaction and closes the handle without writing the
// freelist (as a crash would), times the Open that follows, then closes
// that one properly and times one more Open. The file's contents do not
// change. Cost: O(file size) for the unclean open. Do not run it on a file
// in use.
func ProbeOpen(path string, opts Options) (OpenProbe, error) {
	if opts.ReadOnly {
		return OpenProbe{}, fmt.Errorf("%w: %s: probing a read-write open", ErrReadOnly, path)
	}
	db, err := Open(path, opts)
	if err != nil {
		return OpenProbe{}, err
	}
	if err := db.bolt.Update(func(*bolt.Tx) error { return nil }); err != nil {
		db.Close()
		return OpenProbe{}, fmt.Errorf("store: probe %s: %w", path, err)
	}
	if err := db.bolt.Close(); err != nil { // no freelist commit: as a crash leaves the file
		return OpenProbe{}, fmt.Errorf("store: probe %s: %w", path, err)
	}
	var p OpenProbe
	for i, dst := range []*float64{&p.UncleanSeconds, &p.CleanSeconds} {
		t0 := time.Now()
		db, err := Open(path, opts)
		if err != nil {
			return OpenProbe{}, err
		}
		*dst = time.Since(t0).Seconds()
		if i == 1 {
			p.FreePages = db.bolt.Stats().FreePageN
		}
		if err := db.Close(); err != nil {
			return OpenProbe{}, fmt.Errorf("store: probe %s: %w", path, err)
		}
	}
	return p, nil
}
