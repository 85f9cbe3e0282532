package text

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ComponentVersion is the version byte of the encoding MarshalBinary writes.
const ComponentVersion = 1

// Component is the first principal component of a set of pooled document
// vectors, which SIF removes from every sentence vector: v ← v − (v·u)u.
//
// Following the SIF reference code (PrincetonML/SIF, compute_pc with
// scikit-learn's TruncatedSVD), the component is fitted on the uncentred
// vectors: u is the first right singular vector of the matrix whose rows
// are the vectors, that is the top eigenvector of XᵀX. Its sign is fixed
// so that its largest-magnitude entry is positive (removal does not depend
// on the sign, the encoding does).
//
// A Component is immutable and safe for concurrent use. Store it with a
// collection (MarshalBinary) and apply the same one to documents and to
// queries.
type Component struct {
	u []float64 // unit vector
	n int       // number of vectors it was fitted on
}

// FitComponent fits the first principal component of vecs.
//
// Errors: no vectors (ErrEmpty), vectors of different lengths
// (*DimensionError), a NaN or infinite component (ErrNotFinite), all
// vectors zero (ErrDegenerate).
// Cost: O(n·d²) to form XᵀX plus O(d³) for its eigendecomposition (gonum's
// EigenSym), so it suits word-vector dimensions (50 to 300) far better
// than the thousands of a server model. Safe for concurrent use; vecs is
// not modified.
func FitComponent(vecs [][]float32) (*Component, error) {
	if len(vecs) == 0 {
		return nil, fmt.Errorf("%w: no vectors to fit a component on", ErrEmpty)
	}
	d := len(vecs[0])
	if d == 0 {
		return nil, fmt.Errorf("%w: vectors have no components", ErrEmpty)
	}
	g := make([]float64, d*d) // upper triangle of XᵀX, row-major
	row := make([]float64, d)
	for k, v := range vecs {
		if len(v) != d {
			return nil, &DimensionError{Index: k, Got: len(v), Want: d}
		}
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("%w: vector %d component %d is %v", ErrNotFinite, k, i, x)
			}
			row[i] = float64(x)
		}
		for i := 0; i < d; i++ {
			ri := row[i]
			if ri == 0 {
				continue
			}
			gi := g[i*d:]
			for j := i; j < d; j++ {
				gi[j] += ri * row[j]
			}
		}
	}
	trace := 0.0
	for i := 0; i < d; i++ {
		trace += g[i*d+i]
		for j := 0; j < i; j++ {
			g[i*d+j] = g[j*d+i]
		}
	}
	if trace == 0 {
		return nil, fmt.Errorf("%w: all %d vectors are zero", ErrDegenerate, len(vecs))
	}
	var eig mat.EigenSym
	if !eig.Factorize(mat.NewSymDense(d, g), true) {
		return nil, fmt.Errorf("%w: eigendecomposition did not converge", ErrDegenerate)
	}
	var q mat.Dense
	eig.VectorsTo(&q)
	u := make([]float64, d)
	mat.Col(u, d-1, &q) // eigenvalues ascend: the last column is the top one
	normalize(u)
	return &Component{u: u, n: len(vecs)}, nil
}

// normalize scales u to unit length and fixes its sign.
func normalize(u []float64) {
	s, big := 0.0, 0
	for i, x := range u {
		s += x * x
		if math.Abs(x) > math.Abs(u[big]) {
			big = i
		}
	}
	s = math.Sqrt(s)
	if u[big] < 0 {
		s = -s
	}
	for i := range u {
		u[i] /= s
	}
}

// NewComponent returns a component along u (normalized to unit length),
// for tests and for callers that computed it elsewhere; fitted is recorded
// as the number of vectors it was fitted on. Errors: an empty, zero or
// non-finite u. Cost: O(d).
func NewComponent(u []float64, fitted int) (*Component, error) {
	if len(u) == 0 {
		return nil, fmt.Errorf("%w: empty component", ErrEmpty)
	}
	c := &Component{u: append([]float64(nil), u...), n: fitted}
	s := 0.0
	for i, x := range c.u {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%w: component entry %d is %v", ErrNotFinite, i, x)
		}
		s += x * x
	}
	if s == 0 {
		return nil, fmt.Errorf("%w: zero component", ErrDegenerate)
	}
	normalize(c.u)
	return c, nil
}

