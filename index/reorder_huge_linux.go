package index

import (
	"os"
	"syscall"
	"unsafe"
)

// hugePages is false when VECBOLT_HUGEPAGES=off was set at start-up: slabs
// then stay on the kernel's default pages (for measuring what huge pages
// bring).
var hugePages = os.Getenv("VECBOLT_HUGEPAGES") != "off"

// hugePageSize is the size of a transparent huge page on amd64 and arm64
// with 4 KiB base pages.
const hugePageSize = 2 << 20

// adviseHuge asks Linux to back each chunk with transparent huge pages
// (madvise MADV_HUGEPAGE), which the kernel honours when
// /sys/kernel/mm/transparent_hugepage/enabled is "madvise" or "always".
// A search touches a few hundred vectors scattered over the slab: with
// 4 KiB pages nearly each is a TLB miss and a page walk once the slab
// outgrows the TLB's reach (a few MiB), with 2 MiB pages the whole slab of
// a 1M-vector graph fits in it. Call it on chunks freshly made and not yet
// written, so that the first write faults in huge pages. Chunks under 4
// MiB are left alone; errors (an old kernel, THP disabled) are ignored:
// the advice changes speed, never results.
func adviseHuge[T any](chunks [][]T) {
	if !hugePages {
		return
	}
	for _, c := range chunks {
		n := len(c) * int(unsafe.Sizeof(*new(T)))
		if n < 2*hugePageSize {
			continue
		}
		b := unsafe.Slice((*byte)(unsafe.Pointer(&c[0])), n)
		p := uintptr(unsafe.Pointer(&b[0]))
		off := int((p+hugePageSize-1)&^(hugePageSize-1) - p)
		end := n - int((p+uintptr(n))&(hugePageSize-1))
		if end-off < hugePageSize {
			continue
		}
		_ = syscall.Madvise(b[off:end], syscall.MADV_HUGEPAGE)
	}
}
