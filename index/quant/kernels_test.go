package quant_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vecbolt/vecbolt/index/quant"
)

var kernelLengths = []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 384, 768, 1536}

// refDotInt8 and refL2Int8 are written out here, independent of the
// package's own references.
func refDotInt8(a, b []int8) int64 {
	var s int64
	for i := range a {
		s += int64(a[i]) * int64(b[i])
	}
	return s
}

func refL2Int8(a, b []int8) int64 {
	var s int64
	for i := range a {
		d := int64(a[i]) - int64(b[i])
		s += d * d
	}
	return s
}

// refDotF16 and refL2F16 accumulate in float64, with the bound of the sum of
// absolute terms for the error check.
func refDotF16(q []float32, c []uint16) (sum, abs float64) {
	for i := range q {
		p := float64(q[i]) * float64(quant.ToFloat32(c[i]))
		sum += p
		abs += math.Abs(p)
	}
	return sum, abs
}

func refL2F16(q []float32, c []uint16) float64 {
	var s float64
	for i := range q {
		d := float64(q[i]) - float64(quant.ToFloat32(c[i]))
		s += d * d
	}
	return s
}

// int8Cases returns pairs of vectors of length n: random, all -128, all
// 127, -128 against 127, alternating extremes.
func int8Cases(r *rand.Rand, n int) [][2][]int8 {
	fill := func(f func(i int) int8) []int8 {
		v := make([]int8, n)
		for i := range v {
			v[i] = f(i)
		}
		return v
	}
	rnd := func(int) int8 { return int8(r.IntN(256) - 128) }
	ext := func(int) int8 {
		if r.IntN(2) == 0 {
			return -128
		}
		return 127
	}
	return [][2][]int8{
		{fill(rnd), fill(rnd)},
		{fill(func(int) int8 { return -128 }), fill(func(int) int8 { return -128 })},
		{fill(func(int) int8 { return 127 }), fill(func(int) int8 { return 127 })},
		{fill(func(int) int8 { return -128 }), fill(func(int) int8 { return 127 })},
		{fill(ext), fill(ext)},
		{fill(func(i int) int8 { return int8(-128 + 255*(i&1)) }), fill(func(i int) int8 { return int8(127 - 255*(i&1)) })},
	}
}

func forEachKernel(t *testing.T, f func(t *testing.T)) {
	for _, name := range quant.KernelNames() {
		t.Run(name, func(t *testing.T) {
			defer quant.SetKernels(name)()
			f(t)
		})
	}
}

func TestInt8Kernels(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, n := range append(kernelLengths, quant.MaxKernelLen) {
			for ci, c := range int8Cases(r, n) {
				a, b := c[0], c[1]
				if got, want := quant.DotInt8(a, b), refDotInt8(a, b); int64(got) != want {
					t.Errorf("n=%d case %d: DotInt8 = %d, want %d", n, ci, got, want)
				}
				if got, want := quant.SquaredL2Int8(a, b), refL2Int8(a, b); int64(got) != want {
					t.Errorf("n=%d case %d: SquaredL2Int8 = %d, want %d", n, ci, got, want)
				}
			}
		}
	})
}

// TestInt8KernelsOffsets runs the kernels on sub-slices that start at every
// alignment and end just before a page of unrelated data, so an over-read
// or a misaligned load would show as a wrong sum.
func TestInt8KernelsOffsets(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		buf := make([]int8, 4096)
		for i := range buf {
			buf[i] = int8(r.IntN(256) - 128)
		}
		for off := 0; off < 64; off++ {
			for _, n := range []int{1, 7, 33, 65, 100, 200} {
				a := buf[off : off+n : off+n]
				b := buf[1000+off*3 : 1000+off*3+n : 1000+off*3+n]
				if got, want := quant.DotInt8(a, b), refDotInt8(a, b); int64(got) != want {
					t.Fatalf("off=%d n=%d: DotInt8 = %d, want %d", off, n, got, want)
				}
				if got, want := quant.SquaredL2Int8(a, b), refL2Int8(a, b); int64(got) != want {
					t.Fatalf("off=%d n=%d: SquaredL2Int8 = %d, want %d", off, n, got, want)
				}
			}
		}
	})
}

