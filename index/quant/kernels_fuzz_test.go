package quant_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/vecbolt/vecbolt/index/quant"
)

// issueLengths are the lengths issue 11 names for the kernel tests; the
// fuzz targets below start from inputs of these lengths.
var issueLengths = []int{1, 7, 8, 9, 31, 33, 100, 384, 768, 1536}

// FuzzInt8Kernels compares every int8 kernel set the CPU runs with the
// package's pure-Go references (bit for bit: the sums are exact) and with
// the sums written out in this file, on any pair of int8 vectors.
func FuzzInt8Kernels(f *testing.F) {
	for _, n := range issueLengths {
		b := make([]byte, 2*n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		f.Add(b)
	}
	goDot, goL2, _ := quant.KernelFuncs("go")
	f.Fuzz(func(t *testing.T, data []byte) {
		n := min(len(data)/2, quant.MaxKernelLen)
		if n == 0 {
			return
		}
		a, b := make([]int8, n), make([]int8, n)
		for i := range n {
			a[i], b[i] = int8(data[i]), int8(data[n+i])
		}
		wd, wl := refDotInt8(a, b), refL2Int8(a, b)
		if int64(goDot(a, b)) != wd || int64(goL2(a, b)) != wl {
			t.Fatalf("n=%d: go references %d %d, want %d %d", n, goDot(a, b), goL2(a, b), wd, wl)
		}
		for _, name := range quant.KernelNames() {
			dot, l2, _ := quant.KernelFuncs(name)
			if gd, gl := dot(a, b), l2(a, b); gd != goDot(a, b) || gl != goL2(a, b) {
				t.Fatalf("%s n=%d: %d %d, go references %d %d", name, n, gd, gl, goDot(a, b), goL2(a, b))
			}
		}
	})
}

// FuzzFP16Kernels compares every FP16 kernel set with the float64 sums on
// any finite float32 query (raw bits) and any finite half vector, within
// the float32 accumulation bound n·2^-23·Σ|terms|, for the query-to-half
// and half-to-half kernels of every metric.
func FuzzFP16Kernels(f *testing.F) {
	for _, n := range issueLengths {
		b := make([]byte, 6*n)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(i%13)-6.5))
			binary.LittleEndian.PutUint16(b[4*n+2*i:], quant.FromFloat32(float32(i%7)*0.25))
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 6
		if n == 0 {
			return
		}
		q := make([]float32, n)
		c := make([]uint16, n)
		for i := range n {
			x := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			if x != x || math.IsInf(float64(x), 0) || math.Abs(float64(x)) > 1e15 {
				x = 1 // keep the sums finite: products up to 1e15·65504
			}
			q[i] = x
			c[i] = binary.LittleEndian.Uint16(data[4*n+2*i:])
			if c[i]&0x7c00 == 0x7c00 {
				c[i] &^= 0x4000 // no Inf or NaN: CheckFP16 refuses them
			}
		}
		want, abs := refDotF16(q, c)
		wl := refL2F16(q, c)
		tol := float64(n+2) * 1.2e-7
		// Products below float32's normal range round to multiples of
		// 2^-149: an absolute error the relative bound does not cover.
		sub := float64(n+2) * 0x1p-149
		for _, name := range quant.KernelNames() {
			restore := quant.SetKernels(name)
			gd, gl := quant.DotFP16(q, c), quant.SquaredL2FP16(q, c)
			restore()
			if math.Abs(float64(gd)-want) > tol*abs+sub && !math.IsInf(float64(gd), 0) {
				t.Fatalf("%s n=%d: DotFP16 %g, want %g ± %g", name, n, gd, want, tol*abs+sub)
			}
			if math.Abs(float64(gl)-wl) > tol*wl+sub && !math.IsInf(float64(gl), 0) {
				t.Fatalf("%s n=%d: SquaredL2FP16 %g, want %g ± %g", name, n, gl, wl, tol*wl+sub)
			}
			restore = quant.SetKernels(name)
			checkHalfCodes(t, q, c)
			restore()
		}
	})
}
