package quant

import "github.com/klauspost/cpuid/v2"

// kernelSets returns the kernel sets this CPU can run, the pure-Go
// references first and the fastest last. cpuid checks that the OS saves the
// AVX and AVX-512 registers (XGETBV) before reporting those features.
func kernelSets() []kernelSet {
	c := &cpuid.CPU
	sets := []kernelSet{goKernels}
	f16 := c.Supports(cpuid.AVX, cpuid.F16C, cpuid.FMA3)
	base := goKernels
	if f16 {
		base.dotF16, base.l2F16, base.f16 = dotF16Asm, l2F16Asm, "f16c"
		base.dotHalf, base.l2Half = dotHalfAsm, l2HalfAsm
	}
	if c.Supports(cpuid.AVX2) {
		s := base
		s.name, s.dotI8, s.l2I8, s.dotI8Batch = "avx2", dotI8AVX2Asm, l2I8AVX2Asm, dotI8BatchAVX2
		sets = append(sets, s)
		if c.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VNNI) {
			s.name, s.dotI8, s.dotI8Batch = "avx512vnni", dotI8VNNIAsm, dotI8BatchVNNIAsm
			sets = append(sets, s)
		}
	} else if f16 {
		sets = append(sets, base)
	}
	return sets
}

// The assembly kernels (kernels_amd64.s). Each reads len(first argument)
// elements from both slices; the callers guarantee equal lengths, and for
// the integer kernels at most MaxKernelLen, which keeps the sums exact.

//go:noescape
func dotI8AVX2Asm(a, b []int8) int32

//go:noescape
func dotI8VNNIAsm(a, b []int8) int32

//go:noescape
func dotI8BatchVNNIAsm(out []int32, q []int8, codes [][]int8)

// dotI8BatchAVX2 is the batch dot product on AVX2: one kernel call per
// code (VNNI has a batch kernel of its own).
func dotI8BatchAVX2(out []int32, q []int8, codes [][]int8) {
	out = out[:len(codes)]
	for i, c := range codes {
		out[i] = dotI8AVX2Asm(q, c)
	}
}

//go:noescape
func l2I8AVX2Asm(a, b []int8) uint32

//go:noescape
func dotF16Asm(q []float32, c []uint16) float32

//go:noescape
func l2F16Asm(q []float32, c []uint16) float32

//go:noescape
func dotHalfAsm(a, b []uint16) float32

//go:noescape
func l2HalfAsm(a, b []uint16) float32
