package langchaingo

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/vecbolt/vecbolt/query"
)

// Filter maps the value given to langchaingo's vectorstores.WithFilters to
// a vecbolt query.Filter. It accepts:
//
//   - nil: no filter;
//   - a query.Filter, used as it is;
//   - a string in the filter language of query.ParseFilter, such as
//     `lang = "en" and year >= 2000`;
//   - a map[string]any (or map[string]string) in the style of Chroma and
//     Pinecone: each field maps to a value, which it must equal (string,
//     bool, number or nil for JSON null), or to a map of operators on that field, "$eq",
//     "$ne", "$gt", "$gte", "$lt", "$lte" (numbers), "$in", "$nin" (lists)
//     and "$exists" (bool); "$and" and "$or" take a list of such maps. All
//     the entries of one map must hold (and).
//
// vecbolt's filters look at the top-level fields of a record's metadata
// only, so a map value that is not an operator map (a nested field) is
// refused, as are a bare list (say {"$in": [...]}), an unknown
// operator, a comparison with a non-number and every other type. The error
// is a *FilterError wrapping ErrFilter that names the offending part; a
// string that does not parse gives query's *SyntaxError.
//
// Cost: O(size of the filter). Safe for concurrent use.
func Filter(v any) (query.Filter, error) {
	switch f := v.(type) {
	case nil:
		return query.Filter{}, nil
	case query.Filter:
		if err := f.Err(); err != nil {
			return query.Filter{}, fmt.Errorf("langchaingo: %w", err)
		}
		return f, nil
	case string:
		q, err := query.ParseFilter(f)
		if err != nil {
			return query.Filter{}, fmt.Errorf("langchaingo: filter %q: %w", f, err)
		}
		return q, nil
	case map[string]string:
		m := make(map[string]any, len(f))
		for k, x := range f {
			m[k] = x
		}
		return checked(mapFilter("filters", m))
	case map[string]any:
		return checked(mapFilter("filters", f))
	}
	return query.Filter{}, &FilterError{Path: "filters", Msg: fmt.Sprintf("a %T is not a filter (want a map[string]any, a filter string or a query.Filter)", v)}
}

// checked reports a construction error of f (a NaN bound, say) that the
// mapping let through.
func checked(f query.Filter, err error) (query.Filter, error) {
	if err != nil {
		return query.Filter{}, err
	}
	if err := f.Err(); err != nil {
		return query.Filter{}, &FilterError{Path: "filters", Msg: strings.TrimPrefix(err.Error(), query.ErrFilter.Error()+": ")}
	}
	return f, nil
}

// mapFilter maps one filter map, its entries in key order so that the
// result (and its String) does not depend on map iteration.
func mapFilter(path string, m map[string]any) (query.Filter, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []query.Filter
	for _, k := range keys {
		p := fmt.Sprintf("%s[%q]", path, k)
		var f query.Filter
		var err error
		switch {
		case k == "$and" || k == "$or":
			f, err = logical(p, k, m[k])
		case strings.HasPrefix(k, "$"):
			err = &FilterError{Path: p, Msg: `unknown operator at the top of a filter (want a field, "$and" or "$or")`}
		default:
			f, err = fieldFilter(p, k, m[k])
		}
		if err != nil {
			return query.Filter{}, err
		}
		parts = append(parts, f)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return query.And(parts...), nil
}

// logical maps "$and" / "$or" over a list of filter maps.
func logical(path, op string, v any) (query.Filter, error) {
	list, ok := asList(v)
	if !ok {
		return query.Filter{}, &FilterError{Path: path, Msg: fmt.Sprintf("%s takes a list of filter maps, not a %T", op, v)}
	}
	if len(list) == 0 {
		return query.Filter{}, &FilterError{Path: path, Msg: op + " has no filters"}
	}
	kids := make([]query.Filter, len(list))
	for i, x := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		m, ok := asMap(x)
		if !ok {
			return query.Filter{}, &FilterError{Path: p, Msg: fmt.Sprintf("a %T is not a filter map", x)}
		}
		f, err := mapFilter(p, m)
		if err != nil {
			return query.Filter{}, err
		}
		kids[i] = f
	}
	if op == "$and" {
		return query.And(kids...), nil
	}
	return query.Or(kids...), nil
}

