package langchaingo_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/langchaingo"
)

// The mapped filter, written back in query's filter language, is the
// filter a reader expects from the map.
func TestFilterMapping(t *testing.T) {
	cases := []struct {
		in   any
		want query.Filter
	}{
		{nil, query.Filter{}},
		{map[string]any{"lang": "en"}, query.Eq("lang", "en")},
		{map[string]any{"lang": "en", "year": 2001}, query.And(query.Eq("lang", "en"), query.Eq("year", 2001))},
		{map[string]any{"draft": false, "score": 0.5}, query.And(query.Eq("draft", false), query.Eq("score", 0.5))},
		{map[string]any{"n": json.Number("7")}, query.Eq("n", json.Number("7"))},
		{map[string]any{"gone": nil}, query.Eq("gone", nil)},
		{map[string]string{"a": "x"}, query.Eq("a", "x")},
		{map[string]any{"year": map[string]any{"$gte": 2000, "$lt": uint8(10)}}, query.And(query.Ge("year", 2000), query.Lt("year", 10))},
		{map[string]any{"year": map[string]any{"$gt": json.Number("1.5"), "$lte": float32(3)}}, query.And(query.Gt("year", 1.5), query.Le("year", 3))},
		{map[string]any{"y": map[string]any{"$eq": "a"}}, query.Eq("y", "a")},
		{map[string]any{"y": map[string]any{"$ne": 3}}, query.Ne("y", 3)},
		{map[string]any{"tag": map[string]any{"$in": []any{"a", 2, true}}}, query.In("tag", "a", 2, true)},
		{map[string]any{"tag": map[string]any{"$nin": []string{"a", "b"}}}, query.Not(query.In("tag", "a", "b"))},
		{map[string]any{"tag": map[string]any{"$exists": true}}, query.Exists("tag")},
		{map[string]any{"tag": map[string]any{"$exists": false}}, query.Not(query.Exists("tag"))},
		{map[string]any{"$or": []map[string]any{{"a": 1}, {"b": map[string]string{"$ne": "x"}}}}, query.Or(query.Eq("a", 1), query.Ne("b", "x"))},
		{map[string]any{"$and": []any{map[string]any{"a": 1}}, "c": "d"}, query.And(query.And(query.Eq("a", 1)), query.Eq("c", "d"))},
		{`lang = "en" and year >= 2000`, query.And(query.Eq("lang", "en"), query.Ge("year", 2000))},
		{query.In("x", 1, 2), query.In("x", 1, 2)},
	}
	for _, tc := range cases {
		got, err := langchaingo.Filter(tc.in)
		if err != nil {
			t.Errorf("Filter(%#v): %v", tc.in, err)
			continue
		}
		if got.String() != tc.want.String() {
			t.Errorf("Filter(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	cases := []struct {
		in        any
		path, msg string
	}{
		{42, "filters", "a int is not a filter"},
		{[]any{map[string]any{"a": 1}}, "filters", "a []interface {} is not a filter"},
		{map[string]int{"a": 1}, "filters", "map[string]int is not a filter"},
		{map[string]any{"a": []any{1, 2}}, `filters["a"]`, `use {"$in": [...]}`},
		{map[string]any{"a": map[string]any{"b": 1}}, `filters["a"]["b"]`, "nested fields are not supported"},
		{map[string]any{"a": map[string]any{}}, `filters["a"]`, "an empty map"},
		{map[string]any{"a": map[string]any{"$regex": "x"}}, `filters["a"]["$regex"]`, "unknown operator"},
		{map[string]any{"$not": map[string]any{"a": 1}}, `filters["$not"]`, "unknown operator at the top"},
		{map[string]any{"a": map[string]any{"$gt": "2000"}}, `filters["a"]["$gt"]`, "needs a number, not a string"},
		{map[string]any{"a": map[string]any{"$gt": json.Number("x1")}}, `filters["a"]["$gt"]`, `"x1" is not a number`},
		{map[string]any{"a": map[string]any{"$in": "x"}}, `filters["a"]["$in"]`, "takes a list, not a string"},
		{map[string]any{"a": map[string]any{"$in": []any{"x", []int{1}}}}, `filters["a"]["$in"][1]`, "a []int is not a value"},
		{map[string]any{"a": map[string]any{"$exists": 1}}, `filters["a"]["$exists"]`, "takes true or false"},
		{map[string]any{"a": map[string]any{"$eq": struct{}{}}}, `filters["a"]["$eq"]`, "struct {} is not a value"},
		{map[string]any{"$and": map[string]any{"a": 1}}, `filters["$and"]`, "takes a list of filter maps"},
		{map[string]any{"$or": []any{}}, `filters["$or"]`, "$or has no filters"},
		{map[string]any{"$or": []any{"a = 1"}}, `filters["$or"][0]`, "a string is not a filter map"},
		{map[string]any{"$and": []any{map[string]any{"a": map[string]any{"$lt": []int{1}}}}}, `filters["$and"][0]["a"]["$lt"]`, "needs a number"},
		{map[string]any{"a": map[string]any{"$gt": math.NaN()}}, "filters", "NaN"},
		{map[string]any{"a": math.Inf(1)}, "filters", ""},
	}
	for _, tc := range cases {
		_, err := langchaingo.Filter(tc.in)
		var fe *langchaingo.FilterError
		if !errors.As(err, &fe) || !errors.Is(err, langchaingo.ErrFilter) {
			t.Errorf("Filter(%#v): %v, want a *FilterError", tc.in, err)
			continue
		}
		if fe.Path != tc.path || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("Filter(%#v): path %q msg %q, want %q containing %q", tc.in, fe.Path, fe.Msg, tc.path, tc.msg)
		}
	}
	// A string that does not parse is query's syntax error; a query.Filter
	// with a construction error is refused.
	if _, err := langchaingo.Filter(`year >=`); !errors.Is(err, query.ErrSyntax) {
		t.Errorf("bad filter string: %v", err)
	}
	if _, err := langchaingo.Filter(query.Eq("a", []int{1})); err == nil || !errors.Is(err, query.ErrFilter) {
		t.Errorf("bad query.Filter: %v", err)
	}
}
