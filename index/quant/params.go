package quant

import (
	"encoding/binary"
	"hash/crc32"
	"math"
)

// paramsVersion is the first byte of MarshalBinary's output.
const paramsVersion = 1

// paramsHeader is the fixed prefix: version, scheme, metric, a zero byte,
// dim (uint32 little-endian).
const paramsHeader = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes the parameters (encoding.BinaryMarshaler), all
// integers and float32 bits little-endian:
//
//	byte 0     version (1)
//	byte 1     scheme (1 symmetric, 2 per-dimension)
//	byte 2     metric (0 cosine, 1 dot, 2 l2)
//	byte 3     0
//	bytes 4-7  dim, uint32
//	symmetric:      bound, float32                      (4 bytes)
//	per-dimension:  a[0..dim), then b[0..dim), float32  (8·dim bytes)
//	last 4     CRC-32C (Castagnoli) of every byte before it
//
// It never fails. O(dim).
func (q *Int8) MarshalBinary() ([]byte, error) {
	n := paramsHeader + 4
	if q.scheme == PerDimension {
		n = paramsHeader + 8*q.dim
	}
	out := make([]byte, n, n+4)
	out[0], out[1], out[2] = paramsVersion, byte(q.scheme), byte(q.metric)
	binary.LittleEndian.PutUint32(out[4:], uint32(q.dim))
	if q.scheme == Symmetric {
		binary.LittleEndian.PutUint32(out[8:], math.Float32bits(q.bound))
	} else {
		for i := range q.dim {
			binary.LittleEndian.PutUint32(out[8+4*i:], math.Float32bits(q.scale[i]))
			binary.LittleEndian.PutUint32(out[8+4*(q.dim+i):], math.Float32bits(q.offset[i]))
		}
	}
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli)), nil
}

// UnmarshalBinary decodes MarshalBinary's output into q, replacing its
// contents (encoding.BinaryUnmarshaler). Damaged input (a wrong checksum,
// length, version, scheme, metric or dimension, a scale that is negative or
// not finite, an offset beyond MaxComponent) returns an error wrapping
// ErrCorrupt and leaves q unchanged; it never panics. O(len(data)). Not safe
// for concurrent use with other methods of q (it is the one mutator).
func (q *Int8) UnmarshalBinary(data []byte) error {
	if len(data) < paramsHeader+8 {
		return corruptf("%d bytes, want at least %d", len(data), paramsHeader+8)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return corruptf("checksum %08x, stored %08x", got, sum)
	}
	if body[0] != paramsVersion {
		return corruptf("version %d, want %d", body[0], paramsVersion)
	}
	s, m := Scheme(body[1]), Metric(body[2])
	if !s.valid() || !m.Valid() || body[3] != 0 {
		return corruptf("scheme %d, metric %d, reserved byte %d", body[1], body[2], body[3])
	}
	dim64 := uint64(binary.LittleEndian.Uint32(body[4:]))
	if dim64 < 1 || dim64 > MaxKernelLen {
		return corruptf("dimension %d, want 1..%d", dim64, MaxKernelLen)
	}
	dim := int(dim64)
	want := paramsHeader + 4
	if s == PerDimension {
		want = paramsHeader + 8*dim
	}
	if len(body) != want {
		return corruptf("%d bytes for %s dimension %d, want %d", len(data), s, dim, want+4)
	}
	f := func(i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(body[paramsHeader+4*i:])) }
	if s == Symmetric {
		b := f(0)
		if !(b > 0 && b <= MaxComponent) {
			return corruptf("symmetric bound %v", b)
		}
		n, err := NewSymmetric(dim, m, b)
		if err != nil {
			return corruptf("%v", err)
		}
		*q = *n
		return nil
	}
	n := &Int8{metric: m, scheme: s, dim: dim, scale: make([]float32, dim), offset: make([]float32, dim)}
	for i := range dim {
		a, b := f(i), f(dim+i)
		if !(a >= 0 && a <= MaxComponent) || !(b >= -MaxComponent && b <= MaxComponent) {
			return corruptf("dimension %d: scale %v, offset %v", i, a, b)
		}
		n.scale[i], n.offset[i] = a, b
	}
	n.derive()
	*q = *n
	return nil
}
