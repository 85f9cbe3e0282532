package store

import (
	"math"
	"slices"
	"testing"
)

// TestVectorCodecPaths checks the unsafe little-endian fast path against
// the portable encoding/binary path, which big-endian hosts use.
func TestVectorCodecPaths(t *testing.T) {
	vecs := [][]float32{
		nil,
		{0},
		{1, -2.5, float32(math.Inf(-1)), math.SmallestNonzeroFloat32, math.MaxFloat32, float32(math.Copysign(0, -1))},
	}
	saved := littleEndian
	defer func() { littleEndian = saved }()
	for _, v := range vecs {
		littleEndian = saved
		fast := encodeVector(v)
		littleEndian = false
		slow := encodeVector(v)
		if !slices.Equal(fast, slow) {
			t.Fatalf("encode %v: fast %x, portable %x", v, fast, slow)
		}
		for _, le := range []bool{saved, false} {
			littleEndian = le
			got := make([]float32, len(v))
			decodeVector(got, slow)
			for i := range v {
				if math.Float32bits(got[i]) != math.Float32bits(v[i]) {
					t.Fatalf("decode (fast=%v) of %v gave %v", le, v, got)
				}
			}
		}
	}
}
