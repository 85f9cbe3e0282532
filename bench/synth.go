package bench

import (
	"fmt"
	"math"
)

// SynthOptions configures Synthetic. Zero fields take the defaults noted.
type SynthOptions struct {
	N, Dim   int     // rows and dimension; both must be positive
	Clusters int     // number of Gaussian clusters; 0 = max(1, sqrt(N)/4)
	Spread   float64 // standard deviation within a cluster, relative to the spread of centres (1); 0 = 0.3
	Seed     uint64  // the same options and seed give the same matrix
}

// Synthetic returns seeded clustered Gaussian data: Clusters centres drawn
// from N(0, 1) per component, and each row a centre (picked uniformly)
// plus N(0, Spread²) noise per component. Deterministic for the options,
// across Go versions (its own PCG stream and Box-Muller
// transform, no math/rand helpers; math.Log and math.Cos may differ in the
// last bit between architectures). Changing any option may change every row.
func Synthetic(o SynthOptions) (*Matrix, error) {
	if o.N <= 0 || o.Dim <= 0 {
		return nil, fmt.Errorf("%w: synthetic data with n=%d, dim=%d", ErrBadArgument, o.N, o.Dim)
	}
	if o.Clusters <= 0 {
		o.Clusters = max(1, int(math.Sqrt(float64(o.N))/4))
	}
	if o.Spread <= 0 {
		o.Spread = 0.3
	}
	r := newRNG(o.Seed)
	centres := NewMatrix(o.Clusters, o.Dim)
	for i := range centres.Data {
		centres.Data[i] = float32(r.norm())
	}
	m := NewMatrix(o.N, o.Dim)
	for i := 0; i < o.N; i++ {
		c := centres.Row(r.intn(o.Clusters))
		row := m.Row(i)
		for j := range row {
			row[j] = c[j] + float32(o.Spread*r.norm())
		}
	}
	return m, nil
}

// norm returns a standard normal deviate (Box-Muller, one of the pair).
func (r *rng) norm() float64 {
	u := r.float64()
	for u == 0 {
		u = r.float64()
	}
	v := r.float64()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}
