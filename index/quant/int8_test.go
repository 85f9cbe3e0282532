package quant_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/index/quant"
)

var metrics = []quant.Metric{quant.Cosine, quant.Dot, quant.L2}

// exactDistance is the FP32 distance the quantized ones approximate,
// computed in float64.
func exactDistance(m quant.Metric, x, y []float32) float64 {
	var dot, l2 float64
	for i := range x {
		dot += float64(x[i]) * float64(y[i])
		d := float64(x[i]) - float64(y[i])
		l2 += d * d
	}
	switch m {
	case quant.Cosine:
		return 1 - dot
	case quant.Dot:
		return -dot
	}
	return l2
}

func unit(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := float32(math.Sqrt(s))
	for i := range v {
		v[i] /= n
	}
	return v
}

// testVectors returns n vectors whose dimensions have different means and
// spreads (so per-dimension offsets matter), unit length for cosine.
func testVectors(r *rand.Rand, m quant.Metric, n, dim int) [][]float32 {
	mean := make([]float64, dim)
	spread := make([]float64, dim)
	for i := range dim {
		mean[i] = r.NormFloat64() * 0.5
		spread[i] = 0.2 + 2*r.Float64()
	}
	out := make([][]float32, n)
	for j := range out {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(mean[i] + spread[i]*r.NormFloat64())
		}
		if m == quant.Cosine {
			unit(v)
		}
		out[j] = v
	}
	return out
}

// scales recovers a[i] through the public Decode: x̂(1) - x̂(0).
func scales(q *quant.Int8) []float64 {
	zero, one := make([]int8, q.Dim()), make([]int8, q.Dim())
	for i := range one {
		one[i] = 1
	}
	d0, d1 := make([]float32, q.Dim()), make([]float32, q.Dim())
	q.Decode(d0, zero)
	q.Decode(d1, one)
	a := make([]float64, q.Dim())
	for i := range a {
		a[i] = float64(d1[i]) - float64(d0[i])
	}
	return a
}

// TestInt8Distances checks Distance and CodeDistance against the exact
// distance of the decoded vectors with a bound derived from the rounding
// of the query weights, and the decoded vectors against the originals
// (|x-x̂| <= a/2 inside the trained range), for every metric and scheme.
func TestInt8Distances(t *testing.T) {
	for _, m := range metrics {
		for _, opts := range []quant.TrainOptions{{Scheme: quant.Symmetric}, {Scheme: quant.PerDimension}} {
			t.Run(m.String()+"/"+opts.Scheme.String(), func(t *testing.T) {
				forEachKernel(t, func(t *testing.T) { testInt8Distances(t, m, opts) })
			})
		}
	}
}

