package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/vecbolt/vecbolt/store"
)

// ErrFilter is wrapped by the error a search returns for an invalid Filter
// (a value of an unsupported Go type, or a range with lo > hi).
var ErrFilter = errors.New("query: invalid filter")

// Filter is a predicate over a record's metadata, built with [Eq], [Ne],
// [In], [Range], [Lt], [Le], [Gt], [Ge], [Exists], [And], [Or] and [Not], or
// parsed from text with [ParseFilter]. The zero Filter matches every record.
//
// Filters look at the top-level fields of the metadata object only. A field
// holding an array matches Eq, In and the ranges when any of its elements
// does. Numbers compare as float64, strings exactly (case-sensitive), and a
// number never equals a string ("2000" is not 2000). Ordering comparisons
// (Range, Lt, ...) apply to numbers only. A record without metadata has no
// fields: Exists is false and Eq, In and the ranges fail for it, so
// Not(Eq(...)) and Ne match it.
//
// A Filter is an immutable value, safe to share between goroutines.
type Filter struct {
	op     filterOp
	field  string
	vals   []metaValue // opEq, opIn
	lo, hi float64     // opRange
	loInc  bool
	hiInc  bool
	kids   []Filter // opAnd, opOr, opNot
	err    error
}

type filterOp uint8

const (
	opAll filterOp = iota // the zero Filter
	opEq
	opIn
	opRange
	opExists
	opAnd
	opOr
	opNot
)

// IsZero reports whether f is the zero Filter, which matches everything.
func (f Filter) IsZero() bool { return f.op == opAll && f.err == nil }