// fieldFilter maps the condition on one metadata field.
func fieldFilter(path, field string, v any) (query.Filter, error) {
	if m, ok := asMap(v); ok {
		return operators(path, field, m)
	}
	if _, ok := asList(v); ok {
		return query.Filter{}, &FilterError{Path: path, Msg: `a list is not a value to compare with; use {"$in": [...]}`}
	}
	x, err := scalar(path, v)
	if err != nil {
		return query.Filter{}, err
	}
	return query.Eq(field, x), nil
}

// operators maps {"$gt": 1, "$lt": 5, ...} on field; all must hold.
func operators(path, field string, m map[string]any) (query.Filter, error) {
	if len(m) == 0 {
		return query.Filter{}, &FilterError{Path: path, Msg: "an empty map is not a condition"}
	}
	ops := make([]string, 0, len(m))
	for k := range m {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	parts := make([]query.Filter, 0, len(ops))
	for _, op := range ops {
		p := fmt.Sprintf("%s[%q]", path, op)
		v := m[op]
		var f query.Filter
		switch op {
		case "$eq", "$ne":
			x, err := scalar(p, v)
			if err != nil {
				return query.Filter{}, err
			}
			f = query.Eq(field, x)
			if op == "$ne" {
				f = query.Ne(field, x)
			}
		case "$gt", "$gte", "$lt", "$lte":
			x, err := number(p, v)
			if err != nil {
				return query.Filter{}, err
			}
			f = map[string]func(string, float64) query.Filter{"$gt": query.Gt, "$gte": query.Ge, "$lt": query.Lt, "$lte": query.Le}[op](field, x)
		case "$in", "$nin":
			list, ok := asList(v)
			if !ok {
				return query.Filter{}, &FilterError{Path: p, Msg: fmt.Sprintf("%s takes a list, not a %T", op, v)}
			}
			xs := make([]any, len(list))
			for i, e := range list {
				x, err := scalar(fmt.Sprintf("%s[%d]", p, i), e)
				if err != nil {
					return query.Filter{}, err
				}
				xs[i] = x
			}
			f = query.In(field, xs...)
			if op == "$nin" {
				f = query.Not(f)
			}
		case "$exists":
			b, ok := v.(bool)
			if !ok {
				return query.Filter{}, &FilterError{Path: p, Msg: fmt.Sprintf("$exists takes true or false, not a %T", v)}
			}
			f = query.Exists(field)
			if !b {
				f = query.Not(f)
			}
		default:
			msg := "unknown operator (want $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin or $exists)"
			if !strings.HasPrefix(op, "$") {
				msg = "nested fields are not supported: vecbolt filters look at the top-level fields of the metadata"
			}
			return query.Filter{}, &FilterError{Path: p, Msg: msg}
		}
		parts = append(parts, f)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return query.And(parts...), nil
}

// scalar checks that v is a value query.Eq accepts: nil (JSON null), a
// string, a bool, a Go integer or float, or a json.Number.
func scalar(path string, v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, json.Number:
		return x, nil
	}
	if _, ok := toFloat(v); ok {
		return v, nil
	}
	return nil, &FilterError{Path: path, Msg: fmt.Sprintf("a %T is not a value to compare with (want a string, a bool, a number or nil)", v)}
}

// number returns v as a float64 for a range operator.
func number(path string, v any) (float64, error) {
	if n, ok := v.(json.Number); ok {
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, &FilterError{Path: path, Msg: fmt.Sprintf("%q is not a number", string(n))}
		}
		return f, nil
	}
	if f, ok := toFloat(v); ok {
		return f, nil
	}
	return 0, &FilterError{Path: path, Msg: fmt.Sprintf("a comparison needs a number, not a %T", v)}
}

func toFloat(v any) (float64, bool) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(r.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(r.Uint()), true
	case reflect.Float32, reflect.Float64:
		return r.Float(), true
	}
	return 0, false
}

// asMap accepts map[string]any and map[string]string.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[k] = x
		}
		return out, true
	}
	return nil, false
}

// asList accepts any slice or array ([]any, []string, []int,
// []map[string]any, ...), but not a string or []byte.
func asList(v any) ([]any, bool) {
	r := reflect.ValueOf(v)
	if r.Kind() != reflect.Slice && r.Kind() != reflect.Array {
		return nil, false
	}
	if r.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false
	}
	out := make([]any, r.Len())
	for i := range out {
		out[i] = r.Index(i).Interface()
	}
	return out, true
}
