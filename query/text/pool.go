package text

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// DefaultSIFA is the SIF smoothing constant a of Arora, Liang and Ma
// (ICLR 2017), who found a in [1e-4, 1e-3] works best.
const DefaultSIFA = 1e-3

// Mean returns the component-wise mean of vecs, accumulated in float64.
//
// Errors: no vectors (ErrEmpty), vectors of different lengths
// (*DimensionError naming the first that differs from vecs[0]), a NaN or
// infinite component (ErrNotFinite).
// Cost: O(len(vecs)·d). Safe for concurrent use; vecs is not modified.
func Mean(vecs [][]float32) ([]float32, error) {
	return WeightedMean(vecs, nil)
}

// WeightedMean returns (1/n)·Σ weights[i]·vecs[i], the pooled vector of SIF
// (Arora et al. average the weighted vectors over the n words of the
// sentence; they do not divide by the sum of the weights). nil weights
// means every weight is 1, which is Mean.
//
// Errors: those of Mean, a weights slice of another length (ErrOption) or
// a NaN or infinite weight (ErrNotFinite).
// Cost: O(len(vecs)·d). Safe for concurrent use; the inputs are not modified.
func WeightedMean(vecs [][]float32, weights []float64) ([]float32, error) {
	if len(vecs) == 0 {
		return nil, fmt.Errorf("%w: no vectors to pool", ErrEmpty)
	}
	if weights != nil && len(weights) != len(vecs) {
		return nil, &OptionError{Name: "number of weights", Value: float64(len(weights)),
			Rule: fmt.Sprintf("the number of vectors (%d)", len(vecs))}
	}
	d := len(vecs[0])
	acc := make([]float64, d)
	for i, v := range vecs {
		if len(v) != d {
			return nil, &DimensionError{Index: i, Got: len(v), Want: d}
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
			if math.IsNaN(w) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("%w: weight %d is %v", ErrNotFinite, i, w)
			}
		}
		for j, x := range v {
			acc[j] += w * float64(x)
		}
	}
	out := make([]float32, d)
	n := float64(len(vecs))
	for j, s := range acc {
		m := s / n
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return nil, fmt.Errorf("%w: pooled component %d is %v", ErrNotFinite, j, m)
		}
		out[j] = float32(m)
	}
	return out, nil
}

// SIFWeight returns a/(a + p), the weight SIF gives a word of probability p.
// It is 1 for p = 0 and falls towards a/p for frequent words.
func SIFWeight(a, p float64) float64 { return a / (a + p) }

// CheckSIFA validates SIF's a: it must be positive and finite.
func CheckSIFA(a float64) error {
	if !(a > 0) || math.IsInf(a, 0) {
		return &OptionError{Name: "SIF a", Value: a, Rule: "positive and finite"}
	}
	return nil
}

// Zipf gives word probabilities from frequency ranks by Zipf's law with
// exponent 1: p(r) = (1/r) / H(V), where H(V) = Σ_{i=1..V} 1/i is the V-th
// harmonic number, so the probabilities of the V words sum to 1. This is the
// fallback when no counts file is given: GloVe and word2vec files list words
// most frequent first, so a word's line number is its rank. We use plain
// Zipf (s = 1, no Mandelbrot shift q) because it needs no constant fitted to
// a corpus we do not have; it overstates the probability of the very first
// ranks relative to a Zipf–Mandelbrot fit (q ≈ 2.7), which SIF's a/(a+p)
// flattens anyway (all such words get weights near a/p ≪ 1).
//
// The zero value is not usable; call NewZipf. A Zipf is immutable and safe
// for concurrent use.
type Zipf struct {
	v int
	h float64
}

// NewZipf returns the Zipf distribution over a vocabulary of v words.
// Errors: v ≤ 0 (ErrOption). Cost: O(v) once.
func NewZipf(v int) (Zipf, error) {
	if v <= 0 {
		return Zipf{}, &OptionError{Name: "vocabulary size", Value: float64(v), Rule: "positive"}
	}
	// Sum smallest terms first for accuracy.
	h := 0.0
	for i := v; i >= 1; i-- {
		h += 1 / float64(i)
	}
	return Zipf{v: v, h: h}, nil
}

// Len returns the vocabulary size.
func (z Zipf) Len() int { return z.v }

// P returns the probability of the word of 1-based rank r.
// Errors: r outside [1, Len()] (ErrRank). Cost: O(1).
func (z Zipf) P(r int) (float64, error) {
	if r < 1 || r > z.v {
		return 0, fmt.Errorf("%w: rank %d is outside [1, %d]", ErrRank, r, z.v)
	}
	return 1 / (float64(r) * z.h), nil
}

// Counts holds word counts from a corpus, for SIF's p(w) = count(w)/total.
// It is immutable after ReadCounts or NewCounts and safe for concurrent use.
type Counts struct {
	counts map[string]uint64
	total  uint64
}

// NewCounts returns counts from a map (copied). Words are used as given (the
// caller folds case if it wants to). Errors: no word with a positive count
// (ErrEmpty). Cost: O(len(m)).
func NewCounts(m map[string]uint64) (*Counts, error) {
	c := &Counts{counts: make(map[string]uint64, len(m))}
	for w, n := range m {
		c.counts[w] = n
		c.total += n
	}
	if c.total == 0 {
		return nil, fmt.Errorf("%w: counts hold no word with a positive count", ErrEmpty)
	}
	return c, nil
}

// ReadCounts reads a counts file: one "word count" per line, separated by
// a space or tab, as written by GloVe's vocab_count and word2vec's
// -save-vocab. Blank lines are skipped. Words are folded to lower case like
// Tokenize, and counts of words that fold together are added up, so a
// cased file serves a lower-cased vocabulary.
//
// Errors: a *CountsError naming the line for a line without exactly two
// fields, a count that is not a non-negative integer (ErrMalformed), or the
// same word twice as written (ErrDuplicate); ErrEmpty when the file holds
// no positive count; read errors are returned wrapped.
// Cost: O(size of the file).
func ReadCounts(r io.Reader) (*Counts, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	seen := make(map[string]bool)
	m := make(map[string]uint64)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		f := strings.Fields(s)
		if len(f) != 2 {
			return nil, &CountsError{Line: line, Err: ErrMalformed,
				Msg: fmt.Sprintf("want \"word count\", got %d fields", len(f))}
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return nil, &CountsError{Line: line, Err: ErrMalformed,
				Msg: fmt.Sprintf("count %q is not a non-negative integer", f[1])}
		}
		if seen[f[0]] {
			return nil, &CountsError{Line: line, Err: ErrDuplicate,
				Msg: fmt.Sprintf("word %q appears twice", f[0])}
		}
		seen[f[0]] = true
		m[fold(f[0])] += n
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("text: reading counts file after line %d: %w", line, err)
	}
	return NewCounts(m)
}

// P returns count(word)/total, and 0 for a word not in the counts (which
// SIFWeight turns into the largest weight, 1: a word too rare to be counted
// is treated as maximally informative). Cost: O(1).
func (c *Counts) P(word string) float64 {
	return float64(c.counts[word]) / float64(c.total)
}

// Len returns the number of distinct words; Total the sum of the counts.
func (c *Counts) Len() int { return len(c.counts) }

// Total returns the sum of all counts.
func (c *Counts) Total() uint64 { return c.total }