// Err returns the construction error of f or of any filter inside it, or nil.
func (f Filter) Err() error {
	if f.err != nil {
		return f.err
	}
	for _, k := range f.kids {
		if err := k.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Eq matches records whose field equals v. v may be a string, a bool, any
// Go integer or float type, or json.Number; another type makes a Filter
// whose Err is non-nil (searches then fail with ErrFilter).
func Eq(field string, v any) Filter {
	mv, err := toMetaValue(v)
	if err != nil {
		return Filter{err: fmt.Errorf("%w: field %q: %v", ErrFilter, field, err)}
	}
	return Filter{op: opEq, field: field, vals: []metaValue{mv}}
}

// Ne is Not(Eq(field, v)): it also matches records without the field.
func Ne(field string, v any) Filter { return Not(Eq(field, v)) }

// In matches records whose field equals one of vs (see Eq for the types).
// In with no values matches nothing.
func In(field string, vs ...any) Filter {
	f := Filter{op: opIn, field: field, vals: make([]metaValue, 0, len(vs))}
	for _, v := range vs {
		mv, err := toMetaValue(v)
		if err != nil {
			return Filter{err: fmt.Errorf("%w: field %q: %v", ErrFilter, field, err)}
		}
		f.vals = append(f.vals, mv)
	}
	return f
}

// Range matches records whose field is a number in [lo, hi], both ends
// included. Use math.Inf for an open end, or Lt, Le, Gt, Ge. lo > hi or a
// NaN bound makes a Filter whose Err is non-nil.
func Range(field string, lo, hi float64) Filter { return rangeFilter(field, lo, true, hi, true) }

// Lt matches records whose field is a number < x.
func Lt(field string, x float64) Filter { return rangeFilter(field, math.Inf(-1), true, x, false) }

// Le matches records whose field is a number <= x.
func Le(field string, x float64) Filter { return rangeFilter(field, math.Inf(-1), true, x, true) }

// Gt matches records whose field is a number > x.
func Gt(field string, x float64) Filter { return rangeFilter(field, x, false, math.Inf(1), true) }

// Ge matches records whose field is a number >= x.
func Ge(field string, x float64) Filter { return rangeFilter(field, x, true, math.Inf(1), true) }

func rangeFilter(field string, lo float64, loInc bool, hi float64, hiInc bool) Filter {
	if math.IsNaN(lo) || math.IsNaN(hi) || lo > hi {
		return Filter{err: fmt.Errorf("%w: field %q: empty range [%g, %g]", ErrFilter, field, lo, hi)}
	}
	return Filter{op: opRange, field: field, lo: lo, loInc: loInc, hi: hi, hiInc: hiInc}
}

// Exists matches records whose metadata has the field (any value, null
// included).
func Exists(field string) Filter { return Filter{op: opExists, field: field} }

// And matches records that every filter matches; And() matches everything.
func And(fs ...Filter) Filter { return Filter{op: opAnd, kids: append([]Filter(nil), fs...)} }

// Or matches records that at least one filter matches; Or() matches nothing.
func Or(fs ...Filter) Filter { return Filter{op: opOr, kids: append([]Filter(nil), fs...)} }

// Not matches the records f does not match.
func Not(f Filter) Filter { return Filter{op: opNot, kids: []Filter{f}} }

// String returns f in the text language of ParseFilter; parsing it gives
// an equivalent filter. The zero Filter is "true".
func (f Filter) String() string {
	var b strings.Builder
	f.write(&b, 0)
	return b.String()
}

// write appends f; prec is the binding strength of the context (0 top,
// 1 inside or, 2 inside and, 3 inside not).
func (f Filter) write(b *strings.Builder, prec int) {
	if f.err != nil {
		b.WriteString("<invalid>")
		return
	}
	switch f.op {
	case opAll:
		b.WriteString("true")
	case opEq:
		b.WriteString(quoteField(f.field))
		b.WriteString(" = ")
		b.WriteString(f.vals[0].String())
	case opIn:
		b.WriteString(quoteField(f.field))
		b.WriteString(" in (")
		for i, v := range f.vals {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v.String())
		}
		b.WriteString(")")
	case opRange:
		lo, hi := !math.IsInf(f.lo, -1), !math.IsInf(f.hi, 1)
		if lo && hi && prec > 2 {
			b.WriteString("(")
		}
		if lo {
			b.WriteString(quoteField(f.field))
			if f.loInc {
				b.WriteString(" >= ")
			} else {
				b.WriteString(" > ")
			}
			b.WriteString(formatNum(f.lo))
		}
		if lo && hi {
			b.WriteString(" and ")
		}
		if hi || !lo {
			b.WriteString(quoteField(f.field))
			if f.hiInc {
				b.WriteString(" <= ")
			} else {
				b.WriteString(" < ")
			}
			b.WriteString(formatNum(f.hi))
		}
		if lo && hi && prec > 2 {
			b.WriteString(")")
		}
	case opExists:
		b.WriteString("exists(")
		b.WriteString(quoteField(f.field))
		b.WriteString(")")
	case opNot:
		b.WriteString("not ")
		f.kids[0].write(b, 3)
	case opAnd, opOr:
		if len(f.kids) == 0 {
			if f.op == opAnd {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
			return
		}
		my, sep := 2, " and "
		if f.op == opOr {
			my, sep = 1, " or "
		}
		paren := prec > my || (len(f.kids) == 1 && prec > 0)
		if paren {
			b.WriteString("(")
		}
		for i, k := range f.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.write(b, my+1)
		}
		if paren {
			b.WriteString(")")
		}
	}
}

func formatNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// quoteField returns name bare when it lexes as an identifier and is not a
// keyword, quoted otherwise.
func quoteField(name string) string {
	if isIdent(name) && !isKeyword(name) {
		return name
	}
	return strconv.Quote(name)
}

// metaKind is the JSON type of an indexed metadata value.
type metaKind uint8

const (
	kindNull metaKind = iota
	kindBool
	kindNum
	kindStr
	kindOther // an object or a nested array: only Exists sees it
)

// metaValue is one scalar metadata value.
type metaValue struct {
	kind metaKind
	num  float64 // kindNum; kindBool: 1 or 0
	str  string  // kindStr
}

func (v metaValue) equal(w metaValue) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case kindStr:
		return v.str == w.str
	case kindNum, kindBool:
		return v.num == w.num
	case kindNull:
		return true
	}
	return false
}

