package text_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vecbolt/vecbolt/query/text"
)

// TestFitComponent2D checks the fit against the closed form: the top
// eigenvector of the symmetric matrix [[a b] [b c]] = XᵀX lies at angle
// θ = ½·atan2(2b, a − c).
func TestFitComponent2D(t *testing.T) {
	sets := [][][]float32{
		{{3, 1}, {1, 2}, {-2, -1}, {0.5, -0.25}},
		{{1, 0}, {0, 1}, {2, 0}},   // along x
		{{1, 1}, {-1, -1}, {2, 2}}, // along the diagonal
		{{-1, 3}, {1, -3.5}, {0.2, 0.1}},
	}
	for i, xs := range sets {
		var a, b, c float64
		for _, v := range xs {
			x, y := float64(v[0]), float64(v[1])
			a += x * x
			b += x * y
			c += y * y
		}
		theta := 0.5 * math.Atan2(2*b, a-c)
		comp, err := text.FitComponent(xs)
		if err != nil {
			t.Fatal(err)
		}
		u := comp.Vector()
		if dot := math.Abs(u[0]*math.Cos(theta) + u[1]*math.Sin(theta)); math.Abs(dot-1) > 1e-12 {
			t.Errorf("set %d: component %v is not along θ = %v (|cos| = %v)", i, u, theta, dot)
		}
		if comp.Fitted() != len(xs) || comp.Dim() != 2 {
			t.Errorf("set %d: Fitted %d Dim %d", i, comp.Fitted(), comp.Dim())
		}
	}
}

// powerIteration is an independent reference: the top eigenvector of XᵀX.
func powerIteration(xs [][]float32) []float64 {
	d := len(xs[0])
	v := make([]float64, d)
	for i := range v {
		v[i] = 1 / math.Sqrt(float64(d)+float64(i))
	}
	for it := 0; it < 5000; it++ {
		w := make([]float64, d)
		for _, x := range xs {
			dot := 0.0
			for j := range x {
				dot += float64(x[j]) * v[j]
			}
			for j := range x {
				w[j] += dot * float64(x[j])
			}
		}
		n := 0.0
		for _, y := range w {
			n += y * y
		}
		n = math.Sqrt(n)
		for j := range w {
			v[j] = w[j] / n
		}
	}
	return v
}

func TestFitComponentMatchesPowerIteration(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([][]float32, 60)
	for i := range xs {
		xs[i] = make([]float32, 7)
		for j := range xs[i] {
			// A common direction plus noise, as pooled word vectors have.
			xs[i][j] = float32(0.8*float64(j+1)/7 + rng.NormFloat64()*0.3)
		}
	}
	comp, err := text.FitComponent(xs)
	if err != nil {
		t.Fatal(err)
	}
	u, ref := comp.Vector(), powerIteration(xs)
	dot := 0.0
	for i := range u {
		dot += u[i] * ref[i]
	}
	if math.Abs(math.Abs(dot)-1) > 1e-9 {
		t.Fatalf("|u·ref| = %v, want 1", math.Abs(dot))
	}
	// Removal leaves nothing along u.
	v := append([]float32(nil), xs[0]...)
	if err := comp.Remove(v); err != nil {
		t.Fatal(err)
	}
	proj := 0.0
	for i := range v {
		proj += float64(v[i]) * u[i]
	}
	if math.Abs(proj) > 1e-6 {
		t.Fatalf("after Remove v·u = %v", proj)
	}
	// Written out: removing u = (1, 0) from (3, 4) leaves (0, 4).
	c, _ := text.NewComponent([]float64{-2, 0}, 1)
	w := []float32{3, 4}
	if err := c.Remove(w); err != nil || w[0] != 0 || w[1] != 4 {
		t.Fatalf("Remove = %v, %v; want [0 4]", w, err)
	}
	if err := c.Remove([]float32{1, 2, 3}); !errors.Is(err, text.ErrDimension) {
		t.Fatalf("Remove of wrong dimension: %v", err)
	}
}

func TestFitComponentErrors(t *testing.T) {
	tests := []struct {
		name string
		xs   [][]float32
		is   error
	}{
		{"none", nil, text.ErrEmpty},
		{"empty vectors", [][]float32{{}}, text.ErrEmpty},
		{"dimension", [][]float32{{1, 2}, {1, 2, 3}}, text.ErrDimension},
		{"NaN", [][]float32{{1, float32(math.NaN())}}, text.ErrNotFinite},
		{"Inf", [][]float32{{float32(math.Inf(-1)), 1}}, text.ErrNotFinite},
		{"zero", [][]float32{{0, 0}, {0, 0}}, text.ErrDegenerate},
	}
	for _, tt := range tests {
		if _, err := text.FitComponent(tt.xs); !errors.Is(err, tt.is) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.is)
		}
	}
	for _, u := range [][]float64{nil, {0, 0}, {math.NaN(), 1}} {
		if _, err := text.NewComponent(u, 1); err == nil {
			t.Errorf("NewComponent(%v) accepted", u)
		}
	}
}

func TestComponentEncoding(t *testing.T) {
	c, err := text.FitComponent([][]float32{{3, 1, 0}, {1, 2, -1}, {-2, -1, 4}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.MarshalBinary()
	if b[0] != text.ComponentVersion || len(b) != 1+4+8+3*8+4 {
		t.Fatalf("encoding: version %d, %d bytes", b[0], len(b))
	}
	var d text.Component
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if d.Fitted() != 3 || d.Dim() != 3 {
		t.Fatalf("decoded Fitted %d Dim %d", d.Fitted(), d.Dim())
	}
	for i, x := range c.Vector() {
		if d.Vector()[i] != x {
			t.Fatalf("decoded entry %d = %v, want %v", i, d.Vector()[i], x)
		}
	}
	// Every single-byte change and every truncation is refused.
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x10
		if err := new(text.Component).UnmarshalBinary(bad); !errors.Is(err, text.ErrCorrupt) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	for n := 0; n < len(b); n++ {
		if err := new(text.Component).UnmarshalBinary(b[:n]); !errors.Is(err, text.ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
}

func FuzzComponentUnmarshal(f *testing.F) {
	c, _ := text.NewComponent([]float64{1, 2, 2}, 7)
	b, _ := c.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c text.Component
		if err := c.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, text.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, _ := c.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs")
		}
	})
}
