package quant_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/viterin/vek/vek32"

	"github.com/vecbolt/vecbolt/index/quant"
)

var sink float32

// dotGo is a float32 dot product in pure Go (4 accumulators), the
// reference the FP32 row is compared with.
func dotGo(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// BenchmarkDistance measures one distance between two vectors in cache, for
// every encoding and every kernel set this CPU runs, in the same run: the
// ratios between rows are the figures (doc.go). Run with
//
//	go test -run XXX -bench Distance -count 5 ./index/quant
func BenchmarkDistance(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{100, 384, 768} {
		x := make([]float32, dim)
		y := make([]float32, dim)
		for i := range x {
			x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		unit(x)
		unit(y)
		h := make([]uint16, dim)
		if err := quant.EncodeFP16(h, y); err != nil {
			b.Fatal(err)
		}
		q, err := quant.Default(dim, quant.Cosine)
		if err != nil {
			b.Fatal(err)
		}
		cx, cy := make([]int8, dim), make([]int8, dim)
		ex, _ := q.Encode(cx, x)
		ey, _ := q.Encode(cy, y)
		var qr quant.Query
		if err := q.PrepareQuery(&qr, x); err != nil {
			b.Fatal(err)
		}
		pre := fmt.Sprintf("dim=%d/", dim)
		b.Run(pre+"fp32/vek32", func(b *testing.B) {
			for b.Loop() {
				sink += vek32.Dot(x, y)
			}
		})
		b.Run(pre+"fp32/go", func(b *testing.B) {
			for b.Loop() {
				sink += dotGo(x, y)
			}
		})
		for _, name := range quant.KernelNames() {
			restore := quant.SetKernels(name)
			fp16 := "go"
			if name != "go" {
				fp16 = "f16c"
			}
			if name != "avx512vnni" {
				b.Run(pre+"fp16/"+fp16, func(b *testing.B) {
					for b.Loop() {
						sink += quant.DotFP16(x, h)
					}
				})
				b.Run(pre+"int8-l2/"+name, func(b *testing.B) {
					for b.Loop() {
						sink += float32(quant.SquaredL2Int8(cx, cy))
					}
				})
			}
			b.Run(pre+"int8/"+name, func(b *testing.B) {
				for b.Loop() {
					sink += float32(quant.DotInt8(cx, cy))
				}
			})
			b.Run(pre+"int8-query/"+name, func(b *testing.B) {
				for b.Loop() {
					sink += q.Distance(&qr, cy, ey)
				}
			})
			b.Run(pre+"int8-codes/"+name, func(b *testing.B) {
				for b.Loop() {
					sink += q.CodeDistance(cx, ex, cy, ey)
				}
			})
			restore()
		}
	}
}

// BenchmarkPrepareQuery is the per-search cost of quantizing the query.
func BenchmarkPrepareQuery(b *testing.B) {
	for _, s := range []quant.Scheme{quant.Symmetric, quant.PerDimension} {
		r := rand.New(rand.NewPCG(3, 4))
		data := testVectors(r, quant.Cosine, 100, 384)
		q, err := quant.Train(384, quant.Cosine, data, quant.TrainOptions{Scheme: s})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("dim=384/%s", s), func(b *testing.B) {
			b.ReportAllocs()
			var qr quant.Query
			for b.Loop() {
				if err := q.PrepareQuery(&qr, data[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkKernelCPU measures ns per distance by the thread's CPU clock,
// interleaving every kernel in each round and keeping each one's fastest
// round (1,000 calls): robust on a shared, loaded machine where the
// wall-clock ns/op of BenchmarkDistance swings by 2× between runs. The
// figures are the custom metrics (ns per call, lower is better); doc.go's
// table comes from
//
//	go test -run XXX -bench KernelCPU -count 5 ./index/quant
//
// batch is the number of codes in BenchmarkKernelCPU's batch kernel call.
const batch = 32

func BenchmarkKernelCPU(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, dim := range []int{100, 384, 768} {
		x := make([]float32, dim)
		y := make([]float32, dim)
		for i := range x {
			x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		unit(x)
		unit(y)
		h := make([]uint16, dim)
		if err := quant.EncodeFP16(h, y); err != nil {
			b.Fatal(err)
		}
		tr := testVectors(r, quant.Cosine, 200, dim)
		cx, cy := make([]int8, dim), make([]int8, dim)
		for i := range cx {
			cx[i], cy[i] = int8(r.IntN(255)-127), int8(r.IntN(255)-127)
		}
		type kernel struct {
			name string
			f    func()
		}
		ks := []kernel{
			{"fp32-vek32", func() { sink += vek32.Dot(x, y) }},
			{"fp32-go", func() { sink += dotGo(x, y) }},
		}
		for _, set := range quant.KernelNames() {
			dot, l2, f16 := quant.KernelFuncs(set)
			if set != "avx512vnni" {
				name := "fp16-f16c"
				if set == "go" {
					name = "fp16-go"
				}
				ks = append(ks,
					kernel{name, func() { sink += f16(x, h) }},
					kernel{"int8-l2-" + set, func() { sink += float32(l2(cx, cy)) }})
			}
			ks = append(ks, kernel{"int8-" + set, func() { sink += float32(dot(cx, cy)) }})
		}
		for _, s := range []quant.Scheme{quant.Symmetric, quant.PerDimension} {
			q, err := quant.Train(dim, quant.Cosine, tr, quant.TrainOptions{Scheme: s})
			if err != nil {
				b.Fatal(err)
			}
			ex, _ := q.Encode(cx, tr[0])
			ey, _ := q.Encode(cy, tr[1])
			var qr quant.Query
			if err := q.PrepareQuery(&qr, x); err != nil {
				b.Fatal(err)
			}
			ks = append(ks,
				kernel{"int8-query-" + s.String(), func() { sink += q.Distance(&qr, cy, ey) }},
				kernel{"int8-codes-" + s.String(), func() { sink += q.CodeDistance(cx, ex, cy, ey) }})
			if s == quant.PerDimension {
				// What the graph search calls: one batch per expanded node
				// (32 codes here), reported per code.
				codes, corrs, out := make([][]int8, batch), make([]float32, batch), make([]float32, batch)
				for i := range codes {
					codes[i] = make([]int8, dim)
					corrs[i], _ = q.Encode(codes[i], tr[i%len(tr)])
				}
				ks = append(ks, kernel{"int8-query-batch-per-code", func() { q.Distances(out, &qr, codes, corrs); sink += out[0] }})
			}
		}
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const calls = 1000
			best := make([]int64, len(ks))
			for b.Loop() {
				for i, k := range ks {
					t0 := threadCPU()
					for range calls {
						k.f()
					}
					if d := threadCPU() - t0; best[i] == 0 || d < best[i] {
						best[i] = d
					}
				}
			}
			for i, k := range ks {
				per := float64(calls)
				if strings.HasSuffix(k.name, "-batch-per-code") {
					per *= batch
				}
				b.ReportMetric(float64(best[i])/per, "ns/"+k.name)
			}
		})
	}
}