func (v metaValue) String() string {
	switch v.kind {
	case kindNull:
		return "null"
	case kindBool:
		if v.num != 0 {
			return "true"
		}
		return "false"
	case kindNum:
		return formatNum(v.num)
	case kindStr:
		return strconv.Quote(v.str)
	}
	return "?"
}

func toMetaValue(v any) (metaValue, error) {
	switch x := v.(type) {
	case nil:
		return metaValue{kind: kindNull}, nil
	case string:
		return metaValue{kind: kindStr, str: x}, nil
	case bool:
		if x {
			return metaValue{kind: kindBool, num: 1}, nil
		}
		return metaValue{kind: kindBool}, nil
	case int:
		return numValue(float64(x))
	case int8:
		return numValue(float64(x))
	case int16:
		return numValue(float64(x))
	case int32:
		return numValue(float64(x))
	case int64:
		return numValue(float64(x))
	case uint:
		return numValue(float64(x))
	case uint8:
		return numValue(float64(x))
	case uint16:
		return numValue(float64(x))
	case uint32:
		return numValue(float64(x))
	case uint64:
		return numValue(float64(x))
	case float32:
		return numValue(float64(x))
	case float64:
		return numValue(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return metaValue{}, err
		}
		return numValue(f)
	}
	return metaValue{}, fmt.Errorf("unsupported value type %T", v)
}

func numValue(f float64) (metaValue, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return metaValue{}, fmt.Errorf("value %g is not a finite number", f)
	}
	return metaValue{kind: kindNum, num: f}, nil
}

// metaField is one top-level field of a record's metadata.
type metaField struct {
	name string      // interned per collection
	vals []metaValue // one value, or the scalar elements of an array
}

// docMeta is the parsed metadata of one record, fields sorted by name.
type docMeta []metaField

func (d docMeta) field(name string) (metaField, bool) {
	if len(d) <= 8 {
		for _, f := range d {
			if f.name == name {
				return f, true
			}
		}
		return metaField{}, false
	}
	i := sort.Search(len(d), func(i int) bool { return d[i].name >= name })
	if i < len(d) && d[i].name == name {
		return d[i], true
	}
	return metaField{}, false
}

// parseMeta parses a JSON object into its indexed form; nil for nil, empty
// or invalid metadata (the store rejects invalid metadata before this runs).
// Field names are interned through intern when it is non-nil.
func parseMeta(raw json.RawMessage, intern map[string]string) docMeta {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || len(obj) == 0 {
		return nil
	}
	d := make(docMeta, 0, len(obj))
	for name, v := range obj {
		if intern != nil {
			if s, ok := intern[name]; ok {
				name = s
			} else {
				intern[name] = name
			}
		}
		d = append(d, metaField{name: name, vals: parseMetaValues(v)})
	}
	sort.Slice(d, func(i, j int) bool { return d[i].name < d[j].name })
	return d
}

func parseMetaValues(raw json.RawMessage) []metaValue {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return []metaValue{{kind: kindOther}}
		}
		out := make([]metaValue, 0, len(elems))
		for _, e := range elems {
			out = append(out, parseScalar(e))
		}
		return out
	}
	return []metaValue{parseScalar(raw)}
}

func parseScalar(raw json.RawMessage) metaValue {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return metaValue{kind: kindOther}
	}
	switch raw[0] {
	case 'n':
		return metaValue{kind: kindNull}
	case 't':
		return metaValue{kind: kindBool, num: 1}
	case 'f':
		return metaValue{kind: kindBool}
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return metaValue{kind: kindOther}
		}
		return metaValue{kind: kindStr, str: s}
	case '{', '[':
		return metaValue{kind: kindOther}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) {
		return metaValue{kind: kindOther}
	}
	return metaValue{kind: kindNum, num: f}
}

