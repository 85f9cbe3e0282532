package quant

import "math"

// MaxFP16 is the largest finite half-precision value. EncodeFP16 refuses
// components whose magnitude rounds beyond it (|x| >= 65520).
const MaxFP16 = 65504

// FromFloat32 converts f to IEEE 754 binary16 bits, rounding to nearest,
// ties to even. Magnitudes that round beyond MaxFP16 become ±Inf, values
// below half the smallest subnormal (2^-25) become ±0, subnormals are
// produced exactly as IEEE specifies, and NaN stays a (quiet) NaN. It is
// the unchecked conversion; EncodeFP16 refuses what would not round-trip.
// O(1), safe for concurrent use.
func FromFloat32(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant == 0 {
			return sign | 0x7c00
		}
		return sign | 0x7e00 | uint16(mant>>13)
	}
	e := exp - 127 + 15 // biased half exponent
	if e >= 31 {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal half (or zero): value = m * 2^(exp-150) with the
		// implicit bit; the half unit is 2^-24, so shift by 14-e.
		if e < -10 {
			return sign // below 2^-25: rounds to zero
		}
		m := mant | 0x800000
		shift := uint(14 - e)
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++ // may carry into the smallest normal: correct
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, up to Inf: correct
	}
	return sign | uint16(h)
}

// ToFloat32 converts IEEE 754 binary16 bits to float32 exactly (every half
// is a float32). NaN payloads are kept in the top mantissa bits. O(1), safe
// for concurrent use.
func ToFloat32(h uint16) float32 {
	if h&0x7c00 == 0x7c00 { // Inf or NaN
		return math.Float32frombits(uint32(h&0x8000)<<16 | 0x7f800000 | uint32(h&0x3ff)<<13)
	}
	// Shift exponent and mantissa into float32 position, then rebias the
	// exponent by 2^(127-15) with one exact multiply; the same multiply
	// normalises subnormal halves.
	f := math.Float32frombits(uint32(h&0x7fff)<<13) * 0x1p112
	return math.Float32frombits(math.Float32bits(f) | uint32(h&0x8000)<<16)
}

// EncodeFP16 writes v in half precision into dst, which must have len(v)
// components. It refuses NaN, infinite and overflowing components (those
// that would round to ±Inf, |x| >= 65520) with a *ValueError naming the
// first one, and then dst is partly written; it never produces Inf or NaN.
// Components below the half range round to subnormals or zero. O(len(v)),
// safe for concurrent use on distinct dst.
func EncodeFP16(dst []uint16, v []float32) error {
	if len(dst) != len(v) {
		return &DimensionError{What: "dst", Got: len(dst), Want: len(v)}
	}
	for i, x := range v {
		h := FromFloat32(x)
		if h&0x7c00 == 0x7c00 {
			return &ValueError{Index: i, Value: x, Why: fp16Why(x)}
		}
		dst[i] = h
	}
	return nil
}

func fp16Why(x float32) string {
	switch {
	case x != x:
		return "NaN"
	case math.IsInf(float64(x), 0):
		return "infinite"
	}
	return "beyond the fp16 range (±65504)"
}

// CheckFP16 reports a stored half-precision vector that EncodeFP16 cannot
// have written: an Inf or NaN component returns an error wrapping
// ErrCorrupt naming it. O(len(code)), safe for concurrent use.
func CheckFP16(code []uint16) error {
	for i, h := range code {
		if h&0x7c00 == 0x7c00 {
			return corruptf("fp16 component %d is %v", i, ToFloat32(h))
		}
	}
	return nil
}

// DecodeFP16 writes the float32 values of src into dst; it panics if
// len(dst) < len(src). O(len(src)), safe for concurrent use on distinct
// dst.
func DecodeFP16(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = ToFloat32(h)
	}
}

