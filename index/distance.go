package index

import "github.com/viterin/vek/vek32"

// Kernel choice. BenchmarkDistance on the 2-core amd64 dev box (AVX2,
// FMA, AVX-512 present but unused by vek), Go 1.26, vek v0.4.3, ns per
// call. Run A: moderately loaded machine, 3 runs; run B: load average ~13 on
// 2 cores, -benchtime 200ms, 3 runs (slower across the board, same order):
//
//	                           dim 1   dim 100   dim 128   dim 768   dim 1536
//	A vek32.Dot                  -      8.5-8.7   13-15      34-42    64-77
//	A vek32.Dot on [:n&^31]
//	  + Go scalar tail           -     10.6-12.2  11-17      34       65-87
//	A Go loop, 4-way unrolled    -     41-51      39-42     238-245  492-517
//	A vek32.Distance, squared    -     10.8-11.6  10.4-12.6  34-35    64-73
//	A Go L2, 4-way unrolled      -     33-58      38-42     243-335  474-550
//	B vek32.Dot                11-14   12.7-19    22        81-100   139-153
//	B vek32.Dot split + tail    7-10   20-23      23        73-82    139-161
//	B Go dot, 4-way unrolled    7-8    76-84      62-119    580-593  1119-1316
//	B vek32.Distance, squared   9-13   27-33      26-32     70-79    145-152
//	B Go L2, 4-way unrolled     7-10   78-87      71-80     566-586  1164-1255
//
// vek32's per-call checks (non-empty, equal length, a bool for AVX2) plus
// the assembly call cost a few ns (the dim-1 row is that floor). Its AVX2
// loop does 32 floats per iteration and finishes with scalar FMAs, so at
// dim 100 it does 3 vector iterations and 4 scalar steps; handing the tail
// to Go (the split row) or padding rows to a multiple of 32 (dim 128 is not
// faster than dim 100) did not pay, and the pure-Go loop is 5-7x slower
// (the Go compiler does not vectorise). Decision: call vek32 directly.
// Squared L2 is vek32.Distance squared (vek has no squared distance); the
// relative error this adds is ~1e-7. In the HNSW search on GloVe 100d the
// kernel is not the bottleneck: at ~1200 distances per query, a query costs
// ~130 µs of CPU on this box, i.e. ~110 ns per distance, dominated by cache
// misses on the vectors and links.

// DotProduct returns the inner product a·b using vek32 (AVX2/FMA on amd64,
// pure Go elsewhere). a and b must have the same, non-zero length;
// DotProduct panics otherwise. (CONTRACTS.md names it Dot, which collides
// with the Metric constant Dot.) Safe for concurrent use.
func DotProduct(a, b []float32) float32 { return vek32.Dot(a, b) }

// SquaredL2 returns Σ(a[i]-b[i])² using vek32. a and b must have the same,
// non-zero length; SquaredL2 panics otherwise. Safe for concurrent use.
func SquaredL2(a, b []float32) float32 {
	d := vek32.Distance(a, b)
	return d * d
}

// dotGo is the pure-Go reference for Dot, 4-way unrolled.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
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

// squaredL2Go is the pure-Go reference for SquaredL2, 4-way unrolled.
func squaredL2Go(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		d0 := a[i] - b[i]
		d1 := a[i+1] - b[i+1]
		d2 := a[i+2] - b[i+2]
		d3 := a[i+3] - b[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// distance is the metric's distance with the vek32 kernels; smaller is
// closer.
func distance(m Metric, a, b []float32) float32 {
	switch m {
	case Cosine:
		return 1 - vek32.Dot(a, b)
	case Dot:
		return -vek32.Dot(a, b)
	default:
		d := vek32.Distance(a, b)
		return d * d
	}
}

// distanceGo is distance with the pure-Go reference kernels.
func distanceGo(m Metric, a, b []float32) float32 {
	switch m {
	case Cosine:
		return 1 - dotGo(a, b)
	case Dot:
		return -dotGo(a, b)
	default:
		return squaredL2Go(a, b)
	}
}

// Distance returns the graph metric's distance between a and b (smaller is
// closer): 1-a·b for Cosine, -a·b for Dot, squared euclidean for L2. a and b
// must both have Dim() components; Distance panics otherwise. Safe for
// concurrent use.
func (g *Graph) Distance(a, b []float32) float32 {
	if len(a) != g.dim || len(b) != g.dim {
		panic("index: Distance: vector length differs from the graph dimension")
	}
	return distance(g.metric, a, b)
}