func TestFP16Kernels(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, n := range kernelLengths {
			for trial := 0; trial < 5; trial++ {
				q := make([]float32, n)
				c := make([]uint16, n)
				scale := []float32{1, 1e-3, 1e3, 60000, 1e-6}[trial]
				for i := range q {
					q[i] = float32(r.NormFloat64()) * scale
					c[i] = quant.FromFloat32(float32(r.NormFloat64()) * scale)
					if trial == 3 {
						c[i] = quant.FromFloat32(float32(2*r.IntN(2)-1) * quant.MaxFP16)
					}
				}
				want, abs := refDotF16(q, c)
				got := quant.DotFP16(q, c)
				// float32 accumulation: error within n·eps·Σ|terms|.
				tol := float64(n+2) * 1.2e-7 * abs
				if math.Abs(float64(got)-want) > tol {
					t.Errorf("n=%d trial %d: DotFP16 = %g, want %g ± %g", n, trial, got, want, tol)
				}
				wl := refL2F16(q, c)
				gl := quant.SquaredL2FP16(q, c)
				if math.Abs(float64(gl)-wl) > float64(n+2)*1.2e-7*wl {
					t.Errorf("n=%d trial %d: SquaredL2FP16 = %g, want %g", n, trial, gl, wl)
				}
				checkHalfCodes(t, q, c)
			}
		}
	})
}

// checkHalfCodes checks DistanceFP16Codes between the half-precision
// rounding of q and c against a float64 reference, for every metric.
func checkHalfCodes(t *testing.T, q []float32, c []uint16) {
	t.Helper()
	a := make([]uint16, len(q))
	for i, x := range q {
		a[i] = quant.FromFloat32(x)
		if a[i]&0x7c00 == 0x7c00 {
			a[i] = 0x7bff
		}
	}
	aq := make([]float32, len(a))
	quant.DecodeFP16(aq, a)
	dot, abs := refDotF16(aq, c)
	l2 := refL2F16(aq, c)
	n := float64(len(q) + 2)
	for _, m := range []quant.Metric{quant.Cosine, quant.Dot, quant.L2} {
		got := float64(quant.DistanceFP16Codes(m, a, c))
		want, tol := 1-dot, n*1.2e-7*abs+1e-6
		switch m {
		case quant.Dot:
			want = -dot
		case quant.L2:
			want, tol = l2, n*1.2e-7*l2
		}
		if math.Abs(got-want) > tol && !math.IsInf(want, 0) {
			t.Fatalf("n=%d %s: DistanceFP16Codes = %g, want %g ± %g", len(q), m, got, want, tol)
		}
	}
}

func TestKernelsName(t *testing.T) {
	names := quant.KernelNames()
	if names[0] != "go" {
		t.Fatalf("KernelNames()[0] = %q, want go", names[0])
	}
	defer quant.SetKernels("go")()
	if got := quant.Kernels(); got != "int8=go fp16=go" {
		t.Errorf("Kernels() = %q after SetKernels(go)", got)
	}
	t.Logf("kernel sets on this CPU: %v", names)
}

func TestKernelPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"DotInt8":           func() { quant.DotInt8(make([]int8, 2), make([]int8, 3)) },
		"SquaredL2Int8":     func() { quant.SquaredL2Int8(make([]int8, 2), make([]int8, 3)) },
		"DotInt8 long":      func() { quant.DotInt8(make([]int8, quant.MaxKernelLen+1), make([]int8, quant.MaxKernelLen+1)) },
		"DotFP16":           func() { quant.DotFP16(make([]float32, 2), make([]uint16, 3)) },
		"SquaredL2FP16":     func() { quant.SquaredL2FP16(make([]float32, 2), make([]uint16, 1)) },
		"DistanceFP16Codes": func() { quant.DistanceFP16Codes(quant.L2, make([]uint16, 2), make([]uint16, 1)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on mismatched lengths", name)
				}
			}()
			f()
		}()
	}
	if quant.DotInt8(nil, nil) != 0 || quant.SquaredL2Int8(nil, nil) != 0 || quant.DotFP16(nil, nil) != 0 || quant.SquaredL2FP16(nil, nil) != 0 {
		t.Error("empty slices: want 0")
	}
}
