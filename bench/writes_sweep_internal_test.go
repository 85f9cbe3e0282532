package bench

import "testing"

// TestPairedRatio checks the median and nearest-rank quartiles against
// values worked out by hand.
func TestPairedRatio(t *testing.T) {
	for _, c := range []struct {
		in             []float64
		median, q1, q3 float64
	}{
		{[]float64{3, 1, 2, 5, 4}, 3, 2, 4}, // sorted 1 2 3 4 5: q1 = [1], q3 = [3]
		{[]float64{4, 1, 3, 2}, 2.5, 2, 4},  // sorted 1 2 3 4: median (2+3)/2
		{[]float64{0.9}, 0.9, 0.9, 0.9},
		{nil, 0, 0, 0},
	} {
		p := pairedRatio("x", append([]float64(nil), c.in...))
		if p.Label != "x" || p.Pairs != len(c.in) || p.Median != c.median || p.Q1 != c.q1 || p.Q3 != c.q3 {
			t.Errorf("%v: %+v, want median %v, quartiles %v-%v", c.in, p, c.median, c.q1, c.q3)
		}
	}
}
