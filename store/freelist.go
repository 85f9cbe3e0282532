package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// The freelist of an unsynced handle (FreelistUnsynced, the default) lives
// in memory while the file is open: commits write only their dirty pages
// and a meta page, whatever the number of free pages. Close writes the list
// once, in a last commit, so that the next Open reads it back at once. A
// file that was not closed (a crash, a SIGKILL) has no list on disk; the
// next read-write Open rebuilds it by walking every page, which bbolt does
// in a goroutine of its own, where a damaged page would end the process.
// Open therefore walks the file first with walkPages (bounds-checked
// reads, no mmap) under a read-only lock and refuses a damaged file with
// ErrCorrupt; bbolt's walk then meets only pages that walkPages verified,
// and anything it still reports panics in Open's goroutine, where Open
// recovers it into ErrCorrupt.

// metaFreelistSynced reports whether the meta page bbolt will use (the
// valid one with the higher transaction id) points at a freelist page. ok
// is false when neither meta page is valid (bbolt's Open reports that).
func metaFreelistSynced(path string) (synced, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return false, false
	}
	defer f.Close()
	var best metaState
	var bestFree uint64
	b := make([]byte, metaPageBytes)
	for page := 0; page < 2; page++ {
		off := int64(0)
		if page == 1 {
			if !best.valid {
				// Page 0 is unusable, so its page size is unknown:
				// leave this rare case to the full walk below.
				return false, true
			}
			off = int64(best.pageSize)
		}
		if _, err := f.ReadAt(b, off); err != nil {
			continue
		}
		m := parseMeta(b)
		if m.valid && (!best.valid || m.txid > best.txid) {
			best, bestFree = m, binary.LittleEndian.Uint64(b[metaFreeOffset:])
		}
	}
	if !best.valid {
		return false, false
	}
	return bestFree != noFreelist, true
}

// validateUnclosed walks the pages of a file whose freelist is not on disk
// (it was not closed), holding a read-only lock, before bbolt walks them
// through its memory map. It returns ErrLocked if another handle holds the
// file, ErrCorrupt naming the first problems found, or nil.
func validateUnclosed(path string, timeout time.Duration) error {
	b, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return fmt.Errorf("%w: %s (waited %v)", ErrLocked, path, timeout)
		}
		return nil // the read-write Open reports it
	}
	defer b.Close()
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if err := b.View(func(btx *bolt.Tx) error {
		return walkPages(btx, path, b.Info().PageSize, report)
	}); err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if len(problems) == 0 {
		return nil
	}
	shown := problems[:min(len(problems), 3)]
	return fmt.Errorf("%w: %s was not closed cleanly and %d of its pages are damaged (%s); "+
		"copy what remains with 'vecbolt backup' (it opens read-only) and run 'vecbolt check' on the copy",
		ErrCorrupt, path, len(problems), strings.Join(shown, "; "))
}

// syncFreelistOnClose writes the freelist of an unsynced handle in one
// last commit, so that the next Open reads it instead of walking the file.
// A handle that committed nothing leaves the file as it found it. An
// error is returned but harmless: the next Open walks the file.
func (db *DB) syncFreelistOnClose() error {
	if synced, ok := metaFreelistSynced(db.path); synced || !ok {
		return nil
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		// Read by this transaction's Commit, under bbolt's writer lock.
		tx.DB().NoFreelistSync = false
		return nil
	})
}