// Dim returns the component's dimension.
func (c *Component) Dim() int { return len(c.u) }

// Fitted returns the number of vectors the component was fitted on.
func (c *Component) Fitted() int { return c.n }

// Vector returns a copy of the unit component vector.
func (c *Component) Vector() []float64 { return append([]float64(nil), c.u...) }

// Remove subtracts v's projection on the component from v, in place:
// v ← v − (v·u)u, computed in float64.
// Errors: v of another dimension (*DimensionError). Cost: O(d).
func (c *Component) Remove(v []float32) error {
	if len(v) != len(c.u) {
		return &DimensionError{Index: -1, Got: len(v), Want: len(c.u)}
	}
	dot := 0.0
	for i, x := range v {
		dot += float64(x) * c.u[i]
	}
	for i := range v {
		v[i] = float32(float64(v[i]) - dot*c.u[i])
	}
	return nil
}

// Encoding, little-endian:
//
//	byte 0       version (ComponentVersion = 1)
//	bytes 1-4    d, uint32
//	bytes 5-12   number of vectors fitted, uint64
//	8·d bytes    u as float64
//	4 bytes      CRC-32 (Castagnoli) of everything before
const componentHeader = 1 + 4 + 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes the component (see the layout above). It never
// fails. Cost: O(d).
func (c *Component) MarshalBinary() ([]byte, error) {
	b := make([]byte, componentHeader, componentHeader+8*len(c.u)+4)
	b[0] = ComponentVersion
	binary.LittleEndian.PutUint32(b[1:], uint32(len(c.u)))
	binary.LittleEndian.PutUint64(b[5:], uint64(c.n))
	for _, x := range c.u {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

// UnmarshalBinary decodes bytes written by MarshalBinary into c.
// Errors: a *CorruptError for an unknown version, a wrong length, a
// checksum mismatch, a non-finite entry or a vector that is not of unit
// length. Cost: O(d).
func (c *Component) UnmarshalBinary(b []byte) error {
	if len(b) < componentHeader+4 {
		return &CorruptError{Reason: fmt.Sprintf("%d bytes is shorter than the %d-byte minimum", len(b), componentHeader+4)}
	}
	if b[0] != ComponentVersion {
		return &CorruptError{Reason: fmt.Sprintf("unknown version %d (this build reads version %d)", b[0], ComponentVersion)}
	}
	d := binary.LittleEndian.Uint32(b[1:])
	want := uint64(componentHeader) + 8*uint64(d) + 4
	if d == 0 || uint64(len(b)) != want {
		return &CorruptError{Reason: fmt.Sprintf("dimension %d needs %d bytes, got %d", d, want, len(b))}
	}
	body := b[:len(b)-4]
	if got, sum := binary.LittleEndian.Uint32(b[len(b)-4:]), crc32.Checksum(body, castagnoli); got != sum {
		return &CorruptError{Reason: fmt.Sprintf("checksum %08x does not match %08x", got, sum)}
	}
	n := binary.LittleEndian.Uint64(b[5:])
	if n > math.MaxInt32 {
		return &CorruptError{Reason: fmt.Sprintf("fitted count %d is implausible", n)}
	}
	u := make([]float64, d)
	s := 0.0
	for i := range u {
		x := math.Float64frombits(binary.LittleEndian.Uint64(b[componentHeader+8*i:]))
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return &CorruptError{Reason: fmt.Sprintf("entry %d is %v", i, x)}
		}
		u[i] = x
		s += x * x
	}
	if math.Abs(s-1) > 1e-9 {
		return &CorruptError{Reason: fmt.Sprintf("squared norm %g is not 1", s)}
	}
	c.u, c.n = u, int(n)
	return nil
}