// predicate is a compiled Filter: it reports whether a record's parsed
// metadata (nil when the record has none) passes.
type predicate func(d docMeta) bool

// compile turns f into a predicate. f must have no error.
func (f Filter) compile() predicate {
	switch f.op {
	case opAll:
		return func(docMeta) bool { return true }
	case opEq, opIn:
		name, vals := f.field, f.vals
		return func(d docMeta) bool {
			fd, ok := d.field(name)
			if !ok {
				return false
			}
			for _, v := range fd.vals {
				for _, w := range vals {
					if v.equal(w) {
						return true
					}
				}
			}
			return false
		}
	case opRange:
		name, lo, hi, loInc, hiInc := f.field, f.lo, f.hi, f.loInc, f.hiInc
		return func(d docMeta) bool {
			fd, ok := d.field(name)
			if !ok {
				return false
			}
			for _, v := range fd.vals {
				if v.kind != kindNum {
					continue
				}
				if (v.num > lo || (loInc && v.num == lo)) && (v.num < hi || (hiInc && v.num == hi)) {
					return true
				}
			}
			return false
		}
	case opExists:
		name := f.field
		return func(d docMeta) bool {
			_, ok := d.field(name)
			return ok
		}
	case opNot:
		p := f.kids[0].compile()
		return func(d docMeta) bool { return !p(d) }
	case opAnd, opOr:
		ps := make([]predicate, len(f.kids))
		for i, k := range f.kids {
			ps[i] = k.compile()
		}
		if f.op == opAnd {
			return func(d docMeta) bool {
				for _, p := range ps {
					if !p(d) {
						return false
					}
				}
				return true
			}
		}
		return func(d docMeta) bool {
			for _, p := range ps {
				if p(d) {
					return true
				}
			}
			return false
		}
	}
	panic("query: unknown filter op")
}

// metaIndex holds the parsed metadata of every record that has some,
// indexed by internal id. It is protected by Collection.mu.
type metaIndex struct {
	docs   []docMeta         // by id; nil for records without metadata
	n      int               // records with metadata
	intern map[string]string // field names, shared by every record
}

// set replaces the metadata of id (nil d removes it). O(1) amortised: the
// table grows to id in one step, not one append per id.
func (m *metaIndex) set(id uint32, d docMeta) {
	if int(id) >= len(m.docs) {
		if d == nil {
			return
		}
		m.docs = append(m.docs, make([]docMeta, int(id)+1-len(m.docs))...)
	}
	if m.docs[id] != nil {
		m.n--
	}
	if d != nil {
		m.n++
	}
	m.docs[id] = d
}

func (m *metaIndex) get(id uint32) docMeta {
	if int(id) < len(m.docs) {
		return m.docs[id]
	}
	return nil
}

// loadMeta parses the metadata of every stored record (load's hook).
func loadMeta(ctx context.Context, sc *store.Collection) (metaIndex, error) {
	m := metaIndex{intern: make(map[string]string)}
	n := 0
	err := sc.ForEach(func(r *store.Record) error {
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if len(r.Metadata) > 0 {
			m.set(r.ID, parseMeta(r.Metadata, m.intern))
		}
		return nil
	})
	return m, err
}

// parseMetas parses the metadata of the records UpsertBatch writes
// (recs[i] with units[i] != nil) before it takes c.mu, so that searches are
// not held up by JSON decoding. The caller holds wmu (it interns names).
func (c *Collection) parseMetas(recs []Record, units [][]float32) []docMeta {
	out := make([]docMeta, len(recs))
	if c.meta.intern == nil {
		c.meta.intern = make(map[string]string)
	}
	for i := range recs {
		if units[i] != nil && len(recs[i].Metadata) > 0 {
			out[i] = parseMeta(recs[i].Metadata, c.meta.intern)
		}
	}
	return out
}
