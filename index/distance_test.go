package index

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// refDot and refL2 are the formulas written out in float64.
func refDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func refL2(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

// TestKernels compares the vek32 kernels and the pure-Go reference kernels
// with the float64 formulas at awkward lengths, with a tolerance relative to
// the sum of absolute terms (cancellation makes a plain relative error
// meaningless for dot products near 0).
func TestKernels(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, n := range []int{1, 7, 8, 9, 31, 33, 100, 768, 1536} {
		for trial := 0; trial < 20; trial++ {
			a, b := make([]float32, n), make([]float32, n)
			var mag, magL2 float64
			for i := range a {
				a[i] = float32(r.NormFloat64())
				b[i] = float32(r.NormFloat64())
				mag += math.Abs(float64(a[i]) * float64(b[i]))
				d := float64(a[i]) - float64(b[i])
				magL2 += d * d
			}
			tol := 1e-5 * math.Sqrt(float64(n))
			for _, k := range []struct {
				name      string
				got, want float64
				mag       float64
			}{
				{"DotProduct", float64(DotProduct(a, b)), refDot(a, b), mag},
				{"dotGo", float64(dotGo(a, b)), refDot(a, b), mag},
				{"SquaredL2", float64(SquaredL2(a, b)), refL2(a, b), magL2},
				{"squaredL2Go", float64(squaredL2Go(a, b)), refL2(a, b), magL2},
			} {
				if math.Abs(k.got-k.want) > tol*k.mag {
					t.Fatalf("%s at n=%d: %g, reference %g", k.name, n, k.got, k.want)
				}
			}
			for _, m := range []Metric{Cosine, Dot, L2} {
				if d, e := distance(m, a, b), distanceGo(m, a, b); math.Abs(float64(d-e)) > tol*(mag+magL2+1) {
					t.Fatalf("%s at n=%d: vek %g, Go %g", m, n, d, e)
				}
			}
		}
	}
}

var sink float32

// BenchmarkDistance compares vek32 with the pure-Go kernels, and with
// vek32 on a 32-aligned prefix plus a Go tail (the alternative to paying
// vek's scalar tail). Numbers are recorded in distance.go.
func BenchmarkDistance(b *testing.B) {
	split := func(a, c []float32) float32 {
		n := len(a) &^ 31
		var s float32
		if n > 0 {
			s = DotProduct(a[:n], c[:n])
		}
		for i := n; i < len(a); i++ {
			s += a[i] * c[i]
		}
		return s
	}
	for _, n := range []int{1, 100, 128, 768, 1536} {
		r := rand.New(rand.NewSource(1))
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i] = r.Float32(), r.Float32()
		}
		for _, k := range []struct {
			name string
			f    func(a, b []float32) float32
		}{
			{"dot/vek", DotProduct}, {"dot/vek-split", split}, {"dot/go", dotGo},
			{"l2/vek", SquaredL2}, {"l2/go", squaredL2Go},
		} {
			b.Run(fmt.Sprintf("%s/%d", k.name, n), func(b *testing.B) {
				var s float32
				for b.Loop() {
					s += k.f(x, y)
				}
				sink = s
			})
		}
	}
}
