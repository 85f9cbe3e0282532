package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrSyntax is wrapped by every *SyntaxError.
var ErrSyntax = errors.New("query: syntax error")

// SyntaxError reports a malformed expression and the column (1-based, in
// characters) where the problem is.
type SyntaxError struct {
	Expr   string
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("query: expression column %d: %s\n  %s\n  %s^", e.Column, e.Msg, e.Expr, strings.Repeat(" ", e.Column-1))
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Term is one weighted operand of an expression: a key or a literal vector.
// Exactly one of Key and Vector is set.
type Term struct {
	Weight float64 // signed: "- man" has weight -1
	Key    string
	Vector []float32
	Column int // where the operand starts, 1-based
}

// Expr is a parsed vector-arithmetic expression: the sum of its terms.
type Expr struct {
	Terms []Term
}

// Positive returns the keys with positive weight, in order.
func (e Expr) Positive() []string { return e.keys(func(w float64) bool { return w > 0 }) }

// Negative returns the keys with negative weight, in order.
func (e Expr) Negative() []string { return e.keys(func(w float64) bool { return w < 0 }) }

func (e Expr) keys(pick func(float64) bool) []string {
	var out []string
	for _, t := range e.Terms {
		if t.Vector == nil && pick(t.Weight) {
			out = append(out, t.Key)
		}
	}
	return out
}

// ParseExpr parses vector arithmetic:
//
//	expr   = ["+" | "-"] term { ("+" | "-") term }
//	term   = [number "*"] operand
//	operand = key | quoted | "[" number { "," number } "]"
//
// A key is a run of characters other than space, '+', '*', '[', ']', '"'
// and, at its start, '-'; a '-' inside a key ("e-mail") belongs to the key,
// so subtraction needs spaces around it or a quoted key. Quoted keys use Go
// string syntax ("new york", "a\"b"). Examples:
//
//	king - man + woman
//	0.7*paris + 0.3*rome - france
//	"new york" - usa + france
//	[0.1, -0.2, 0.3] + king
func ParseExpr(s string) (Expr, error) {
	p := &parser{src: s}
	return p.parse()
}

type parser struct {
	src string
	pos int // byte offset
}

func (p *parser) errAt(pos int, format string, args ...any) error {
	return &SyntaxError{Expr: p.src, Column: utf8.RuneCountInString(p.src[:pos]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

func (p *parser) parse() (Expr, error) {
	var e Expr
	p.skipSpace()
	if p.pos == len(p.src) {
		return e, p.errAt(p.pos, "empty expression")
	}
	sign := 1.0
	if c := p.src[p.pos]; c == '+' || c == '-' {
		if c == '-' {
			sign = -1
		}
		p.pos++
	}
	for {
		t, err := p.term()
		if err != nil {
			return e, err
		}
		t.Weight *= sign
		e.Terms = append(e.Terms, t)
		p.skipSpace()
		if p.pos == len(p.src) {
			return e, nil
		}
		switch p.src[p.pos] {
		case '+':
			sign = 1
		case '-':
			sign = -1
		default:
			return e, p.errAt(p.pos, "expected '+' or '-' between terms, found %q", p.src[p.pos:p.pos+1])
		}
		p.pos++
	}
}

func (p *parser) term() (Term, error) {
	p.skipSpace()
	start := p.pos
	if p.pos == len(p.src) {
		return Term{}, p.errAt(p.pos, "expected a key, a quoted key or a [vector] at the end")
	}
	t := Term{Weight: 1, Column: utf8.RuneCountInString(p.src[:start]) + 1}
	// An optional weight: a number followed by '*'.
	if w, end, ok := p.number(p.pos); ok {
		q := end
		for q < len(p.src) && (p.src[q] == ' ' || p.src[q] == '\t') {
			q++
		}
		if q < len(p.src) && p.src[q] == '*' {
			t.Weight = w
			p.pos = q + 1
			p.skipSpace()
			t.Column = utf8.RuneCountInString(p.src[:p.pos]) + 1
		}
	}
	if p.pos == len(p.src) {
		return Term{}, p.errAt(p.pos, "expected a key after '*'")
	}
	switch c := p.src[p.pos]; {
	case c == '"':
		end := p.pos + 1
		for end < len(p.src) && p.src[end] != '"' {
			if p.src[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(p.src) {
			return Term{}, p.errAt(p.pos, "unterminated quoted key")
		}
		key, err := strconv.Unquote(p.src[p.pos : end+1])
		if err != nil {
			return Term{}, p.errAt(p.pos, "bad quoted key: %v", err)
		}
		if key == "" {
			return Term{}, p.errAt(p.pos, "empty quoted key")
		}
		t.Key = key
		p.pos = end + 1
	case c == '[':
		vec, err := p.vector()
		if err != nil {
			return Term{}, err
		}
		t.Vector = vec
	case c == '+' || c == '-' || c == '*' || c == ']':
		return Term{}, p.errAt(p.pos, "expected a key, a quoted key or a [vector], found %q", string(c))
	default:
		end := p.pos
		for end < len(p.src) {
			r, n := utf8.DecodeRuneInString(p.src[end:])
			if unicode.IsSpace(r) || r == '+' || r == '*' || r == '[' || r == ']' || r == '"' {
				break
			}
			end += n
		}
		t.Key = p.src[p.pos:end]
		p.pos = end
		if p.pos < len(p.src) && p.src[p.pos] == '*' {
			return Term{}, p.errAt(p.pos, "a weight must be a number, found %q before '*'", t.Key)
		}
	}
	return t, nil
}

// number reads a float at byte offset i without consuming it.
func (p *parser) number(i int) (float64, int, bool) {
	end := i
	for end < len(p.src) {
		c := p.src[end]
		if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || ((c == '-' || c == '+') && end > i && (p.src[end-1] == 'e' || p.src[end-1] == 'E')) {
			end++
			continue
		}
		break
	}
	if end == i {
		return 0, i, false
	}
	f, err := strconv.ParseFloat(p.src[i:end], 64)
	if err != nil {
		return 0, i, false
	}
	return f, end, true
}

func (p *parser) vector() ([]float32, error) {
	open := p.pos
	p.pos++ // '['
	var vec []float32
	for {
		p.skipSpace()
		if p.pos == len(p.src) {
			return nil, p.errAt(open, "unterminated vector: missing ']'")
		}
		if p.src[p.pos] == ']' && len(vec) == 0 {
			return nil, p.errAt(p.pos, "empty vector")
		}
		start := p.pos
		end := start
		for end < len(p.src) && !strings.ContainsRune(", \t]", rune(p.src[end])) {
			end++
		}
		f, err := strconv.ParseFloat(p.src[start:end], 32)
		if err != nil || end == start {
			return nil, p.errAt(start, "bad number %q in vector", p.src[start:end])
		}
		vec = append(vec, float32(f))
		p.pos = end
		p.skipSpace()
		if p.pos == len(p.src) {
			return nil, p.errAt(open, "unterminated vector: missing ']'")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return vec, nil
		default:
			return nil, p.errAt(p.pos, "expected ',' or ']' in vector, found %q", p.src[p.pos:p.pos+1])
		}
	}
}
