package quant

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// kernelSets returns the kernel sets this CPU can run, the pure-Go
// references first and the fastest last. cpuid checks that the OS saves the
// AVX and AVX-512 registers (XGETBV) before reporting those features.
func kernelSets() []kernelSet {
	c := &cpuid.CPU
	sets := []kernelSet{goKernels}
	f16 := c.Supports(cpuid.AVX, cpuid.F16C, cpuid.FMA3)
	base := goKernels
	if f16 {
		base.dotF16, base.l2F16, base.f16 = dotF16F16C, l2F16F16C, "f16c"
		base.dotHalf, base.l2Half = dotHalfF16C, l2HalfF16C
	}
	if c.Supports(cpuid.AVX2) {
		s := base
		s.name, s.dotI8, s.l2I8 = "avx2", dotI8AVX2, l2I8AVX2
		sets = append(sets, s)
		if c.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VNNI) {
			s.name, s.dotI8 = "avx512vnni", dotI8VNNI
			sets = append(sets, s)
		}
	} else if f16 {
		sets = append(sets, base)
	}
	return sets
}

func dotI8AVX2(a, b []int8) int32 {
	return dotI8AVX2Asm(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
}

func dotI8VNNI(a, b []int8) int32 {
	return dotI8VNNIAsm(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
}

func l2I8AVX2(a, b []int8) uint32 {
	return l2I8AVX2Asm(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
}

func dotF16F16C(q []float32, c []uint16) float32 {
	return dotF16Asm(unsafe.SliceData(q), unsafe.SliceData(c), len(q))
}

func l2F16F16C(q []float32, c []uint16) float32 {
	return l2F16Asm(unsafe.SliceData(q), unsafe.SliceData(c), len(q))
}

func dotHalfF16C(a, b []uint16) float32 {
	return dotHalfAsm(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
}

func l2HalfF16C(a, b []uint16) float32 {
	return l2HalfAsm(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
}

// The assembly kernels (kernels_amd64.s). Each reads n elements from each
// pointer, n >= 0; n <= MaxKernelLen keeps the integer sums exact.

//go:noescape
func dotI8AVX2Asm(a, b *int8, n int) int32

//go:noescape
func dotI8VNNIAsm(a, b *int8, n int) int32

//go:noescape
func l2I8AVX2Asm(a, b *int8, n int) uint32

//go:noescape
func dotF16Asm(q *float32, c *uint16, n int) float32

//go:noescape
func l2F16Asm(q *float32, c *uint16, n int) float32

//go:noescape
func dotHalfAsm(a, b *uint16, n int) float32

//go:noescape
func l2HalfAsm(a, b *uint16, n int) float32
