package quant

import (
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// MaxComponent bounds the magnitude of every component Train, Encode and
// PrepareQuery accept (and of the offsets UnmarshalBinary accepts). Up to it,
// every correction term (a sum of up to MaxKernelLen squares of twice
// MaxComponent) stays finite in float32.
const MaxComponent = 1e15

// Scheme is how an Int8 maps float32 components to int8 codes. Both are
// affine per component: x[i] ≈ a[i]·q[i] + b[i] with q[i] in -127..127.
type Scheme uint8

const (
	// Symmetric uses one scale for every component and no offset
	// (USearch's i8): a[i] = bound/127, b[i] = 0, where bound is the
	// largest magnitude kept. For unit vectors bound 1 clips nothing, so it
	// needs no training (Default).
	Symmetric Scheme = 1
	// PerDimension learns a range [lo_i, hi_i] for every dimension from
	// data (Qdrant's scalar quantization, per dimension): a[i] =
	// (hi_i-lo_i)/254, b[i] = (hi_i+lo_i)/2.
	PerDimension Scheme = 2
)

// String returns "symmetric" or "per-dimension".
func (s Scheme) String() string {
	switch s {
	case Symmetric:
		return "symmetric"
	case PerDimension:
		return "per-dimension"
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

func (s Scheme) valid() bool { return s == Symmetric || s == PerDimension }

// Int8 holds INT8 scalar-quantization parameters for one dimension and
// metric, and computes distances between codes and queries. Make one with
// Default, NewSymmetric, Train or UnmarshalBinary; the zero value is not
// usable. An Int8 is immutable once made: all its methods except
// UnmarshalBinary are safe for concurrent use.
//
// # Codes
//
// Encode turns a vector x into Dim int8 codes q and one float32 correction
// term; the graph stores both (Dim+4 bytes a vector). The decoded vector is
// x̂[i] = a[i]·q[i] + b[i]. Distances are computed on x̂, as below, with
// one integer kernel call and a few float operations.
//
// # Query against code (asymmetric)
//
// PrepareQuery quantizes the exact query y once per search, at the query's
// own scale: with u[i] the weights below, c = max|u[i]|/127 and
// w[i] = round(u[i]/c), so that Σ q[i]·u[i] ≈ c·Σ q[i]·w[i] = c·DotInt8(q, w).
//
// Dot and cosine:
//
//	x̂·y = Σ (a[i]q[i] + b[i])·y[i] = Σ q[i]·(a[i]y[i]) + Σ b[i]y[i]
//	    ≈ c·DotInt8(q, w) + g,   u[i] = a[i]y[i],  g = Σ b[i]y[i] (per query)
//
// L2:
//
//	‖x̂-y‖² = Σ (a[i]q[i] + (b[i]-y[i]))²
//	       = Σ (a[i]q[i])² + 2·Σ q[i]·a[i](b[i]-y[i]) + Σ (b[i]-y[i])²
//	       ≈ e + 2c·DotInt8(q, w) + g,   u[i] = a[i](b[i]-y[i]),
//	  e = Σ (a[i]q[i])² (the code's correction term), g = Σ (b[i]-y[i])².
//
// # Code against code (symmetric, as the graph's neighbour selection needs)
//
// When every a[i] is the same a (Symmetric, always), the products expand
// into one integer kernel plus per-vector terms:
//
//	x̂·ŷ = Σ (a q[i] + b[i])(a r[i] + b[i])
//	    = a²·DotInt8(q, r) + e_q + e_r + Σ b[i]²,   e_q = a·Σ b[i]q[i]
//	‖x̂-ŷ‖² = a²·SquaredL2Int8(q, r)   (the offsets cancel)
//
// where e_q is the correction term Encode returns for dot and cosine (in
// general Σ a[i]b[i]q[i], which is a·Σ b[i]q[i] here). With per-dimension
// scales, a²·q·r becomes Σ a[i]²q[i]r[i], a weighted sum the
// integer kernels cannot do; CodeDistance then runs a float loop (7-16× an
// FP32 distance, see doc.go), and Distance (query against code), the
// search's hot path, keeps its one kernel call.
//
// Components outside the trained range are clipped to -127 or 127; the
// exact rescoring of the final candidates repairs the ranking.
type Int8 struct {
	metric Metric
	scheme Scheme
	dim    int
	bound  float32   // Symmetric: the largest magnitude kept
	scale  []float32 // a[i]
	offset []float32 // b[i]
	// derived from the above
	inv     []float32 // 1/a[i], 0 where a[i] == 0
	a2      []float32 // a[i]², PerDimension only
	uniform bool      // all a[i] equal (a holds the common value)
	a       float32   // the common a[i] when uniform
	bb      float32   // Σ b[i]²
}

// Default returns the parameters a collection filled one upsert at a time
// starts with, before any training: Symmetric with bound 1. For cosine
// (unit vectors, every |x[i]| <= 1) it clips nothing and needs no data; for
// dot and L2 it clips components beyond ±1. A bulk build or compact should
// replace it with Train on the collection's vectors. Errors as NewSymmetric.
// O(dim).
func Default(dim int, m Metric) (*Int8, error) {
	return NewSymmetric(dim, m, 1)
}

// NewSymmetric returns Symmetric parameters keeping magnitudes up to bound
// (a[i] = bound/127). It returns an error wrapping ErrParams for a dimension
// outside 1..MaxKernelLen, an invalid metric, or a bound that is not finite
// and in (0, MaxComponent]. O(dim).
func NewSymmetric(dim int, m Metric, bound float32) (*Int8, error) {
	if err := checkShape(dim, m); err != nil {
		return nil, err
	}
	if !(bound > 0 && bound <= MaxComponent) {
		return nil, paramsf("symmetric bound %v, want a finite value in (0, %g]", bound, MaxComponent)
	}
	q := &Int8{metric: m, scheme: Symmetric, dim: dim, bound: bound}
	q.scale = make([]float32, dim)
	q.offset = make([]float32, dim)
	for i := range q.scale {
		q.scale[i] = bound / 127
	}
	q.derive()
	return q, nil
}

func checkShape(dim int, m Metric) error {
	if dim < 1 || dim > MaxKernelLen {
		return paramsf("dimension %d, want 1..%d", dim, MaxKernelLen)
	}
	if !m.Valid() {
		return paramsf("metric %d, want cosine, dot or l2", uint8(m))
	}
	return nil
}

// derive fills the derived fields from metric, scheme, dim, scale, offset.
func (q *Int8) derive() {
	q.inv = make([]float32, q.dim)
	q.uniform = true
	q.a = q.scale[0]
	var bb float64
	for i, a := range q.scale {
		if a != 0 {
			q.inv[i] = 1 / a
		}
		if a != q.a {
			q.uniform = false
		}
		bb += float64(q.offset[i]) * float64(q.offset[i])
	}
	q.bb = float32(bb)
	q.a2 = nil
	if !q.uniform {
		q.a2 = make([]float32, q.dim)
		for i, a := range q.scale {
			q.a2[i] = a * a
		}
	}
}

// Metric returns the metric the parameters were made for.
func (q *Int8) Metric() Metric { return q.metric }

// Scheme returns Symmetric or PerDimension.
func (q *Int8) Scheme() Scheme { return q.scheme }

// Dim returns the vector dimension.
func (q *Int8) Dim() int { return q.dim }

// String describes the parameters for logs and stats, e.g.
// "int8 symmetric bound=1 dim=100 cosine".
func (q *Int8) String() string {
	if q.scheme == Symmetric {
		return fmt.Sprintf("int8 symmetric bound=%g dim=%d %s", q.bound, q.dim, q.metric)
	}
	return fmt.Sprintf("int8 per-dimension dim=%d %s", q.dim, q.metric)
}

// checkVector returns a *DimensionError or *ValueError for v.
func checkVector(v []float32, dim int, what string) error {
	if len(v) != dim {
		return &DimensionError{What: what, Got: len(v), Want: dim}
	}
	for i, x := range v {
		if err := checkComponent(i, x); err != nil {
			return err
		}
	}
	return nil
}

func checkComponent(i int, x float32) error {
	switch {
	case x != x:
		return &ValueError{Index: i, Value: x, Why: "NaN"}
	case math.IsInf(float64(x), 0):
		return &ValueError{Index: i, Value: x, Why: "infinite"}
	case x > MaxComponent || x < -MaxComponent:
		return &ValueError{Index: i, Value: x, Why: "beyond ±MaxComponent"}
	}
	return nil
}

// Encode writes the codes of v into dst (both of length Dim) and returns
// v's correction term: Σ (a[i]q[i])² for L2, Σ a[i]b[i]q[i] for dot and
// cosine (0 under Symmetric). Components beyond the trained range are
// clipped. It
// returns a *DimensionError for a wrong length and a *ValueError for a NaN,
// infinite or beyond-MaxComponent component, writing nothing then. O(Dim),
// safe for concurrent use on distinct dst.
func (q *Int8) Encode(dst []int8, v []float32) (corr float32, err error) {
	if len(dst) != q.dim {
		return 0, &DimensionError{What: "dst", Got: len(dst), Want: q.dim}
	}
	if err := checkVector(v, q.dim, "vector"); err != nil {
		return 0, err
	}
	for i, x := range v {
		dst[i] = quantize((x - q.offset[i]) * q.inv[i])
	}
	return q.correction(dst), nil
}

// correction returns a code's correction term (see Encode).
func (q *Int8) correction(code []int8) float32 {
	var e float64
	for i, c := range code {
		if q.metric == L2 {
			d := float64(q.scale[i]) * float64(c)
			e += d * d
		} else {
			e += float64(q.scale[i]) * float64(q.offset[i]) * float64(c)
		}
	}
	return float32(e)
}

// CheckCode reports whether a stored code and its correction term can have
// come from Encode under these parameters: the length is Dim, no component
// is -128 (Encode never writes it), and corr equals the term recomputed from
// the code, bit for bit. A mismatch returns an error wrapping ErrCorrupt
// naming what differs; it catches damaged correction terms and codes read
// with the wrong parameters, not every damaged code byte. O(Dim), safe for
// concurrent use.
func (q *Int8) CheckCode(code []int8, corr float32) error {
	if len(code) != q.dim {
		return corruptf("int8 code has %d components, want %d", len(code), q.dim)
	}
	for i, c := range code {
		if c == -128 {
			return corruptf("int8 code component %d is -128", i)
		}
	}
	if want := q.correction(code); math.Float32bits(want) != math.Float32bits(corr) {
		return corruptf("int8 correction term %v, recomputed %v", corr, want)
	}
	return nil
}

// quantize rounds to the nearest integer (ties to even) and clips to
// -127..127. NaN, which only 0·Inf can produce (a component equal to its
// offset times the inverse of a subnormal scale), is 0.
func quantize(x float32) int8 {
	switch {
	case x != x:
		return 0
	case x >= 127:
		return 127
	case x <= -127:
		return -127
	}
	return int8(math.RoundToEven(float64(x)))
}

// Decode writes the decoded vector x̂[i] = a[i]·code[i] + b[i] into dst. It
// panics unless len(code) == len(dst) == Dim. O(Dim).
func (q *Int8) Decode(dst []float32, code []int8) {
	if len(code) != q.dim || len(dst) != q.dim {
		panic("quant: Int8.Decode: wrong length")
	}
	for i, c := range code {
		dst[i] = q.scale[i]*float32(c) + q.offset[i]
	}
}

// Query is a query prepared by Int8.PrepareQuery for one search: its int8
// weights and two scalars. Reuse one per goroutine to avoid allocation; a
// Query is not safe for concurrent mutation, but any number of goroutines
// may read one in Distance.
type Query struct {
	w    []int8
	c, g float32
	of   *Int8
}

// PrepareQuery quantizes the exact query y (length Dim) into dst, reusing
// dst's buffer; see Int8 for the algebra. It returns a *DimensionError or
// *ValueError for bad input (as Encode). O(Dim); allocates only when dst's
// buffer is too small.
func (q *Int8) PrepareQuery(dst *Query, y []float32) error {
	if err := checkVector(y, q.dim, "query"); err != nil {
		return err
	}
	if cap(dst.w) < q.dim {
		dst.w = make([]int8, q.dim)
	}
	dst.w = dst.w[:q.dim]
	dst.of = q
	// First pass: the weights u[i] (kept in nothing: recomputed below, as
	// cheap as a load) and their largest magnitude, and g.
	var umax float32
	var g float64
	if q.metric == L2 {
		for i, y := range y {
			d := q.offset[i] - y
			umax = max(umax, abs32(q.scale[i]*d))
			g += float64(d) * float64(d)
		}
	} else {
		for i, y := range y {
			umax = max(umax, abs32(q.scale[i]*y))
			g += float64(q.offset[i]) * float64(y)
		}
	}
	dst.g = float32(g)
	dst.c = umax / 127
	if umax == 0 {
		clear(dst.w)
		return nil
	}
	inv := 127 / umax
	if q.metric == L2 {
		for i, y := range y {
			dst.w[i] = quantize(q.scale[i] * (q.offset[i] - y) * inv)
		}
	} else {
		for i, y := range y {
			dst.w[i] = quantize(q.scale[i] * y * inv)
		}
	}
	return nil
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// Distance returns the metric's approximate distance (smaller is closer:
// 1-x̂·y, -x̂·y or ‖x̂-y‖²) between the prepared query and a code with its
// correction term from Encode. It panics if len(code) != Dim or if qr was
// prepared by other parameters. O(Dim): one DotInt8 call.
func (q *Int8) Distance(qr *Query, code []int8, corr float32) float32 {
	if qr.of != q {
		panic("quant: Int8.Distance: query prepared by other parameters")
	}
	ip := qr.c * float32(DotInt8(qr.w, code))
	switch q.metric {
	case Cosine:
		return 1 - (ip + qr.g)
	case Dot:
		return -(ip + qr.g)
	default:
		return corr + 2*ip + qr.g
	}
}

// Distances sets out[i] to Distance(qr, codes[i], corrs[i]) for every
// i < len(codes), bit for bit, with one batch kernel call (DotInt8Batch)
// instead of one call per code: a graph search's neighbours of one node.
// It panics if a code's length is not Dim, if out or corrs is shorter
// than codes, or if qr was prepared by other parameters. O(len(codes)·Dim);
// safe for concurrent use with distinct out; allocates nothing.
func (q *Int8) Distances(out []float32, qr *Query, codes [][]int8, corrs []float32) {
	if qr.of != q {
		panic("quant: Int8.Distances: query prepared by other parameters")
	}
	n := len(codes)
	if len(out) < n || len(corrs) < n {
		panic("quant: Int8.Distances: out or corrs shorter than codes")
	}
	if n == 0 {
		return
	}
	// The integer dot products go into out's memory (int32 and float32
	// have one size), each read before its slot is overwritten.
	dots := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(out))), n)
	DotInt8Batch(dots, qr.w, codes)
	out, corrs = out[:n], corrs[:n]
	switch q.metric {
	case Cosine:
		for i := range out {
			ip := qr.c * float32(dots[i])
			out[i] = 1 - (ip + qr.g)
		}
	case Dot:
		for i := range out {
			ip := qr.c * float32(dots[i])
			out[i] = -(ip + qr.g)
		}
	default:
		for i := range out {
			ip := qr.c * float32(dots[i])
			out[i] = corrs[i] + 2*ip + qr.g
		}
	}
}

// CodeDistance returns the metric's distance between two decoded codes x̂
// and ŷ, given their correction terms from Encode (see Int8). It panics if
// a code's length is not Dim. O(Dim): one integer kernel call under
// Symmetric, a float loop under PerDimension.
func (q *Int8) CodeDistance(x []int8, cx float32, y []int8, cy float32) float32 {
	if len(x) != q.dim || len(y) != q.dim {
		panic("quant: Int8.CodeDistance: wrong length")
	}
	if q.metric == L2 {
		if q.uniform {
			return q.a * q.a * float32(SquaredL2Int8(x, y))
		}
		return weightedL2(q.a2, x, y)
	}
	var ip float32
	if q.uniform {
		ip = q.a * q.a * float32(DotInt8(x, y))
	} else {
		ip = weightedDot(q.a2, x, y)
	}
	ip += cx + cy + q.bb
	if q.metric == Cosine {
		return 1 - ip
	}
	return -ip
}

// weightedDot returns Σ w[i]·x[i]·y[i] with 4 float32 accumulators.
func weightedDot(w []float32, x, y []int8) float32 {
	x, y = x[:len(w)], y[:len(w)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(w); i += 4 {
		s0 += w[i] * float32(int32(x[i])*int32(y[i]))
		s1 += w[i+1] * float32(int32(x[i+1])*int32(y[i+1]))
		s2 += w[i+2] * float32(int32(x[i+2])*int32(y[i+2]))
		s3 += w[i+3] * float32(int32(x[i+3])*int32(y[i+3]))
	}
	for ; i < len(w); i++ {
		s0 += w[i] * float32(int32(x[i])*int32(y[i]))
	}
	return (s0 + s1) + (s2 + s3)
}

// weightedL2 returns Σ w[i]·(x[i]-y[i])² with 4 float32 accumulators.
func weightedL2(w []float32, x, y []int8) float32 {
	x, y = x[:len(w)], y[:len(w)]
	sq := func(a, b int8) float32 { d := int32(a) - int32(b); return float32(d * d) }
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(w); i += 4 {
		s0 += w[i] * sq(x[i], y[i])
		s1 += w[i+1] * sq(x[i+1], y[i+1])
		s2 += w[i+2] * sq(x[i+2], y[i+2])
		s3 += w[i+3] * sq(x[i+3], y[i+3])
	}
	for ; i < len(w); i++ {
		s0 += w[i] * sq(x[i], y[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// TrainOptions tunes Train. The zero value means the documented defaults.
type TrainOptions struct {
	// Scheme is Symmetric or PerDimension; 0 means DefaultScheme.
	Scheme Scheme
	// Quantile is the fraction of training components kept inside the
	// range: per dimension the range is [q_(1-Quantile)/2, q_(1+Quantile)/2]
	// for PerDimension, and the bound the Quantile-th quantile of |x| for
	// Symmetric. 0 means 1: the range is min/max and nothing in the training
	// data is clipped. Valid values are in [0.5, 1].
	Quantile float64
}

// DefaultScheme is the scheme Train uses when TrainOptions.Scheme is 0,
// chosen by the GloVe measurement in doc.go.
const DefaultScheme = PerDimension

// Train learns INT8 parameters for metric m from vectors, each of length
// dim: the collection or a sample of it (on GloVe a 10% sample does as well
// as the whole, doc.go). It refuses
// an empty set, a wrong length (*DimensionError) and NaN, infinite or
// beyond-MaxComponent components (*ValueError), each wrapped with the
// vector's position, so bad input cannot corrupt the parameters; other bad
// arguments wrap ErrParams. O(n·dim) for min/max, O(n·dim·log n) with a
// Quantile below 1 (a sort per dimension); allocates O(n) per dimension
// then. Safe for concurrent use; it does not keep vectors.
func Train(dim int, m Metric, vectors [][]float32, opts TrainOptions) (*Int8, error) {
	if err := checkShape(dim, m); err != nil {
		return nil, err
	}
	if opts.Scheme == 0 {
		opts.Scheme = DefaultScheme
	}
	if !opts.Scheme.valid() {
		return nil, paramsf("scheme %d, want symmetric or per-dimension", uint8(opts.Scheme))
	}
	if opts.Quantile == 0 {
		opts.Quantile = 1
	}
	if !(opts.Quantile >= 0.5 && opts.Quantile <= 1) {
		return nil, paramsf("quantile %v, want a value in [0.5, 1]", opts.Quantile)
	}
	if len(vectors) == 0 {
		return nil, paramsf("no training vectors")
	}
	for i, v := range vectors {
		if err := checkVector(v, dim, "vector"); err != nil {
			return nil, fmt.Errorf("quant: training vector %d: %w", i, err)
		}
	}
	if opts.Scheme == Symmetric {
		bound := symmetricBound(vectors, opts.Quantile)
		if bound == 0 {
			bound = 1 // all zeros: any bound decodes them exactly
		}
		return NewSymmetric(dim, m, bound)
	}
	q := &Int8{metric: m, scheme: PerDimension, dim: dim,
		scale: make([]float32, dim), offset: make([]float32, dim)}
	col := make([]float32, 0, len(vectors))
	for i := range dim {
		var lo, hi float32
		if opts.Quantile == 1 {
			lo, hi = vectors[0][i], vectors[0][i]
			for _, v := range vectors {
				lo, hi = min(lo, v[i]), max(hi, v[i])
			}
		} else {
			col = col[:0]
			for _, v := range vectors {
				col = append(col, v[i])
			}
			slices.Sort(col)
			lo = col[quantileIndex(len(col), (1-opts.Quantile)/2)]
			hi = col[quantileIndex(len(col), (1+opts.Quantile)/2)]
		}
		q.offset[i] = float32((float64(lo) + float64(hi)) / 2)
		q.scale[i] = float32((float64(hi) - float64(lo)) / 254)
	}
	q.derive()
	return q, nil
}

// quantileIndex returns the index of the p-quantile in a sorted slice of n.
func quantileIndex(n int, p float64) int {
	return min(n-1, max(0, int(math.Round(p*float64(n-1)))))
}

// symmetricBound returns the p-quantile of |x| over all components.
func symmetricBound(vectors [][]float32, p float64) float32 {
	if p == 1 {
		var m float32
		for _, v := range vectors {
			for _, x := range v {
				m = max(m, abs32(x))
			}
		}
		return m
	}
	all := make([]float32, 0, len(vectors)*len(vectors[0]))
	for _, v := range vectors {
		for _, x := range v {
			all = append(all, abs32(x))
		}
	}
	slices.Sort(all)
	return all[quantileIndex(len(all), p)]
}
