package bench_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

func TestSynthetic(t *testing.T) {
	o := bench.SynthOptions{N: 500, Dim: 17, Clusters: 5, Seed: 99}
	a, err := bench.Synthetic(o)
	if err != nil {
		t.Fatal(err)
	}
	if a.Rows != 500 || a.Dim != 17 || len(a.Data) != 500*17 {
		t.Fatalf("shape %d×%d (%d)", a.Rows, a.Dim, len(a.Data))
	}
	b, _ := bench.Synthetic(o)
	if !slices.Equal(a.Data, b.Data) {
		t.Fatal("same options, different data")
	}
	o.Seed = 100
	c, _ := bench.Synthetic(o)
	if slices.Equal(a.Data, c.Data) {
		t.Fatal("different seeds, same data")
	}
	// Sanity of the distribution: finite values, overall mean near 0 and
	// variance near 1 + Spread² (centres N(0,1), noise N(0, 0.3²)),
	// loosely since there are only 5 centres.
	var sum, sq float64
	for _, v := range a.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite value")
		}
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(a.Data))
	mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
	if math.Abs(mean) > 0.5 || variance < 0.3 || variance > 3 {
		t.Errorf("mean %v variance %v", mean, variance)
	}
	// Clustered: the nearest other row is much closer than a random row.
	var near, rand float64
	for i := 0; i < 50; i++ {
		best := math.Inf(1)
		for j := 0; j < a.Rows; j++ {
			if j != i {
				best = math.Min(best, refDist(bench.L2, a.Row(i), a.Row(j)))
			}
		}
		near += best
		rand += refDist(bench.L2, a.Row(i), a.Row((i*7+13)%a.Rows))
	}
	if near*2 > rand {
		t.Errorf("not clustered: nearest %v vs arbitrary %v", near, rand)
	}
	for _, bad := range []bench.SynthOptions{{N: 0, Dim: 3}, {N: 3, Dim: 0}, {N: -1, Dim: 2}} {
		if _, err := bench.Synthetic(bad); !errors.Is(err, bench.ErrBadArgument) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	// Defaults apply with zero Clusters and Spread.
	if d, err := bench.Synthetic(bench.SynthOptions{N: 10, Dim: 2}); err != nil || d.Rows != 10 {
		t.Fatalf("defaults: %v", err)
	}
}
