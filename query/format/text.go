package format

import (
	"fmt"
	"io"
	"math"
	"strconv"
)

// span is a field of a text line: line[start:end].
type span struct{ start, end int }

// splitFields appends the fields of line, separated by runs of spaces, tabs
// and carriage returns, to dst.
func splitFields(dst []span, line []byte) []span {
	i := 0
	for i < len(line) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) {
			if c := line[j]; c <= ' ' && isSpace(c) {
				break
			}
			j++
		}
		dst = append(dst, span{i, j})
		i = j
	}
	return dst
}

// digits reports whether b is a non-empty run of ASCII digits.
func digits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseHeader parses a word2vec header line "count dim". ok is false when the
// line is not two unsigned integers; err is set when it is but the values
// are out of range.
func (r *Reader) parseHeader(line []byte) (ok bool, err error) {
	r.fields = splitFields(r.fields[:0], line)
	if len(r.fields) != 2 {
		return false, nil
	}
	c, d := r.fields[0], r.fields[1]
	if !digits(line[c.start:c.end]) || !digits(line[d.start:d.end]) {
		return false, nil
	}
	count, err1 := strconv.ParseInt(string(line[c.start:c.end]), 10, 64)
	dim, err2 := strconv.Atoi(string(line[d.start:d.end]))
	switch {
	case err1 != nil || count > math.MaxInt32:
		return true, r.errorf(c.start+1, fmt.Errorf("%w: record count %s out of range", ErrHeader, line[c.start:c.end]))
	case err2 != nil || dim < 1 || dim > MaxDim:
		return true, r.errorf(d.start+1, fmt.Errorf("%w: dimension %s out of range [1, %d]", ErrHeader, line[d.start:d.end], MaxDim))
	case r.dim != 0 && dim != r.dim:
		return true, r.errorf(d.start+1, &DimensionError{Got: dim, Want: r.dim})
	}
	r.cnt, r.dim = int(count), dim
	return true, nil
}

// textHeader reads the header of word2vec text, or sniffs one in GloVe: a
// first line of exactly two unsigned integers.
func (r *Reader) textHeader() error {
	line, err := r.nextLine()
	if err == io.EOF {
		if r.f == Word2VecText {
			return r.errorf(0, fmt.Errorf("%w: empty input, want a \"count dim\" header", ErrHeader))
		}
		r.err = io.EOF
		return nil
	}
	if err != nil {
		return err
	}
	ok, err := r.parseHeader(line)
	if err != nil {
		return err
	}
	if !ok {
		if r.f == Word2VecText {
			return r.errorf(0, fmt.Errorf("%w: first line %s is not a word2vec header \"count dim\"", ErrHeader, quote(line)))
		}
		r.pending, r.hasPend = line, true
	}
	r.recLine = 0
	return nil
}

// readText reads a GloVe or word2vec text record.
func (r *Reader) readText() (Record, error) {
	line, err := r.nextLine()
	if err != nil {
		return Record{}, err
	}
	r.rec++
	r.fields = splitFields(r.fields[:0], line)
	f := r.fields
	nv := len(f) - 1
	if r.dim != 0 && nv > r.dim {
		nv = r.dim // the key has spaces in it
	}
	if err := r.checkDim(nv); err != nil {
		return Record{}, r.errorf(0, err)
	}
	first := len(f) - nv
	vec := make([]float32, nv)
	for i := range vec {
		s := f[first+i]
		v, err := parseFloat(line[s.start:s.end], i)
		if err != nil {
			return Record{}, r.errorf(s.start+1, err)
		}
		vec[i] = v
	}
	if r.dim == 0 {
		r.dim = nv
	}
	return Record{Key: string(line[f[0].start:f[first-1].end]), Vector: vec}, nil
}

// parseFloat parses component i (0-based) of a vector.
func parseFloat(tok []byte, i int) (float32, error) {
	if v, ok := fastFloat(tok); ok {
		return v, nil
	}
	v, err := strconv.ParseFloat(string(tok), 32)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && math.IsInf(v, 0) {
			return 0, fmt.Errorf("%w: component %d: %s is out of float32 range", ErrNotFinite, i+1, quote(tok))
		}
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, fmt.Errorf("%w: component %d: invalid number %s", ErrMalformed, i+1, quote(tok))
		}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: component %d is %s", ErrNotFinite, i+1, tok)
	}
	return float32(v), nil
}

// float32pow10 holds the powers of ten that are exact in a float32.
var float32pow10 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// fastFloat parses the common short decimals ("-0.038194") without
// strconv: a sign, digits, an optional fraction and no exponent, whose
// digits form an integer m < 2^23 with at most 10 after the point. Then m
// and the power of ten are exact float32s and one division rounds
// correctly (the fast path of Clinger, 1990, which strconv also takes).
// ok is false for anything else, which strconv then parses.
func fastFloat(tok []byte) (f float32, ok bool) {
	i := 0
	neg := false
	if len(tok) > 0 && (tok[0] == '-' || tok[0] == '+') {
		neg = tok[0] == '-'
		i = 1
	}
	var m uint32
	digits, frac := 0, -1
	for ; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint32(c-'0')
			if m >= 1<<23 {
				return 0, false
			}
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 || frac > 10 {
		return 0, false
	}
	f = float32(m)
	if frac > 0 {
		f /= float32pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}
