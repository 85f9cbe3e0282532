package quant_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/vecbolt/vecbolt/index/quant"
)

// halfValue computes the value of non-negative half bits 0..0x7c00 from the
// IEEE definition, in float64 (0x7c00 gives 65536, the next value after the
// largest finite half, which is where rounding to Inf starts).
func halfValue(bits uint16) float64 {
	e, m := int(bits>>10), float64(bits&0x3ff)
	if e == 0 {
		return math.Ldexp(m, -24)
	}
	return math.Ldexp(1024+m, e-25)
}

var halfTable = func() []float64 {
	t := make([]float64, 0x7c01)
	for b := range t {
		t[b] = halfValue(uint16(b))
	}
	return t
}()

// refHalf rounds f to the nearest half, ties to the even bit pattern, by a
// search in the table of all half values (no bit tricks).
func refHalf(f float32) uint16 {
	x := float64(f)
	var sign uint16
	if math.Signbit(x) {
		sign, x = 0x8000, -x
	}
	if math.IsInf(x, 0) || x >= 65536 {
		return sign | 0x7c00
	}
	i := sort.SearchFloat64s(halfTable, x) // first >= x
	if i < len(halfTable) && halfTable[i] == x {
		return sign | uint16(i)
	}
	lo, hi := i-1, i
	dl, dh := x-halfTable[lo], halfTable[hi]-x
	switch {
	case dl < dh:
		return sign | uint16(lo)
	case dh < dl:
		return sign | uint16(hi)
	case lo%2 == 0:
		return sign | uint16(lo)
	}
	return sign | uint16(hi)
}

func checkHalf(t *testing.T, f float32) {
	t.Helper()
	got := quant.FromFloat32(f)
	if f != f {
		if got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
			t.Fatalf("FromFloat32(NaN %08x) = %04x, not a NaN", math.Float32bits(f), got)
		}
		return
	}
	if want := refHalf(f); got != want {
		t.Fatalf("FromFloat32(%g = %08x) = %04x, want %04x", f, math.Float32bits(f), got, want)
	}
}

func TestHalfRoundTripAll(t *testing.T) {
	for b := 0; b < 1<<16; b++ {
		h := uint16(b)
		f := quant.ToFloat32(h)
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			if f == f {
				t.Fatalf("ToFloat32(%04x) = %g, want NaN", h, f)
			}
			continue
		}
		want := halfValue(h &^ 0x8000)
		if h&0x7fff == 0x7c00 {
			want = math.Inf(1)
		}
		if h&0x8000 != 0 {
			want = -want
		}
		if float64(f) != want || math.Signbit(float64(f)) != (h&0x8000 != 0) {
			t.Fatalf("ToFloat32(%04x) = %g, want %g", h, f, want)
		}
		if back := quant.FromFloat32(f); back != h {
			t.Fatalf("FromFloat32(ToFloat32(%04x)) = %04x", h, back)
		}
	}
}

func TestFromFloat32Rounding(t *testing.T) {
	// Every midpoint between adjacent halves, and its float32 neighbours
	// (every 17th under -short and -race).
	step := 1
	if testing.Short() || raceEnabled {
		step = 17
	}
	for b := 0; b < 0x7c00; b += step {
		mid := float32((halfTable[b] + halfTable[b+1]) / 2)
		for _, f := range []float32{mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 1e9)} {
			checkHalf(t, f)
			checkHalf(t, -f)
		}
	}
	special := []float32{0, float32(math.Copysign(0, -1)), 65504, 65519.996, 65520, 65536, 1e10, math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		0x1p-24, 0x1p-25, 0x1.000002p-25, 0x1p-26, 0x1.8p-24, 0x1.4p-24, 0x1p-14, 0x1.ff8p-15, 1e-45}
	for _, f := range special {
		checkHalf(t, f)
		checkHalf(t, -f)
	}
	r := rand.New(rand.NewPCG(7, 8))
	n := 200000
	if testing.Short() || raceEnabled {
		n = 5000
	}
	for range n {
		checkHalf(t, math.Float32frombits(r.Uint32()))
		checkHalf(t, float32(r.NormFloat64()*math.Pow(2, float64(r.IntN(50)-30))))
	}
}

func TestEncodeFP16(t *testing.T) {
	v := []float32{1, -2.5, 65504, 65519, -65519, 1e-8, 0.1}
	dst := make([]uint16, len(v))
	if err := quant.EncodeFP16(dst, v); err != nil {
		t.Fatal(err)
	}
	back := make([]float32, len(v))
	quant.DecodeFP16(back, dst)
	for i := range v {
		if back[i] != quant.ToFloat32(refHalf(v[i])) {
			t.Errorf("component %d: %g round-trips to %g", i, v[i], back[i])
		}
	}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 65520, -65520, 1e9} {
		err := quant.EncodeFP16(make([]uint16, 3), []float32{0, bad, 1})
		var ve *quant.ValueError
		if !errors.Is(err, quant.ErrValue) || !errors.As(err, &ve) || ve.Index != 1 {
			t.Errorf("EncodeFP16 with %g: err = %v, want a *ValueError at index 1", bad, err)
		}
	}
	if err := quant.EncodeFP16(make([]uint16, 2), v); !errors.Is(err, quant.ErrDimension) {
		t.Errorf("short dst: err = %v, want ErrDimension", err)
	}
}

func FuzzFromFloat32(f *testing.F) {
	for _, x := range []uint32{0, 0x3f800000, 0x477fe000, 0x477ff000, 0x33000000, 0x33000001, 0x7fc00000, 0xff800000} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		x := math.Float32frombits(bits)
		checkHalf(t, x)
		h := quant.FromFloat32(x)
		if h&0x7c00 != 0x7c00 {
			// A finite half decodes to the nearest value: no half is closer.
			back := float64(quant.ToFloat32(h))
			if math.Abs(back-float64(x)) > math.Abs(float64(x))*0x1p-11+0x1p-25 {
				t.Fatalf("%g -> %g: error beyond half an ulp", x, back)
			}
		}
	})
}
