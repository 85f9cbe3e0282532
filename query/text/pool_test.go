package text_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/text"
)

func TestMean(t *testing.T) {
	got, err := text.Mean([][]float32{{1, 2}, {3, 4}})
	if err != nil || !reflect.DeepEqual(got, []float32{2, 3}) {
		t.Fatalf("Mean = %v, %v; want [2 3]", got, err)
	}
	// (1/2)·(1·[1 2] + 3·[3 4]) = [5 7]: SIF divides by the word count.
	got, err = text.WeightedMean([][]float32{{1, 2}, {3, 4}}, []float64{1, 3})
	if err != nil || !reflect.DeepEqual(got, []float32{5, 7}) {
		t.Fatalf("WeightedMean = %v, %v; want [5 7]", got, err)
	}
}

func TestMeanErrors(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name string
		vecs [][]float32
		w    []float64
		is   error
	}{
		{"none", nil, nil, text.ErrEmpty},
		{"dimension", [][]float32{{1, 2}, {1}}, nil, text.ErrDimension},
		{"NaN component", [][]float32{{1, nan}}, nil, text.ErrNotFinite},
		{"NaN weight", [][]float32{{1, 2}}, []float64{math.NaN()}, text.ErrNotFinite},
		{"weights length", [][]float32{{1, 2}}, []float64{1, 2}, text.ErrOption},
	}
	for _, tt := range tests {
		if _, err := text.WeightedMean(tt.vecs, tt.w); !errors.Is(err, tt.is) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.is)
		}
	}
	var de *text.DimensionError
	if _, err := text.Mean([][]float32{{1, 2}, {1, 2}, {1}}); !errors.As(err, &de) || de.Index != 2 || de.Got != 1 || de.Want != 2 {
		t.Errorf("dimension error %v does not name vector 2 with 1 of 2 components", err)
	}
}

func TestZipf(t *testing.T) {
	// Four words: H(4) = 1 + 1/2 + 1/3 + 1/4 = 25/12, so p(r) = 12/(25r).
	z, err := text.NewZipf(4)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.48, 0.24, 0.16, 0.12}
	sum := 0.0
	for r := 1; r <= 4; r++ {
		p, err := z.P(r)
		if err != nil || math.Abs(p-want[r-1]) > 1e-15 {
			t.Errorf("P(%d) = %v, %v; want %v", r, p, err, want[r-1])
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-15 {
		t.Errorf("probabilities sum to %v", sum)
	}
	// SIF weights a/(a+p) with a = 1e-3, written out.
	p2, _ := z.P(2)
	if w := text.SIFWeight(text.DefaultSIFA, p2); math.Abs(w-0.001/0.241) > 1e-15 {
		t.Errorf("SIFWeight = %v, want %v", w, 0.001/0.241)
	}
	if w := text.SIFWeight(1e-3, 0); w != 1 {
		t.Errorf("SIFWeight(p = 0) = %v, want 1", w)
	}
	for _, r := range []int{0, 5, -1} {
		if _, err := z.P(r); !errors.Is(err, text.ErrRank) {
			t.Errorf("P(%d): %v, want ErrRank", r, err)
		}
	}
	if _, err := text.NewZipf(0); !errors.Is(err, text.ErrOption) {
		t.Errorf("NewZipf(0): %v", err)
	}
	for _, a := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if err := text.CheckSIFA(a); !errors.Is(err, text.ErrOption) {
			t.Errorf("CheckSIFA(%v) = %v", a, err)
		}
	}
	if err := text.CheckSIFA(1e-4); err != nil {
		t.Error(err)
	}
}

func TestReadCounts(t *testing.T) {
	c, err := text.ReadCounts(strings.NewReader("the 50\nking\t30\n\nThe 20\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Total() != 100 || c.Len() != 2 || c.P("the") != 0.7 || c.P("king") != 0.3 || c.P("queen") != 0 {
		t.Fatalf("counts: total %d len %d p(the) %v p(king) %v", c.Total(), c.Len(), c.P("the"), c.P("king"))
	}
	tests := []struct {
		in   string
		is   error
		line int
	}{
		{"a 1\nb\n", text.ErrMalformed, 2},
		{"a 1 2\n", text.ErrMalformed, 1},
		{"a -1\n", text.ErrMalformed, 1},
		{"a x\n", text.ErrMalformed, 1},
		{"a 1\n\nb 2\na 3\n", text.ErrDuplicate, 4},
	}
	for _, tt := range tests {
		_, err := text.ReadCounts(strings.NewReader(tt.in))
		var ce *text.CountsError
		if !errors.Is(err, tt.is) || !errors.As(err, &ce) || ce.Line != tt.line {
			t.Errorf("ReadCounts(%q) = %v, want %v at line %d", tt.in, err, tt.is, tt.line)
		}
	}
	for _, in := range []string{"", "a 0\n"} {
		if _, err := text.ReadCounts(strings.NewReader(in)); !errors.Is(err, text.ErrEmpty) {
			t.Errorf("ReadCounts(%q) = %v, want ErrEmpty", in, err)
		}
	}
	if _, err := text.ReadCounts(strings.NewReader(strings.Repeat("x", 2<<20))); err == nil || !strings.Contains(err.Error(), "counts file") {
		t.Errorf("over-long line: %v", err)
	}
}

func FuzzReadCounts(f *testing.F) {
	f.Add("the 50\nking 30\n")
	f.Add("a 1\na 2\n")
	f.Add("x -1")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := text.ReadCounts(strings.NewReader(s))
		if err != nil {
			return
		}
		if c.Total() == 0 || c.Len() == 0 {
			t.Fatalf("accepted counts with total %d and %d words", c.Total(), c.Len())
		}
	})
}
