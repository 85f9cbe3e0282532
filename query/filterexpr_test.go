package query_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vecbolt/vecbolt/query"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`lang = "en"`, `lang = "en"`},
		{`lang == "en"`, `lang = "en"`},
		{`lang != "en"`, `not lang = "en"`},
		{`year >= 2000`, `year >= 2000`},
		{`year > -1.5e3`, `year > -1500`},
		{`year < 10 and year <= 20`, `year < 10 and year <= 20`},
		{`tag in ("a", "b", 3, true, null)`, `tag in ("a", "b", 3, true, null)`},
		{`tag not in ()`, `not tag in ()`},
		{`exists(draft)`, `exists(draft)`},
		{`EXISTS ( "my field" )`, `exists("my field")`},
		{`not not exists(x)`, `not not exists(x)`},
		{`a = 1 or b = 2 and c = 3`, `a = 1 or b = 2 and c = 3`},
		{`(a = 1 or b = 2) and c = 3`, `(a = 1 or b = 2) and c = 3`},
		{`not (a = 1 and b = 2)`, `not (a = 1 and b = 2)`},
		{`((x = 1))`, `x = 1`},
		{`true`, `true`},
		{`false or x = 1`, `false or x = 1`},
		{`"and" = 1`, `"and" = 1`},
		{`user.name-first = "x"`, `user.name-first = "x"`},
		{`lang = "en" and year >= 2000 and tag in ("a", "b") and not exists(draft)`,
			`lang = "en" and year >= 2000 and tag in ("a", "b") and not exists(draft)`},
		{`AND_x = 1 And y = 2 OR z = 3`, `AND_x = 1 and y = 2 or z = 3`},
	}
	for _, tt := range tests {
		f, err := query.ParseFilter(tt.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.in, err)
			continue
		}
		if got := f.String(); got != tt.want {
			t.Errorf("ParseFilter(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		in     string
		column int
		msg    string
	}{
		{``, 1, "empty filter"},
		{`   `, 4, "empty filter"},
		{`lang = en`, 8, "quote strings"},
		{`lang = `, 8, "expected a value"},
		{`lang`, 5, "expected an operator"},
		{`lang ~ "x"`, 6, "unexpected character"},
		{`year >= "2000"`, 9, "compares numbers only"},
		{`a = 1 and`, 10, "expected a condition at the end"},
		{`a = 1 b = 2`, 7, "expected 'and', 'or'"},
		{`(a = 1`, 7, "expected ')'"},
		{`tag in ("a" "b")`, 13, "expected ',' or ')'"},
		{`tag in "a"`, 8, "expected '(' after in"},
		{`tag not "a"`, 9, "expected 'in' after 'not'"},
		{`exists draft`, 8, "expected '(' after exists"},
		{`lang = "en`, 8, "unterminated string"},
		{`x ! 1`, 3, "'!' must be followed"},
		{`x = 1e999`, 5, "bad number"},
		{`and = 1`, 1, "keyword"},
		{`ünï = "é" and ! `, 15, "'!' must be followed"},
	}
	for _, tt := range tests {
		_, err := query.ParseFilter(tt.in)
		var se *query.SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, query.ErrSyntax) {
			t.Errorf("ParseFilter(%q) = %v, want a *SyntaxError", tt.in, err)
			continue
		}
		if se.Column != tt.column || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("ParseFilter(%q): column %d %q, want column %d containing %q", tt.in, se.Column, se.Msg, tt.column, tt.msg)
		}
	}
}

func TestFilterConstructors(t *testing.T) {
	tests := []struct {
		f    query.Filter
		want string
	}{
		{query.Filter{}, "true"},
		{query.Eq("year", 2000), "year = 2000"},
		{query.Ne("lang", "en"), `not lang = "en"`},
		{query.In("tag", "a", int64(2), 2.5, false), `tag in ("a", 2, 2.5, false)`},
		{query.Range("year", 1990, 2000), "year >= 1990 and year <= 2000"},
		{query.And(query.Exists("a"), query.Range("y", 1, 2)), "exists(a) and (y >= 1 and y <= 2)"},
		{query.Or(query.Lt("a", 1), query.Gt("b", 2)), "a < 1 or b > 2"},
		{query.Not(query.Or(query.Le("a", 1), query.Ge("b", 2))), "not (a <= 1 or b >= 2)"},
		{query.And(), "true"},
		{query.Or(), "false"},
	}
	for _, tt := range tests {
		if err := tt.f.Err(); err != nil {
			t.Errorf("%s: %v", tt.want, err)
		}
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	for _, bad := range []query.Filter{
		query.Eq("a", []int{1}),
		query.In("a", 1, struct{}{}),
		query.Range("a", 2, 1),
		query.And(query.Exists("x"), query.Not(query.Eq("a", map[string]int{}))),
	} {
		if err := bad.Err(); !errors.Is(err, query.ErrFilter) {
			t.Errorf("%v: Err() = %v, want ErrFilter", bad, err)
		}
	}
}

// FuzzParseFilter checks that the parser never panics, that errors point
// inside the input, and that a parsed filter prints in a form that parses
// back to the same text.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`lang = "en" and year >= 2000 and tag in ("a", "b") and not exists(draft)`,
		`(a = 1 or b != "x") and not c < -2.5e3`, `x not in (1, "2", null)`, `exists("a\"b")`,
		`true or false`, `ünï = "é"`, `a = 1e999`, `"\xff" = 1`, `a = "\xff"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := query.ParseFilter(s)
		if err != nil {
			var se *query.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseFilter(%q): error %v is not a *SyntaxError", s, err)
			}
			if se.Column < 1 || se.Column > utf8.RuneCountInString(s)+1 {
				t.Fatalf("ParseFilter(%q): column %d outside 1..%d", s, se.Column, utf8.RuneCountInString(s)+1)
			}
			return
		}
		text := flt.String()
		again, err := query.ParseFilter(text)
		if err != nil {
			t.Fatalf("ParseFilter(%q) printed %q, which does not parse: %v", s, text, err)
		}
		if again.String() != text {
			t.Fatalf("round trip of %q: %q then %q", s, text, again.String())
		}
	})
}
