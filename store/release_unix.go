//go:build unix

package store

import "golang.org/x/sys/unix"

// ReleaseMapped tells the kernel that the pages of the file's memory map
// read so far in this transaction are not needed any more, so they stop
// counting towards the process's resident set (they stay in the page
// cache, and a later read faults them back in). A loader that copies the
// whole collection into memory calls it at the end of its read
// transaction, so the process does not hold the data twice. It is safe
// only inside a transaction, which keeps bbolt from remapping the file.
// Errors are ignored: this is advice.
func (tx *Tx) ReleaseMapped() {
	info := tx.db.bolt.Info()
	size := tx.btx.Size()
	if info == nil || info.Data == 0 || size <= 0 {
		return
	}
	// The raw syscall takes the mapping's address as the uintptr bbolt
	// reports, without turning it into a Go pointer.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, info.Data, uintptr(size), unix.MADV_DONTNEED)
}
