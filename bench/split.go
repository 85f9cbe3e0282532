package bench

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Split is a data set divided into a base set (indexed) and held-out
// queries, as ann-benchmarks does: the queries are removed from the base so
// that no query finds itself.
type Split struct {
	Base    *Matrix
	Queries *Matrix
	// BaseIdx[i] and QueryIdx[i] are the row indices, in the original
	// matrix, of Base row i and Queries row i. Both are ascending.
	BaseIdx  []int
	QueryIdx []int
}

// HoldOut removes a seeded uniform random sample of n rows from m and
// returns them as queries, the rest as the base set. The result depends only
// on m's row count, n and seed (not on the Go version: it draws from a
// PCG generator with its own bounded sampling), and both parts keep the
// original row order. m is not modified; the outputs are copies.
func HoldOut(m *Matrix, n int, seed uint64) (*Split, error) {
	if n <= 0 || n >= m.Rows {
		return nil, fmt.Errorf("%w: hold out %d of %d rows: want 0 < n < rows", ErrBadArgument, n, m.Rows)
	}
	r := newRNG(seed)
	// Partial Fisher-Yates: the first n slots of perm become the sample.
	perm := make([]int, m.Rows)
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < n; i++ {
		j := i + r.intn(m.Rows-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	q := slices.Clone(perm[:n])
	slices.Sort(q)
	held := make([]bool, m.Rows)
	for _, i := range q {
		held[i] = true
	}
	s := &Split{
		Base:     NewMatrix(m.Rows-n, m.Dim),
		Queries:  NewMatrix(n, m.Dim),
		QueryIdx: q,
		BaseIdx:  make([]int, 0, m.Rows-n),
	}
	for i := 0; i < m.Rows; i++ {
		if !held[i] {
			copy(s.Base.Row(len(s.BaseIdx)), m.Row(i))
			s.BaseIdx = append(s.BaseIdx, i)
		}
	}
	for j, i := range q {
		copy(s.Queries.Row(j), m.Row(i))
	}
	return s, nil
}

// rng is a seeded PCG with a bounded draw that does not depend on
// math/rand's helper algorithms, so sequences are stable across Go releases.
type rng struct{ p *rand.PCG }

func newRNG(seed uint64) *rng { return &rng{rand.NewPCG(seed, 0x9e3779b97f4a7c15)} }

// intn returns a uniform value in [0, n) (Lemire's multiply-shift with
// rejection).
func (r *rng) intn(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.p.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.p.Uint64(), un)
		}
	}
	return int(hi)
}

// float64 returns a uniform value in [0, 1).
func (r *rng) float64() float64 { return float64(r.p.Uint64()>>11) / (1 << 53) }