func testInt8Distances(t *testing.T, m quant.Metric, opts quant.TrainOptions) {
	r := rand.New(rand.NewPCG(9, uint64(m)))
	dims := []int{1, 7, 33, 100, 384}
	if testing.Short() || raceEnabled {
		dims = dims[:4]
	}
	for _, dim := range dims {
		const nb = 100 // base vectors; the rest are queries
		data := testVectors(r, m, nb+40, dim)
		q, err := quant.Train(dim, m, data[:nb], opts)
		if err != nil {
			t.Fatal(err)
		}
		a := scales(q)
		codes := make([][]int8, len(data))
		corr := make([]float32, len(data))
		dec := make([][]float32, len(data))
		for j, v := range data[:nb] {
			codes[j] = make([]int8, dim)
			if corr[j], err = q.Encode(codes[j], v); err != nil {
				t.Fatal(err)
			}
			dec[j] = make([]float32, dim)
			q.Decode(dec[j], codes[j])
			for i := range v {
				if e := math.Abs(float64(v[i]) - float64(dec[j][i])); e > a[i]/2*(1+1e-5)+1e-6 {
					t.Fatalf("dim %d vector %d component %d: |x-x̂| = %g > a/2 = %g", dim, j, i, e, a[i]/2)
				}
			}
		}
		var qr quant.Query
		for _, y := range data[nb:] {
			if err := q.PrepareQuery(&qr, y); err != nil {
				t.Fatal(err)
			}
			for j := range nb {
				got := float64(q.Distance(&qr, codes[j], corr[j]))
				want := exactDistance(m, dec[j], y)
				// Rounding the query weights u[i] to c·w[i] errs by at most
				// c/2 = max|u|/254 each, times Σ|q[i]| (twice for L2);
				// |u[i]| <= a[i]·|y[i]| (dot) or a[i]·|b[i]-y[i]| (l2).
				var umax, qsum, mag float64
				for i := range y {
					u := a[i] * math.Abs(float64(y[i]))
					if m == quant.L2 {
						b := float64(dec[j][i]) - a[i]*float64(codes[j][i])
						u = a[i] * math.Abs(b-float64(y[i]))
					}
					umax = max(umax, u)
					qsum += math.Abs(float64(codes[j][i]))
					mag += math.Abs(float64(dec[j][i])*float64(y[i])) + float64(dec[j][i])*float64(dec[j][i]) + float64(y[i])*float64(y[i])
				}
				tol := umax/254*qsum*2 + 1e-5*mag + 1e-5
				if math.Abs(got-want) > tol {
					t.Fatalf("dim %d: Distance = %g, exact on decoded = %g, tol %g", dim, got, want, tol)
				}
				// Against the original FP32 vector: add the decoding error.
				orig := exactDistance(m, data[j], y)
				var decErr float64
				for i := range y {
					d := a[i] / 2
					if m == quant.L2 {
						decErr += d * (2*math.Abs(float64(data[j][i])-float64(y[i])) + d)
					} else {
						decErr += d * math.Abs(float64(y[i]))
					}
				}
				if math.Abs(got-orig) > tol+decErr*(1+1e-5) {
					t.Fatalf("dim %d: Distance = %g, exact FP32 = %g, bound %g", dim, got, orig, tol+decErr)
				}
			}
		}
		for j := 0; j+1 < nb; j += 3 {
			got := float64(q.CodeDistance(codes[j], corr[j], codes[j+1], corr[j+1]))
			want := exactDistance(m, dec[j], dec[j+1])
			var mag float64
			for i := range dec[j] {
				mag += math.Abs(float64(dec[j][i])*float64(dec[j+1][i])) + float64(dec[j][i])*float64(dec[j][i]) + float64(dec[j+1][i])*float64(dec[j+1][i])
			}
			if math.Abs(got-want) > 1e-5*mag+1e-5 {
				t.Fatalf("dim %d: CodeDistance = %g, exact on decoded = %g", dim, got, want)
			}
		}
	}
}

func TestInt8Default(t *testing.T) {
	q, err := quant.Default(50, quant.Cosine)
	if err != nil {
		t.Fatal(err)
	}
	if q.Scheme() != quant.Symmetric || q.Dim() != 50 || q.Metric() != quant.Cosine {
		t.Fatalf("Default = %v", q)
	}
	// Unit vectors, even a basis vector, are not clipped: error <= 1/254.
	r := rand.New(rand.NewPCG(1, 1))
	for k := range 100 {
		v := make([]float32, 50)
		if k == 0 {
			v[3] = -1
		} else {
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
			unit(v)
		}
		code := make([]int8, 50)
		if _, err := q.Encode(code, v); err != nil {
			t.Fatal(err)
		}
		dec := make([]float32, 50)
		q.Decode(dec, code)
		for i := range v {
			if math.Abs(float64(v[i]-dec[i])) > 1.0/254+1e-7 {
				t.Fatalf("component %d: %g decodes to %g", i, v[i], dec[i])
			}
		}
	}
}

func TestTrainQuantileClips(t *testing.T) {
	data := make([][]float32, 1000)
	for j := range data {
		data[j] = []float32{float32(j%10) / 10, float32(j%10) / 10}
	}
	data[0] = []float32{1000, -1000} // outlier
	for _, s := range []quant.Scheme{quant.Symmetric, quant.PerDimension} {
		q, err := quant.Train(2, quant.L2, data, quant.TrainOptions{Scheme: s, Quantile: 0.99})
		if err != nil {
			t.Fatal(err)
		}
		a := scales(q)
		// The range ignores the outlier: a step well below 1000/127.
		if a[0] > 0.01 || a[1] > 0.01 {
			t.Errorf("%s: scales %v, outlier not clipped", s, a)
		}
		code := make([]int8, 2)
		if _, err := q.Encode(code, data[0]); err != nil {
			t.Fatal(err)
		}
		if code[0] != 127 || code[1] != -127 {
			t.Errorf("%s: outlier codes %v, want [127 -127]", s, code)
		}
		min, err := quant.Train(2, quant.L2, data, quant.TrainOptions{Scheme: s})
		if err != nil {
			t.Fatal(err)
		}
		if a := scales(min); a[0] < 1000.0/254-0.01 {
			t.Errorf("%s: min/max scales %v do not cover the outlier", s, a)
		}
	}
}

