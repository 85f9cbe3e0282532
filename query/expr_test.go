package query_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

func TestParseExpr(t *testing.T) {
	tests := []struct {
		in   string
		want []query.Term
	}{
		{"king - man + woman", []query.Term{{Weight: 1, Key: "king", Column: 1}, {Weight: -1, Key: "man", Column: 8}, {Weight: 1, Key: "woman", Column: 14}}},
		{"0.7*paris + 0.3*rome - france", []query.Term{{Weight: 0.7, Key: "paris", Column: 5}, {Weight: 0.3, Key: "rome", Column: 17}, {Weight: -1, Key: "france", Column: 24}}},
		{`"new york" - usa`, []query.Term{{Weight: 1, Key: "new york", Column: 1}, {Weight: -1, Key: "usa", Column: 14}}},
		{"[0.1, -0.2,3] + king", []query.Term{{Weight: 1, Vector: []float32{0.1, -0.2, 3}, Column: 1}, {Weight: 1, Key: "king", Column: 17}}},
		{"-man", []query.Term{{Weight: -1, Key: "man", Column: 2}}},
		{"e-mail + 2006", []query.Term{{Weight: 1, Key: "e-mail", Column: 1}, {Weight: 1, Key: "2006", Column: 10}}},
		{"2 * king", []query.Term{{Weight: 2, Key: "king", Column: 5}}},
		{`"a\"b"`, []query.Term{{Weight: 1, Key: `a"b`, Column: 1}}},
		{"  straße -  café ", []query.Term{{Weight: 1, Key: "straße", Column: 3}, {Weight: -1, Key: "café", Column: 13}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := query.ParseExpr(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(e.Terms, tt.want) {
				t.Fatalf("got %+v\nwant %+v", e.Terms, tt.want)
			}
		})
	}
}

func TestParseExprErrors(t *testing.T) {
	tests := []struct {
		in  string
		col int
	}{
		{"", 1},
		{"   ", 4},
		{"king -", 7},
		{"king + + man", 8},
		{"king man", 6},
		{`"new york - usa`, 1},
		{"[0.1, x] + king", 7},
		{"[0.1, 0.2", 1},
		{"[]", 2},
		{"king * man", 6},
		{`"" + king`, 1},
		{"2 *", 4},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := query.ParseExpr(tt.in)
			var se *query.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseExpr(%q) = %v, want *SyntaxError", tt.in, err)
			}
			if !errors.Is(err, query.ErrSyntax) {
				t.Fatalf("error does not wrap ErrSyntax")
			}
			if se.Column != tt.col {
				t.Fatalf("column = %d, want %d (%v)", se.Column, tt.col, err)
			}
		})
	}
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{"king - man + woman", `"new york" - usa`, "0.7*paris + 0.3*rome - france", "[1,2,3]", "-x", "2 *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := query.ParseExpr(s)
		if err != nil {
			var se *query.SyntaxError
			if !errors.As(err, &se) || se.Column < 1 {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		if len(e.Terms) == 0 {
			t.Fatal("no terms and no error")
		}
		for _, term := range e.Terms {
			if (term.Key == "") == (term.Vector == nil) {
				t.Fatalf("term %+v must have exactly one of key and vector", term)
			}
		}
	})
}
