package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseFilter parses the text form of a metadata filter:
//
//	filter  = or
//	or      = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" or ")" | "true" | "false" | "exists" "(" field ")"
//	        | field ("=" | "==" | "!=") value
//	        | field ("<" | "<=" | ">" | ">=") number
//	        | field ["not"] "in" "(" [ value { "," value } ] ")"
//	value   = string | number | "true" | "false" | "null"
//	field   = identifier | string
//
// Keywords are case-insensitive. An identifier is a letter or '_' followed
// by letters, digits, '_', '.' and '-'; other field names (and the keywords)
// are written as strings. Strings use Go syntax ("en", "a\"b"); numbers are
// decimal, with an optional sign, fraction and exponent. "and" binds tighter
// than "or". "f != v" is "not f = v" and matches records without f. For
// example:
//
//	lang = "en" and year >= 2000 and tag in ("a", "b") and not exists(draft)
//
// A malformed filter gives a *SyntaxError (wrapping ErrSyntax) with the
// 1-based column, in characters, of the offending token. Filter.String
// writes a filter back in this language.
func ParseFilter(s string) (Filter, error) {
	p := &filterParser{src: s}
	if err := p.next(); err != nil {
		return Filter{}, err
	}
	if p.tok.kind == tEOF {
		return Filter{}, p.errAt(p.tok, "empty filter")
	}
	f, err := p.or()
	if err != nil {
		return Filter{}, err
	}
	if p.tok.kind != tEOF {
		return Filter{}, p.errAt(p.tok, "expected 'and', 'or' or the end, found %s", p.tok)
	}
	return f, nil
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp // = == != < <= > >=
	tLParen
	tRParen
	tComma
	tKeyword // and or not in exists true false null (lower-cased in text)
)

type token struct {
	kind tokKind
	text string  // keyword lower-cased; identifier or operator as written; string unquoted
	num  float64 // tNumber
	pos  int     // byte offset in the source
	raw  string  // as written
}

func (t token) String() string {
	if t.kind == tEOF {
		return "the end"
	}
	return strconv.Quote(t.raw)
}

var filterKeywords = map[string]bool{"and": true, "or": true, "not": true, "in": true, "exists": true, "true": true, "false": true, "null": true}

func isKeyword(s string) bool { return filterKeywords[strings.ToLower(s)] }

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool {
	return isIdentStart(r) || unicode.IsDigit(r) || r == '.' || r == '-'
}

func isIdent(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError || (i == 0 && !isIdentStart(r)) || !isIdentPart(r) {
			return false
		}
	}
	return s != ""
}

type filterParser struct {
	src string
	pos int
	tok token
}

func (p *filterParser) errAt(t token, format string, args ...any) error {
	return &SyntaxError{Expr: p.src, Column: utf8.RuneCountInString(p.src[:t.pos]) + 1, Msg: fmt.Sprintf(format, args...)}
}

