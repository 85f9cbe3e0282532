//go:build linux

package index

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// adviseHuge asks the kernel to back the untouched slab s with huge
// pages, so that filling it (a restore writes every link list) takes a
// few faults per 2 MiB instead of one per 4 KiB. Only the whole 2 MiB
// pages inside s are advised; errors are ignored: this is advice.
func adviseHuge[T any](s []T) {
	if len(s) == 0 {
		return
	}
	const huge = 2 << 20
	lo := uintptr(unsafe.Pointer(&s[0]))
	hi := lo + uintptr(len(s))*unsafe.Sizeof(s[0])
	lo = (lo + huge - 1) &^ (huge - 1)
	hi &^= huge - 1
	if hi <= lo {
		return
	}
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, lo, hi-lo, unix.MADV_HUGEPAGE)
}
