package quant

import (
	"os"
	"strings"
)

// MaxKernelLen is the longest slice the INT8 kernels accept (the same as
// index.MaxDim): up to it, an int8 dot product fits an int32 and a squared
// L2 distance a uint32 exactly, whatever the components.
const MaxKernelLen = 1 << 16

// KernelsEnv names the environment variable read once at start-up to cap the
// kernels: "go" forces the pure-Go references, "avx2" forbids AVX-512. Empty
// or unset means the best the CPU offers. It runs a whole process (a test
// binary of another package, the bench tool) on the references; this
// package's own tests run every set the CPU supports whatever it says.
const KernelsEnv = "VECBOLT_QUANT_KERNELS"

// kernelSet is one implementation of every kernel. Each function assumes
// equal, non-zero lengths up to MaxKernelLen (the exported wrappers check).
type kernelSet struct {
	name  string // "go", "avx2", "avx512vnni"
	dotI8 func(a, b []int8) int32
	l2I8  func(a, b []int8) uint32
	// dotI8Batch sets out[i] = dotI8(q, codes[i]); every code has len(q)
	// bytes and out at least len(codes) elements.
	dotI8Batch func(out []int32, q []int8, codes [][]int8)
	dotF16     func(q []float32, c []uint16) float32
	l2F16      func(q []float32, c []uint16) float32
	// dotHalf and l2Half take two half-precision vectors.
	dotHalf func(a, b []uint16) float32
	l2Half  func(a, b []uint16) float32
	f16     string // name of the FP16 kernels: "go" or "f16c"
}

var goKernels = kernelSet{
	name: "go", dotI8: dotI8Go, l2I8: l2I8Go, dotI8Batch: dotI8BatchGo, dotF16: dotF16Go, l2F16: l2F16Go,
	dotHalf: dotHalfGo, l2Half: l2HalfGo, f16: "go",
}

// kern is the set chosen at start-up; only tests replace it (export_test.go),
// before any concurrent use.
var kern = chooseKernels(os.Getenv(KernelsEnv))

// chooseKernels returns the best set allowed by limit ("go", "avx2" or
// anything else for no cap) among those the CPU supports.
func chooseKernels(limit string) kernelSet {
	sets := kernelSets()
	limit = strings.ToLower(strings.TrimSpace(limit))
	if limit == "go" || limit == "purego" {
		return sets[0]
	}
	best := sets[0]
	for _, s := range sets {
		if limit == "avx2" && s.name == "avx512vnni" {
			continue
		}
		best = s
	}
	return best
}

// Kernels names the kernels this process uses, chosen once at start-up by
// CPU feature and KernelsEnv: "int8=avx512vnni fp16=f16c" on a recent amd64
// CPU, "int8=go fp16=go" on other architectures. Safe for concurrent use.
func Kernels() string {
	return "int8=" + kern.name + " fp16=" + kern.f16
}

// DotInt8 returns Σ a[i]·b[i] exactly. a and b must have the same length, at
// most MaxKernelLen; DotInt8 panics otherwise. O(len(a)), safe for
// concurrent use.
func DotInt8(a, b []int8) int32 {
	if len(a) != len(b) || len(a) > MaxKernelLen {
		panic("quant: DotInt8: lengths differ or exceed MaxKernelLen")
	}
	if len(a) == 0 {
		return 0
	}
	return kern.dotI8(a, b)
}

// DotInt8Batch sets out[i] = DotInt8(q, codes[i]) for every i <
// len(codes), in one call: what a graph search does for the neighbours of
// one node, without a call and a reduction chain per code (the AVX-512
// VNNI kernel overlaps the codes). Every code must have len(q) elements,
// at most MaxKernelLen, and out at least len(codes); it panics otherwise.
// O(len(codes)·len(q)), safe for concurrent use; it allocates nothing.
func DotInt8Batch(out []int32, q []int8, codes [][]int8) {
	if len(out) < len(codes) || len(q) > MaxKernelLen {
		panic("quant: DotInt8Batch: out shorter than codes or query longer than MaxKernelLen")
	}
	for _, c := range codes {
		if len(c) != len(q) {
			panic("quant: DotInt8Batch: a code's length differs from the query's")
		}
	}
	if len(codes) == 0 {
		return
	}
	if len(q) == 0 {
		clear(out[:len(codes)])
		return
	}
	kern.dotI8Batch(out, q, codes)
}

// dotI8BatchGo is the pure-Go reference for DotInt8Batch.
func dotI8BatchGo(out []int32, q []int8, codes [][]int8) {
	out = out[:len(codes)]
	for i, c := range codes {
		out[i] = dotI8Go(q, c)
	}
}

// SquaredL2Int8 returns Σ (a[i]-b[i])² exactly. a and b must have the same
// length, at most MaxKernelLen; it panics otherwise. O(len(a)), safe for
// concurrent use.
func SquaredL2Int8(a, b []int8) uint32 {
	if len(a) != len(b) || len(a) > MaxKernelLen {
		panic("quant: SquaredL2Int8: lengths differ or exceed MaxKernelLen")
	}
	if len(a) == 0 {
		return 0
	}
	return kern.l2I8(a, b)
}

// dotI8Go is the pure-Go reference for DotInt8.
func dotI8Go(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += int32(a[i]) * int32(b[i])
		s1 += int32(a[i+1]) * int32(b[i+1])
		s2 += int32(a[i+2]) * int32(b[i+2])
		s3 += int32(a[i+3]) * int32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}

// l2I8Go is the pure-Go reference for SquaredL2Int8.
func l2I8Go(a, b []int8) uint32 {
	b = b[:len(a)]
	var s0, s1 uint32
	i := 0
	for ; i+2 <= len(a); i += 2 {
		d0 := int32(a[i]) - int32(b[i])
		d1 := int32(a[i+1]) - int32(b[i+1])
		s0 += uint32(d0 * d0)
		s1 += uint32(d1 * d1)
	}
	for ; i < len(a); i++ {
		d := int32(a[i]) - int32(b[i])
		s0 += uint32(d * d)
	}
	return s0 + s1
}
