package index

import (
	"fmt"
	"strings"
)

// Metric selects the distance function. Internally every metric is a
// distance: smaller is closer.
type Metric uint8

const (
	// Cosine distance 1 - a·b. The caller must pass unit vectors to Add,
	// Update, Search and Exact; the graph does not normalise.
	Cosine Metric = iota
	// Dot is the negated inner product -a·b.
	Dot
	// L2 is the squared euclidean distance Σ(a-b)².
	L2
)

// String returns "cosine", "dot" or "l2".
func (m Metric) String() string {
	switch m {
	case Cosine:
		return "cosine"
	case Dot:
		return "dot"
	case L2:
		return "l2"
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// ParseMetric parses "cosine", "dot" or "l2" (case-insensitive). Other names
// return an error wrapping ErrMetric.
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cosine":
		return Cosine, nil
	case "dot":
		return Dot, nil
	case "l2":
		return L2, nil
	}
	return 0, fmt.Errorf("%w %q (want cosine, dot or l2)", ErrMetric, s)
}

func (m Metric) valid() bool { return m <= L2 }

// Defaults used for zero Options fields.
const (
	DefaultM              = 16
	DefaultEfConstruction = 200
	DefaultEf             = 64
)

// Limits checked by New and by the codec.
const (
	// MaxM is the largest M: level-0 lists hold 2*M links.
	MaxM = 1024
	// MaxLevel is the highest level a node can have. With M >= 2 the
	// chance of drawing a level above it is below 2^-32.
	MaxLevel = 31
	// MaxDim is the largest vector dimension.
	MaxDim = 1 << 16
	// MaxNodes bounds MaxID; the top id value is reserved as "no node".
	MaxNodes = 1<<32 - 2
)

// Options are the HNSW parameters of one graph. The zero value of each field
// means its default; Seed 0 is used as is (it is a valid seed).
type Options struct {
	// M is the number of links a node keeps on levels above 0 (2*M on
	// level 0). Default 16, range 2..MaxM. Level multiplier mL = 1/ln(M).
	M int
	// EfConstruction is the beam width used when linking a new or updated
	// node. Default 200; raised to M if smaller.
	EfConstruction int
	// Ef is the default search beam width, used when Search's ef argument
	// is 0. Default 64. A search always uses at least k.
	Ef int
	// Seed seeds the random source that draws node levels. Graphs built by
	// sequential Add calls from the same seed are identical.
	Seed int64
}

// DefaultOptions returns the options used for zero fields: M 16,
// EfConstruction 200, Ef 64, Seed 0.
func DefaultOptions() Options {
	return Options{M: DefaultM, EfConstruction: DefaultEfConstruction, Ef: DefaultEf}
}

// resolve fills defaults and validates.
func (o Options) resolve() (Options, error) {
	if o.M == 0 {
		o.M = DefaultM
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = DefaultEfConstruction
	}
	if o.Ef == 0 {
		o.Ef = DefaultEf
	}
	if o.M < 2 || o.M > MaxM {
		return o, fmt.Errorf("%w: M = %d, want 2..%d", ErrOptions, o.M, MaxM)
	}
	if o.EfConstruction < 0 || o.Ef < 0 {
		return o, fmt.Errorf("%w: EfConstruction = %d, Ef = %d, want >= 0", ErrOptions, o.EfConstruction, o.Ef)
	}
	if o.EfConstruction < o.M {
		o.EfConstruction = o.M
	}
	return o, nil
}