// next reads the next token into p.tok.
func (p *filterParser) next() error {
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			break
		}
		p.pos += n
	}
	start := p.pos
	t := token{pos: start}
	if p.pos == len(p.src) {
		p.tok = t
		return nil
	}
	c := p.src[p.pos]
	r, n := utf8.DecodeRuneInString(p.src[p.pos:])
	switch {
	case c == '(':
		t.kind, p.pos = tLParen, p.pos+1
	case c == ')':
		t.kind, p.pos = tRParen, p.pos+1
	case c == ',':
		t.kind, p.pos = tComma, p.pos+1
	case c == '=' || c == '<' || c == '>' || c == '!':
		end := p.pos + 1
		if end < len(p.src) && p.src[end] == '=' {
			end++
		}
		t.kind, t.text = tOp, p.src[p.pos:end]
		if t.text == "!" {
			t.raw = "!"
			return p.errAt(t, "'!' must be followed by '=' (use 'not' to negate)")
		}
		p.pos = end
	case c == '"':
		end := p.pos + 1
		for end < len(p.src) && p.src[end] != '"' {
			if p.src[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(p.src) {
			t.raw = p.src[start:]
			return p.errAt(t, "unterminated string")
		}
		s, err := strconv.Unquote(p.src[p.pos : end+1])
		if err != nil {
			t.raw = p.src[start : end+1]
			return p.errAt(t, "bad string %s: %v", p.src[p.pos:end+1], err)
		}
		t.kind, t.text, p.pos = tString, s, end+1
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		end := p.pos
		if c == '-' || c == '+' {
			end++
		}
		for end < len(p.src) {
			d := p.src[end]
			if (d >= '0' && d <= '9') || d == '.' || d == 'e' || d == 'E' ||
				((d == '-' || d == '+') && (p.src[end-1] == 'e' || p.src[end-1] == 'E')) {
				end++
				continue
			}
			break
		}
		t.raw = p.src[start:end]
		f, err := strconv.ParseFloat(t.raw, 64)
		if err != nil || end == start {
			return p.errAt(t, "bad number %q", t.raw)
		}
		t.kind, t.num, p.pos = tNumber, f, end
	case isIdentStart(r) && r != utf8.RuneError:
		end := p.pos + n
		for end < len(p.src) {
			r, n := utf8.DecodeRuneInString(p.src[end:])
			if r == utf8.RuneError || !isIdentPart(r) {
				break
			}
			end += n
		}
		t.kind, t.text = tIdent, p.src[p.pos:end]
		if isKeyword(t.text) {
			t.kind, t.text = tKeyword, strings.ToLower(t.text)
		}
		p.pos = end
	default:
		t.raw = string(r)
		if r == utf8.RuneError {
			t.raw = p.src[p.pos : p.pos+1]
		}
		return p.errAt(t, "unexpected character %q", t.raw)
	}
	t.raw = p.src[start:p.pos]
	p.tok = t
	return nil
}

func (p *filterParser) isKW(kw string) bool { return p.tok.kind == tKeyword && p.tok.text == kw }

func (p *filterParser) or() (Filter, error) {
	first, err := p.and()
	if err != nil {
		return Filter{}, err
	}
	kids := []Filter{first}
	for p.isKW("or") {
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		f, err := p.and()
		if err != nil {
			return Filter{}, err
		}
		kids = append(kids, f)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return Or(kids...), nil
}

func (p *filterParser) and() (Filter, error) {
	first, err := p.unary()
	if err != nil {
		return Filter{}, err
	}
	kids := []Filter{first}
	for p.isKW("and") {
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		f, err := p.unary()
		if err != nil {
			return Filter{}, err
		}
		kids = append(kids, f)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return And(kids...), nil
}

func (p *filterParser) unary() (Filter, error) {
	if p.isKW("not") {
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		f, err := p.unary()
		if err != nil {
			return Filter{}, err
		}
		return Not(f), nil
	}
	return p.primary()
}

func (p *filterParser) expect(kind tokKind, what string) error {
	if p.tok.kind != kind {
		return p.errAt(p.tok, "expected %s, found %s", what, p.tok)
	}
	return p.next()
}

func (p *filterParser) primary() (Filter, error) {
	t := p.tok
	switch {
	case t.kind == tLParen:
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		f, err := p.or()
		if err != nil {
			return Filter{}, err
		}
		return f, p.expect(tRParen, "')'")
	case p.isKW("true"), p.isKW("false"):
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		if t.text == "true" {
			return And(), nil
		}
		return Or(), nil
	case p.isKW("exists"):
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		if err := p.expect(tLParen, "'(' after exists"); err != nil {
			return Filter{}, err
		}
		name, err := p.field()
		if err != nil {
			return Filter{}, err
		}
		return Exists(name), p.expect(tRParen, "')'")
	case t.kind == tIdent || t.kind == tString:
		return p.comparison()
	case t.kind == tEOF:
		return Filter{}, p.errAt(t, "expected a condition at the end")
	case t.kind == tKeyword:
		return Filter{}, p.errAt(t, "expected a condition, found the keyword %s (quote a field with that name)", t)
	}
	return Filter{}, p.errAt(t, "expected a condition, found %s", t)
}

func (p *filterParser) field() (string, error) {
	t := p.tok
	if t.kind != tIdent && t.kind != tString {
		return "", p.errAt(t, "expected a field name, found %s", t)
	}
	return t.text, p.next()
}

func (p *filterParser) comparison() (Filter, error) {
	name, err := p.field()
	if err != nil {
		return Filter{}, err
	}
	op := p.tok
	switch {
	case op.kind == tOp:
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		switch op.text {
		case "=", "==", "!=":
			v, err := p.value()
			if err != nil {
				return Filter{}, err
			}
			f := Filter{op: opEq, field: name, vals: []metaValue{v}}
			if op.text == "!=" {
				return Not(f), nil
			}
			return f, nil
		}
		vt := p.tok
		if vt.kind != tNumber {
			return Filter{}, p.errAt(vt, "%s compares numbers only, found %s", op.text, vt)
		}
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		switch op.text {
		case "<":
			return Lt(name, vt.num), nil
		case "<=":
			return Le(name, vt.num), nil
		case ">":
			return Gt(name, vt.num), nil
		default:
			return Ge(name, vt.num), nil
		}
	case p.isKW("not"), p.isKW("in"):
		neg := p.isKW("not")
		if neg {
			if err := p.next(); err != nil {
				return Filter{}, err
			}
			if !p.isKW("in") {
				return Filter{}, p.errAt(p.tok, "expected 'in' after 'not', found %s", p.tok)
			}
		}
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		if err := p.expect(tLParen, "'(' after in"); err != nil {
			return Filter{}, err
		}
		f := Filter{op: opIn, field: name, vals: []metaValue{}}
		for p.tok.kind != tRParen {
			if len(f.vals) > 0 {
				if err := p.expect(tComma, "',' or ')'"); err != nil {
					return Filter{}, err
				}
			}
			v, err := p.value()
			if err != nil {
				return Filter{}, err
			}
			f.vals = append(f.vals, v)
		}
		if err := p.next(); err != nil {
			return Filter{}, err
		}
		if neg {
			return Not(f), nil
		}
		return f, nil
	}
	return Filter{}, p.errAt(op, "expected an operator (=, !=, <, <=, >, >=, in) after the field %q, found %s", name, op)
}

func (p *filterParser) value() (metaValue, error) {
	t := p.tok
	var v metaValue
	switch {
	case t.kind == tString:
		v = metaValue{kind: kindStr, str: t.text}
	case t.kind == tNumber:
		v = metaValue{kind: kindNum, num: t.num}
	case p.isKW("true"):
		v = metaValue{kind: kindBool, num: 1}
	case p.isKW("false"):
		v = metaValue{kind: kindBool}
	case p.isKW("null"):
		v = metaValue{kind: kindNull}
	case t.kind == tIdent:
		return v, p.errAt(t, "expected a value, found %s (quote strings: \"%s\")", t, t.text)
	default:
		return v, p.errAt(t, "expected a value (a \"string\", a number, true, false or null), found %s", t)
	}
	return v, p.next()
}
