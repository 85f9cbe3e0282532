package quant_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vecbolt/vecbolt/index/quant"
)

// TestDotInt8Batch compares DotInt8Batch on every kernel set with the sums
// written out in this package's tests: every kernel length (and
// MaxKernelLen), batches of 0 to 33 codes cut from one buffer at every
// alignment (so that an over-read or a misaligned load shows as a wrong
// sum), extreme values, and out longer than the batch (its extra elements
// must stay untouched).
func TestDotInt8Batch(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, n := range append(kernelLengths, quant.MaxKernelLen) {
			cases := int8Cases(r, n)
			for _, count := range []int{0, 1, 2, 3, 5, 16, 33} {
				if n == quant.MaxKernelLen && count > 3 {
					continue // slow, and the extremes are covered by 3
				}
				buf := make([]int8, count*(n+5)+64)
				for i := range buf {
					buf[i] = int8(r.IntN(256) - 128)
				}
				q := cases[r.IntN(len(cases))][0]
				codes := make([][]int8, count)
				for i := range codes {
					off := i*(n+5) + r.IntN(6)
					codes[i] = buf[off : off+n : off+n]
					if i%4 == 1 { // an extreme code against the query
						copy(codes[i], cases[r.IntN(len(cases))][1])
					}
				}
				out := make([]int32, count+2)
				out[count], out[count+1] = 12345, -6789
				quant.DotInt8Batch(out, q, codes)
				for i, c := range codes {
					if want := refDotInt8(q, c); int64(out[i]) != want {
						t.Fatalf("n=%d count=%d code %d: %d, want %d", n, count, i, out[i], want)
					}
				}
				if out[count] != 12345 || out[count+1] != -6789 {
					t.Fatalf("n=%d count=%d: wrote past the batch: %v", n, count, out[count:])
				}
			}
		}
	})
}

func TestDotInt8BatchPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"code length": func() {
			quant.DotInt8Batch(make([]int32, 2), make([]int8, 3), [][]int8{make([]int8, 3), make([]int8, 2)})
		},
		"out short": func() {
			quant.DotInt8Batch(make([]int32, 1), make([]int8, 3), [][]int8{make([]int8, 3), make([]int8, 3)})
		},
		"too long": func() {
			q := make([]int8, quant.MaxKernelLen+1)
			quant.DotInt8Batch(make([]int32, 1), q, [][]int8{q})
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			f()
		})
	}
	// An empty query: every dot product is 0.
	out := []int32{7, 7}
	quant.DotInt8Batch(out, nil, [][]int8{nil, {}})
	if out[0] != 0 || out[1] != 0 {
		t.Errorf("empty query: %v, want zeros", out)
	}
}

// FuzzInt8BatchKernel compares every batch kernel the CPU runs with the
// sums written out in this package's tests: data is cut into a query of
// n bytes (n from its first byte) and as many codes of n bytes as follow.
func FuzzInt8BatchKernel(f *testing.F) {
	for _, n := range issueLengths {
		b := make([]byte, 1+4*n)
		b[0] = byte(n)
		for i := 1; i < len(b); i++ {
			b[i] = byte(i*59 + n)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := max(int(data[0]), 1)
		data = data[1:]
		if len(data) < n {
			n = len(data)
		}
		s := make([]int8, len(data))
		for i, b := range data {
			s[i] = int8(b)
		}
		q := s[:n]
		var codes [][]int8
		for off := n; off+n <= len(s); off += n {
			codes = append(codes, s[off:off+n:off+n])
		}
		for _, name := range quant.KernelNames() {
			out := make([]int32, len(codes))
			quant.KernelBatchFunc(name)(out, q, codes)
			for i, c := range codes {
				if want := refDotInt8(q, c); int64(out[i]) != want {
					t.Fatalf("%s n=%d code %d: %d, want %d", name, n, i, out[i], want)
				}
			}
		}
	})
}

// TestDistancesMatchDistance: Int8.Distances gives Distance's value bit for
// bit, per metric and kernel set, on trained parameters.
func TestDistancesMatchDistance(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, m := range []quant.Metric{quant.Cosine, quant.Dot, quant.L2} {
			for _, dim := range []int{1, 7, 64, 100, 129} {
				t.Run(fmt.Sprintf("%s/%d", m, dim), func(t *testing.T) {
					vecs := make([][]float32, 40)
					for i := range vecs {
						vecs[i] = make([]float32, dim)
						for j := range vecs[i] {
							vecs[i][j] = float32(r.NormFloat64())
						}
					}
					p, err := quant.Train(dim, m, vecs, quant.TrainOptions{})
					if err != nil {
						t.Fatal(err)
					}
					codes := make([][]int8, len(vecs))
					corrs := make([]float32, len(vecs))
					for i, v := range vecs {
						codes[i] = make([]int8, dim)
						if corrs[i], err = p.Encode(codes[i], v); err != nil {
							t.Fatal(err)
						}
					}
					var qr quant.Query
					if err := p.PrepareQuery(&qr, vecs[3]); err != nil {
						t.Fatal(err)
					}
					out := make([]float32, len(codes))
					p.Distances(out, &qr, codes, corrs)
					for i := range codes {
						if want := p.Distance(&qr, codes[i], corrs[i]); out[i] != want {
							t.Fatalf("code %d: Distances %v, Distance %v", i, out[i], want)
						}
					}
				})
			}
		}
	})
}