func TestTrainConstantDimension(t *testing.T) {
	data := [][]float32{{5, 1}, {5, 2}, {5, 3}}
	q, err := quant.Train(2, quant.Dot, data, quant.TrainOptions{Scheme: quant.PerDimension})
	if err != nil {
		t.Fatal(err)
	}
	code := make([]int8, 2)
	if _, err := q.Encode(code, data[1]); err != nil {
		t.Fatal(err)
	}
	dec := make([]float32, 2)
	q.Decode(dec, code)
	if dec[0] != 5 || math.Abs(float64(dec[1])-2) > 1e-6 {
		t.Errorf("decoded %v, want [5 2]", dec)
	}
	z, err := quant.Train(2, quant.Dot, [][]float32{{0, 0}}, quant.TrainOptions{Scheme: quant.Symmetric})
	if err != nil || z.String() != "int8 symmetric bound=1 dim=2 dot" {
		t.Errorf("all-zero symmetric training: %v, %v", z, err)
	}
}

func TestTrainErrors(t *testing.T) {
	good := [][]float32{{1, 2}, {3, 4}}
	nan := float32(math.NaN())
	cases := []struct {
		name string
		dim  int
		m    quant.Metric
		data [][]float32
		opts quant.TrainOptions
		want error
	}{
		{"no vectors", 2, quant.L2, nil, quant.TrainOptions{}, quant.ErrParams},
		{"dim 0", 0, quant.L2, good, quant.TrainOptions{}, quant.ErrParams},
		{"dim too large", quant.MaxKernelLen + 1, quant.L2, good, quant.TrainOptions{}, quant.ErrParams},
		{"metric", 2, quant.Metric(7), good, quant.TrainOptions{}, quant.ErrParams},
		{"scheme", 2, quant.L2, good, quant.TrainOptions{Scheme: 9}, quant.ErrParams},
		{"quantile low", 2, quant.L2, good, quant.TrainOptions{Quantile: 0.2}, quant.ErrParams},
		{"quantile high", 2, quant.L2, good, quant.TrainOptions{Quantile: 1.5}, quant.ErrParams},
		{"quantile NaN", 2, quant.L2, good, quant.TrainOptions{Quantile: math.NaN()}, quant.ErrParams},
		{"short vector", 2, quant.L2, [][]float32{{1, 2}, {3}}, quant.TrainOptions{}, quant.ErrDimension},
		{"NaN", 2, quant.L2, [][]float32{{1, 2}, {nan, 1}}, quant.TrainOptions{}, quant.ErrValue},
		{"Inf", 2, quant.L2, [][]float32{{float32(math.Inf(-1)), 2}}, quant.TrainOptions{Scheme: quant.Symmetric}, quant.ErrValue},
		{"overflow", 2, quant.L2, [][]float32{{1, 3e38}}, quant.TrainOptions{}, quant.ErrValue},
		{"beyond MaxComponent", 2, quant.Dot, [][]float32{{1, -2e15}}, quant.TrainOptions{Quantile: 0.9}, quant.ErrValue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := quant.Train(c.dim, c.m, c.data, c.opts)
			if !errors.Is(err, c.want) || q != nil {
				t.Fatalf("Train: %v, %v; want an error wrapping %v", q, err, c.want)
			}
			t.Log(err)
		})
	}
	for _, b := range []float32{0, -1, float32(math.Inf(1)), nan, 2e15} {
		if _, err := quant.NewSymmetric(3, quant.Cosine, b); !errors.Is(err, quant.ErrParams) {
			t.Errorf("NewSymmetric bound %g: err = %v", b, err)
		}
	}
}