// DotFP16 returns Σ q[i]·c[i] with c in half precision, accumulated in
// float32 (F16C + FMA on amd64 when the CPU has them, pure Go elsewhere;
// see Kernels). q and c must have the same length; DotFP16 panics
// otherwise. O(len(q)), safe for concurrent use.
func DotFP16(q []float32, c []uint16) float32 {
	if len(q) != len(c) {
		panic("quant: DotFP16: lengths differ")
	}
	if len(q) == 0 {
		return 0
	}
	return kern.dotF16(q, c)
}

// SquaredL2FP16 returns Σ (q[i]-c[i])² with c in half precision, as
// DotFP16. It panics if the lengths differ. O(len(q)), safe for concurrent
// use.
func SquaredL2FP16(q []float32, c []uint16) float32 {
	if len(q) != len(c) {
		panic("quant: SquaredL2FP16: lengths differ")
	}
	if len(q) == 0 {
		return 0
	}
	return kern.l2F16(q, c)
}

// DistanceFP16 returns m's distance (smaller is closer: 1-q·c, -q·c or
// Σ(q-c)²) between the exact query q and the half-precision vector c. It
// panics if the lengths differ. O(len(q)), safe for concurrent use.
func DistanceFP16(m Metric, q []float32, c []uint16) float32 {
	switch m {
	case Cosine:
		return 1 - DotFP16(q, c)
	case Dot:
		return -DotFP16(q, c)
	default:
		return SquaredL2FP16(q, c)
	}
}

// DistanceFP16Codes returns m's distance between two half-precision vectors
// (for the graph's neighbour selection over stored codes), accumulated in
// float32 as DistanceFP16. It panics if the lengths differ. O(len(a)), safe
// for concurrent use.
func DistanceFP16Codes(m Metric, a, b []uint16) float32 {
	if len(a) != len(b) {
		panic("quant: DistanceFP16Codes: lengths differ")
	}
	if len(a) == 0 {
		if m == Cosine {
			return 1
		}
		return 0
	}
	switch m {
	case Cosine:
		return 1 - kern.dotHalf(a, b)
	case Dot:
		return -kern.dotHalf(a, b)
	default:
		return kern.l2Half(a, b)
	}
}

func dotHalfGo(a, b []uint16) float32 {
	b = b[:len(a)]
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(a); i += 2 {
		s0 += ToFloat32(a[i]) * ToFloat32(b[i])
		s1 += ToFloat32(a[i+1]) * ToFloat32(b[i+1])
	}
	for ; i < len(a); i++ {
		s0 += ToFloat32(a[i]) * ToFloat32(b[i])
	}
	return s0 + s1
}

func l2HalfGo(a, b []uint16) float32 {
	b = b[:len(a)]
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(a); i += 2 {
		d0 := ToFloat32(a[i]) - ToFloat32(b[i])
		d1 := ToFloat32(a[i+1]) - ToFloat32(b[i+1])
		s0 += d0 * d0
		s1 += d1 * d1
	}
	for ; i < len(a); i++ {
		d := ToFloat32(a[i]) - ToFloat32(b[i])
		s0 += d * d
	}
	return s0 + s1
}

// dotF16Go is the pure-Go reference for DotFP16: 4 float32 accumulators.
func dotF16Go(q []float32, c []uint16) float32 {
	c = c[:len(q)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(q); i += 4 {
		s0 += q[i] * ToFloat32(c[i])
		s1 += q[i+1] * ToFloat32(c[i+1])
		s2 += q[i+2] * ToFloat32(c[i+2])
		s3 += q[i+3] * ToFloat32(c[i+3])
	}
	for ; i < len(q); i++ {
		s0 += q[i] * ToFloat32(c[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// l2F16Go is the pure-Go reference for SquaredL2FP16.
func l2F16Go(q []float32, c []uint16) float32 {
	c = c[:len(q)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(q); i += 4 {
		d0 := q[i] - ToFloat32(c[i])
		d1 := q[i+1] - ToFloat32(c[i+1])
		d2 := q[i+2] - ToFloat32(c[i+2])
		d3 := q[i+3] - ToFloat32(c[i+3])
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(q); i++ {
		d := q[i] - ToFloat32(c[i])
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}
