package text

import (
	"math"
	"math/bits"
)

// BM25 holds the parameters of Lucene's BM25Similarity.
//
// The score of a document d for a query q is
//
//	Σ_{t ∈ q} idf(t) · f(t,d) / (f(t,d) + k1·(1 − b + b·|d|/avgdl))
//	idf(t) = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))
//
// with f(t,d) the frequency of t in d, |d| the length of d in tokens, avgdl
// the mean length over the N documents and n(t) the number of documents
// holding t. This is Lucene 8+'s formula, which dropped the constant
// (k1 + 1) factor of the classic one (it does not change rankings). A term
// repeated in the query counts once per occurrence, as the repeated
// clauses of a Lucene BooleanQuery do.
//
// Lucene stores |d| in a one-byte norm (SmallFloat.intToByte4): lengths
// below 24 are exact, longer ones are rounded down to 4 significant bits.
// With Quantize false (the default) we use the exact length, which is the
// formula as published; with Quantize true we decode |d| through the same
// byte as Lucene does, so scores equal Lucene's up to floating point (we
// compute in float64, Lucene in float32: about 1e-7 relative). avgdl is
// exact in both, as in Lucene (sumTotalTermFreq / docCount).
//
// The zero value is k1 = 0, b = 0: every matching term scores its idf.
// Use DefaultBM25 for Lucene's defaults. A BM25 value is safe for
// concurrent use.
type BM25 struct {
	K1       float64 // term-frequency saturation, ≥ 0; Lucene's default 1.2
	B        float64 // length normalisation in [0, 1]; Lucene's default 0.75
	Quantize bool    // use Lucene's one-byte length norms
}

// DefaultBM25 returns Lucene's defaults: k1 = 1.2, b = 0.75, exact lengths.
func DefaultBM25() BM25 { return BM25{K1: 1.2, B: 0.75} }

// Validate checks k1 ≥ 0 and finite, and 0 ≤ b ≤ 1 (an *OptionError).
func (p BM25) Validate() error {
	if !(p.K1 >= 0) || math.IsInf(p.K1, 0) {
		return &OptionError{Name: "BM25 k1", Value: p.K1, Rule: "finite and zero or more"}
	}
	if !(p.B >= 0 && p.B <= 1) {
		return &OptionError{Name: "BM25 b", Value: p.B, Rule: "between 0 and 1"}
	}
	return nil
}

// IDF returns Lucene's BM25 idf, ln(1 + (N − n + 0.5)/(n + 0.5)), for a term
// found in n of N documents. It is positive for every 0 ≤ n ≤ N. Cost: O(1).
func IDF(docs, docFreq int64) float64 {
	return math.Log(1 + (float64(docs)-float64(docFreq)+0.5)/(float64(docFreq)+0.5))
}

// TermScore returns one term's contribution for a document: idf·f/(f +
// k1·(1 − b + b·|d|/avgdl)), with |d| = docLen quantised as Lucene does when
// p.Quantize is set. freq ≤ 0 scores 0; avgLen ≤ 0 (an empty corpus) is
// taken as 1. Cost: O(1).
func (p BM25) TermScore(idf float64, freq, docLen int, avgLen float64) float64 {
	if freq <= 0 {
		return 0
	}
	dl := float64(docLen)
	if p.Quantize {
		dl = float64(DecodeLength(EncodeLength(docLen)))
	}
	if !(avgLen > 0) {
		avgLen = 1
	}
	f := float64(freq)
	return idf * f / (f + p.K1*(1-p.B+p.B*dl/avgLen))
}

// Lucene's SmallFloat.intToByte4 reserves the byte values below
// numFreeValues for exact small lengths.
const (
	maxInt4       = 231 // longToInt4(math.MaxInt32)
	numFreeValues = 255 - maxInt4
)

func longToInt4(i uint64) int {
	nb := bits.Len64(i)
	if nb < 4 {
		return int(i) // subnormal
	}
	shift := nb - 4
	enc := int(i>>uint(shift)) & 0x07 // drop the implicit leading bit
	return enc | (shift+1)<<3
}

func int4ToLong(i int) uint64 {
	b := uint64(i & 0x07)
	shift := (i >> 3) - 1
	if shift == -1 {
		return b
	}
	return (b | 0x08) << uint(shift)
}

// EncodeLength is Lucene's SmallFloat.intToByte4, the one-byte norm of a
// document length: exact below 24, then 4 significant bits. Negative
// lengths encode as 0. Cost: O(1).
func EncodeLength(n int) byte {
	if n <= 0 {
		return 0
	}
	if n > math.MaxInt32 {
		n = math.MaxInt32
	}
	if n < numFreeValues {
		return byte(n)
	}
	return byte(numFreeValues + longToInt4(uint64(n-numFreeValues)))
}

// DecodeLength is Lucene's SmallFloat.byte4ToInt: the length a norm byte
// stands for, at most the encoded length. Cost: O(1).
func DecodeLength(b byte) int {
	if int(b) < numFreeValues {
		return int(b)
	}
	return numFreeValues + int(int4ToLong(int(b)-numFreeValues))
}

// Stats are the corpus statistics BM25 needs.
type Stats struct {
	Docs   int64 // number of documents (N)
	Tokens int64 // sum of document lengths in tokens
}

// AvgLen returns the mean document length, Tokens/Docs, or 0 for no
// documents.
func (s Stats) AvgLen() float64 {
	if s.Docs <= 0 {
		return 0
	}
	return float64(s.Tokens) / float64(s.Docs)
}

// TermFreq is a term and its number of occurrences in one document.
type TermFreq struct {
	Term string
	Freq int
}

// Count returns the distinct terms of a document with their frequencies,
// sorted by term, and the document's length (len(terms)). A store writes
// one posting key per element, so a document write costs O(distinct
// terms). Cost: O(t log t) for t terms. Safe for concurrent use.
func Count(terms []string) (tf []TermFreq, length int) {
	m := make(map[string]int, len(terms))
	for _, t := range terms {
		m[t]++
	}
	tf = make([]TermFreq, 0, len(m))
	for t, f := range m {
		tf = append(tf, TermFreq{Term: t, Freq: f})
	}
	sortTermFreqs(tf)
	return tf, len(terms)
}

// Terms returns the Text of each token, the form Count and Search take.
func Terms(tokens []Token) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = t.Text
	}
	return out
}