func TestEncodeQueryErrors(t *testing.T) {
	q, err := quant.Default(3, quant.L2)
	if err != nil {
		t.Fatal(err)
	}
	code := make([]int8, 3)
	var ve *quant.ValueError
	if _, err := q.Encode(code, []float32{1, float32(math.NaN()), 0}); !errors.As(err, &ve) || ve.Index != 1 || ve.Why != "NaN" {
		t.Errorf("Encode NaN: %v", err)
	}
	if _, err := q.Encode(code, []float32{1, 0}); !errors.Is(err, quant.ErrDimension) {
		t.Errorf("Encode short vector: %v", err)
	}
	if _, err := q.Encode(code[:2], []float32{1, 0, 0}); !errors.Is(err, quant.ErrDimension) {
		t.Errorf("Encode short dst: %v", err)
	}
	var qr quant.Query
	if err := q.PrepareQuery(&qr, []float32{float32(math.Inf(1)), 0, 0}); !errors.Is(err, quant.ErrValue) {
		t.Errorf("PrepareQuery Inf: %v", err)
	}
	if err := q.PrepareQuery(&qr, []float32{0, 0}); !errors.Is(err, quant.ErrDimension) {
		t.Errorf("PrepareQuery short: %v", err)
	}
	// A zero query is valid: every distance is ‖x̂‖².
	if err := q.PrepareQuery(&qr, []float32{0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	corr, _ := q.Encode(code, []float32{0.5, -0.5, 0})
	if got := q.Distance(&qr, code, corr); math.Abs(float64(got)-0.5) > 0.01 {
		t.Errorf("distance to zero query = %g, want ~0.5", got)
	}
	other, _ := quant.Default(3, quant.L2)
	defer func() {
		if recover() == nil {
			t.Error("Distance with a query of other parameters did not panic")
		}
	}()
	other.Distance(&qr, code, corr)
}

func TestParamsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, m := range metrics {
		for _, s := range []quant.Scheme{quant.Symmetric, quant.PerDimension} {
			data := testVectors(r, m, 100, 17)
			q, err := quant.Train(17, m, data, quant.TrainOptions{Scheme: s, Quantile: 0.98})
			if err != nil {
				t.Fatal(err)
			}
			blob, _ := q.MarshalBinary()
			var back quant.Int8
			if err := back.UnmarshalBinary(blob); err != nil {
				t.Fatal(err)
			}
			again, _ := back.MarshalBinary()
			if !bytes.Equal(blob, again) || back.String() != q.String() {
				t.Fatalf("%s %s: round trip differs", m, s)
			}
			var qa, qb quant.Query
			_ = q.PrepareQuery(&qa, data[0])
			_ = back.PrepareQuery(&qb, data[0])
			c1, c2 := make([]int8, 17), make([]int8, 17)
			for _, v := range data[1:] {
				e1, _ := q.Encode(c1, v)
				e2, _ := back.Encode(c2, v)
				if !bytes.Equal(i8bytes(c1), i8bytes(c2)) || e1 != e2 || q.Distance(&qa, c1, e1) != back.Distance(&qb, c2, e2) {
					t.Fatalf("%s %s: decoded parameters encode differently", m, s)
				}
			}
			// Every single-byte change and every truncation is refused and
			// leaves the receiver as it was.
			for i := range blob {
				for _, x := range []byte{0x01, 0x80, 0xff} {
					bad := bytes.Clone(blob)
					bad[i] ^= x
					if err := back.UnmarshalBinary(bad); !errors.Is(err, quant.ErrCorrupt) {
						t.Fatalf("byte %d ^ %#x: err = %v, want ErrCorrupt", i, x, err)
					}
				}
			}
			for n := range blob {
				if err := back.UnmarshalBinary(blob[:n]); !errors.Is(err, quant.ErrCorrupt) {
					t.Fatalf("truncated to %d: err = %v", n, err)
				}
			}
			if again, _ := back.MarshalBinary(); !bytes.Equal(blob, again) {
				t.Fatal("a refused UnmarshalBinary changed the receiver")
			}
		}
	}
}

func i8bytes(c []int8) []byte {
	b := make([]byte, len(c))
	for i, x := range c {
		b[i] = byte(x)
	}
	return b
}

func FuzzUnmarshalParams(f *testing.F) {
	for _, s := range []quant.Scheme{quant.Symmetric, quant.PerDimension} {
		q, _ := quant.Train(3, quant.L2, [][]float32{{1, 2, 3}, {-1, 0, 5}}, quant.TrainOptions{Scheme: s})
		blob, _ := q.MarshalBinary()
		f.Add(blob)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var q quant.Int8
		if err := q.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, quant.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, _ := q.MarshalBinary()
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted %x but re-encodes as %x", data, again)
		}
		// Accepted parameters are usable.
		v := make([]float32, q.Dim())
		code := make([]int8, q.Dim())
		corr, err := q.Encode(code, v)
		if err != nil {
			t.Fatal(err)
		}
		var qr quant.Query
		if err := q.PrepareQuery(&qr, v); err != nil {
			t.Fatal(err)
		}
		if d := q.Distance(&qr, code, corr); d != d {
			t.Fatalf("distance NaN for accepted parameters %x", data)
		}
	})
}

