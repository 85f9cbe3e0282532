package index

import "os"

// hugePages is false when VECBOLT_HUGEPAGES=off was set at start-up: the
// slabs Reorder makes then stay on the kernel's default pages (for
// measuring what huge pages bring).
var hugePages = os.Getenv("VECBOLT_HUGEPAGES") != "off"

// adviseHugeChunks asks Linux to back each chunk with transparent huge
// pages (adviseHuge), which the kernel honours when
// /sys/kernel/mm/transparent_hugepage/enabled is "madvise" or "always".
// A search touches a few hundred vectors scattered over the slab: with
// 4 KiB pages nearly each is a TLB miss and a page walk once the slab
// outgrows the TLB's reach (a few MiB), with 2 MiB pages the whole slab of
// a 1M-vector graph fits in it. Call it on chunks freshly made and not yet
// written, so that the first write faults in huge pages. The advice
// changes speed, never results.
func adviseHugeChunks[T any](chunks [][]T) {
	if !hugePages {
		return
	}
	for _, c := range chunks {
		adviseHuge(c)
	}
}