func FuzzKernels(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(0))
	f.Add(bytes.Repeat([]byte{0x80}, 200), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, shift uint8) {
		n := len(data) / 2
		a := make([]int8, n)
		b := make([]int8, n)
		for i := range n {
			a[i], b[i] = int8(data[i]), int8(data[n+i])
		}
		q := make([]float32, n)
		c := make([]uint16, n)
		for i := range n {
			q[i] = float32(a[i]) * float32(math.Ldexp(1, int(shift%16)-8))
			c[i] = uint16(data[i])<<8 | uint16(data[n+i])
			if c[i]&0x7c00 == 0x7c00 {
				c[i] &^= 0x4000 // no Inf or NaN
			}
		}
		for _, name := range quant.KernelNames() {
			restore := quant.SetKernels(name)
			gd, gl := quant.DotInt8(a, b), quant.SquaredL2Int8(a, b)
			fd, fl := quant.DotFP16(q, c), quant.SquaredL2FP16(q, c)
			restore()
			if int64(gd) != refDotInt8(a, b) || int64(gl) != refL2Int8(a, b) {
				t.Fatalf("%s n=%d: int8 kernels %d %d, want %d %d", name, n, gd, gl, refDotInt8(a, b), refL2Int8(a, b))
			}
			want, abs := refDotF16(q, c)
			if math.Abs(float64(fd)-want) > float64(n+2)*1.2e-7*abs {
				t.Fatalf("%s n=%d: DotFP16 %g, want %g", name, n, fd, want)
			}
			wl := refL2F16(q, c)
			if math.Abs(float64(fl)-wl) > float64(n+2)*1.2e-7*wl && !math.IsInf(wl, 0) {
				t.Fatalf("%s n=%d: SquaredL2FP16 %g, want %g", name, n, fl, wl)
			}
			restore = quant.SetKernels(name)
			checkHalfCodes(t, q, c)
			restore()
		}
	})
}

// TestTinyScale: a range so narrow that 1/a overflows must still encode
// (the component equal to the offset is 0·Inf inside) and give finite
// distances.
func TestTinyScale(t *testing.T) {
	data := [][]float32{{0, 1}, {1e-38, -1}}
	q, err := quant.Train(2, quant.L2, data, quant.TrainOptions{Scheme: quant.PerDimension})
	if err != nil {
		t.Fatal(err)
	}
	b := make([]float32, 2)
	q.Decode(b, []int8{0, 0}) // the offsets
	if a := scales(q); a[0] <= 0 || 1/float32(a[0]) < math.MaxFloat32 {
		t.Fatalf("scale %g: want one whose inverse overflows", a[0])
	}
	for _, v := range append(data, []float32{b[0], 0}) {
		code := make([]int8, 2)
		corr, err := q.Encode(code, v)
		if err != nil {
			t.Fatal(err)
		}
		var qr quant.Query
		if err := q.PrepareQuery(&qr, v); err != nil {
			t.Fatal(err)
		}
		d := q.Distance(&qr, code, corr)
		if d != d || math.IsInf(float64(d), 0) || d > 1e-3 {
			t.Errorf("%v: distance to itself %g", v, d)
		}
	}
}

func TestCheckCode(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, m := range metrics {
		for _, s := range []quant.Scheme{quant.Symmetric, quant.PerDimension} {
			data := testVectors(r, m, 50, 20)
			q, err := quant.Train(20, m, data, quant.TrainOptions{Scheme: s})
			if err != nil {
				t.Fatal(err)
			}
			code := make([]int8, 20)
			corr, _ := q.Encode(code, data[3])
			if err := q.CheckCode(code, corr); err != nil {
				t.Fatalf("%s %s: good code refused: %v", m, s, err)
			}
			bad := slices.Clone(code)
			bad[5] = -128
			if err := q.CheckCode(bad, corr); !errors.Is(err, quant.ErrCorrupt) {
				t.Errorf("%s %s: -128 accepted: %v", m, s, err)
			}
			if err := q.CheckCode(code[:19], corr); !errors.Is(err, quant.ErrCorrupt) {
				t.Errorf("%s %s: short code accepted: %v", m, s, err)
			}
			if corr != 0 { // symmetric dot/cosine have corr 0 whatever the code
				if err := q.CheckCode(code, math.Nextafter32(corr, 1e30)); !errors.Is(err, quant.ErrCorrupt) {
					t.Errorf("%s %s: corr off by one ulp accepted: %v", m, s, err)
				}
				bad = slices.Clone(code)
				bad[0] ^= 1
				if err := q.CheckCode(bad, corr); !errors.Is(err, quant.ErrCorrupt) {
					t.Errorf("%s %s: changed code accepted with the old corr: %v", m, s, err)
				}
			}
		}
	}
	if err := quant.CheckFP16([]uint16{0, 0x3c00, 0x7bff}); err != nil {
		t.Error(err)
	}
	for _, h := range []uint16{0x7c00, 0xfc00, 0x7e00} {
		if err := quant.CheckFP16([]uint16{0, h}); !errors.Is(err, quant.ErrCorrupt) {
			t.Errorf("CheckFP16 %04x: %v", h, err)
		}
	}
}
