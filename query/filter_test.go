package query_test

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// metaFixture is a collection whose records carry metadata, with the same
// metadata as Go values so tests can evaluate filters independently.
type metaFixture struct {
	c    *query.Collection
	db   *query.DB
	path string
	keys []string
	vecs [][]float32
	meta []map[string]any // nil: the record has no metadata
}

func metaFor(i int) map[string]any {
	if i%50 == 0 {
		return nil
	}
	m := map[string]any{
		"i":      float64(i),
		"bucket": float64((i * 7919) % 1000),
		"lang":   []string{"en", "fr", "de"}[i%3],
	}
	if i%4 == 0 {
		m["tag"] = []any{"a", "b"}
	} else if i%4 == 1 {
		m["tag"] = "b"
	}
	if i%7 == 0 {
		m["draft"] = true
	}
	return m
}

func newMetaFixture(t *testing.T, n, dim int) *metaFixture {
	t.Helper()
	db, path := openTemp(t)
	c, err := db.CreateCollection(ctx, "m", query.CollectionConfig{Dim: dim, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	f := &metaFixture{c: c, db: db, path: path, vecs: clustered(11, n, dim)}
	recs := make([]query.Record, n)
	for i := range recs {
		f.keys = append(f.keys, fmt.Sprintf("r%05d", i))
		m := metaFor(i)
		f.meta = append(f.meta, m)
		recs[i] = query.Record{Key: f.keys[i], Vector: f.vecs[i]}
		if m != nil {
			b, _ := json.Marshal(m)
			recs[i].Metadata = b
		}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// want returns the brute-force top k among records pred accepts.
func (f *metaFixture) want(q []float32, k int, pred func(m map[string]any) bool) ([]query.Result, int) {
	skip := map[string]bool{}
	allowed := 0
	for i, m := range f.meta {
		if pred(m) {
			allowed++
		} else {
			skip[f.keys[i]] = true
		}
	}
	return bruteForce(query.Cosine, f.keys, f.vecs, q, k, skip), allowed
}

func num(m map[string]any, k string) (float64, bool) {
	x, ok := m[k].(float64)
	return x, ok
}

func hasTag(m map[string]any, tag string) bool {
	switch v := m["tag"].(type) {
	case string:
		return v == tag
	case []any:
		for _, x := range v {
			if x == tag {
				return true
			}
		}
	}
	return false
}

func TestFilterExactMatchesBruteForce(t *testing.T) {
	f := newMetaFixture(t, 600, 8)
	tests := []struct {
		text string
		pred func(m map[string]any) bool
	}{
		{`lang = "en"`, func(m map[string]any) bool { return m["lang"] == "en" }},
		{`lang != "en"`, func(m map[string]any) bool { return m["lang"] != "en" }},
		{`lang = "en" and not exists(draft)`, func(m map[string]any) bool { _, d := m["draft"]; return m["lang"] == "en" && !d }},
		{`tag in ("a")`, func(m map[string]any) bool { return hasTag(m, "a") }},
		{`tag = "b" or lang in ("de", "xx")`, func(m map[string]any) bool { return hasTag(m, "b") || m["lang"] == "de" }},
		{`i >= 100 and i < 200 or draft = true`, func(m map[string]any) bool {
			i, ok := num(m, "i")
			return ok && i >= 100 && i < 200 || m["draft"] == true
		}},
		{`not exists(i)`, func(m map[string]any) bool { return m == nil }},
		{`bucket <= 3`, func(m map[string]any) bool { b, ok := num(m, "bucket"); return ok && b <= 3 }},
		{`lang = 1`, func(m map[string]any) bool { return false }},
		{`false`, func(m map[string]any) bool { return false }},
	}
	q := clustered(12, 5, 8)
	for _, tt := range tests {
		flt, err := query.ParseFilter(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		for qi, v := range q {
			want, allowed := f.want(v, 10, tt.pred)
			for _, plan := range []struct {
				name string
				opts query.SearchOptions
			}{{"exact", query.SearchOptions{Exact: true, Filter: flt}}, {"auto", query.SearchOptions{Filter: flt}}} {
				got, err := f.c.Search(ctx, v, 10, plan.opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != min(10, allowed) {
					t.Fatalf("%s (%s, query %d): %d results, want %d", tt.text, plan.name, qi, len(got), min(10, allowed))
				}
				for i := range got {
					if got[i].Key != want[i].Key {
						t.Fatalf("%s (%s, query %d): rank %d = %s, want %s", tt.text, plan.name, qi, i, got[i].Key, want[i].Key)
					}
				}
			}
		}
	}
}

// TestFilterSelectivity checks both plans at 50%, 5% and 0.1% of the records
// passing: never fewer than min(k, passing) results, all of them passing,
// and recall against exact filtered search.
func TestFilterSelectivity(t *testing.T) {
	n, nq := 5000, 30
	if testing.Short() || raceEnabled {
		n, nq = 1500, 12
	}
	f := newMetaFixture(t, n, 16)
	queries := clustered(13, nq, 16)
	const k = 10
	for _, sel := range []struct {
		name      string
		perMille  int
		minRecall float64
	}{{"50%", 500, 0.9}, {"5%", 50, 0.9}, {"0.1%", 1, 1}} {
		flt := query.Lt("bucket", float64(sel.perMille))
		pred := func(m map[string]any) bool { b, ok := num(m, "bucket"); return ok && b < float64(sel.perMille) }
		wants := make([][]query.Result, len(queries))
		allowed := 0
		for i, q := range queries {
			wants[i], allowed = f.want(q, k, pred)
		}
		for _, plan := range []struct {
			name  string
			below func(n, ef int) int
		}{{"auto", nil}, {"graph", func(int, int) int { return -1 }}, {"scan", func(int, int) int { return math.MaxInt }}} {
			t.Run(sel.name+"/"+plan.name, func(t *testing.T) {
				if plan.below != nil {
					defer query.SetScanBelow(plan.below)()
				}
				var sum float64
				for qi, q := range queries {
					want := wants[qi]
					got, err := f.c.Search(ctx, q, k, query.SearchOptions{Filter: flt})
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != min(k, allowed) {
						t.Fatalf("%d pass: %d results, want %d", allowed, len(got), min(k, allowed))
					}
					for _, r := range got {
						var idx int
						fmt.Sscanf(r.Key, "r%d", &idx)
						if !pred(f.meta[idx]) {
							t.Fatalf("result %s does not pass the filter", r.Key)
						}
					}
					if len(want) > 0 {
						sum += recall(got, want)
					} else {
						sum++
					}
				}
				r := sum / float64(len(queries))
				t.Logf("recall@%d vs exact filtered search: %.4f", k, r)
				if r < sel.minRecall {
					t.Errorf("recall %.4f < %.2f", r, sel.minRecall)
				}
			})
		}
	}
}

// TestFilterFollowsWrites checks that the in-memory metadata follows
// upserts, deletes and a reopen of the file.
func TestFilterFollowsWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.db")
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCollection(ctx, "w", query.CollectionConfig{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, v []float32, meta string) {
		t.Helper()
		var m json.RawMessage
		if meta != "" {
			m = json.RawMessage(meta)
		}
		if err := c.Upsert(ctx, key, v, m); err != nil {
			t.Fatal(err)
		}
	}
	keysOf := func(c *query.Collection, text string) []string {
		t.Helper()
		flt, err := query.ParseFilter(text)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, exact := range []bool{false, true} {
			rs, err := c.Search(ctx, []float32{1, 0}, 10, query.SearchOptions{Filter: flt, Exact: exact})
			if err != nil {
				t.Fatal(err)
			}
			var ks []string
			for _, r := range rs {
				ks = append(ks, r.Key)
			}
			if exact && fmt.Sprint(ks) != fmt.Sprint(out) {
				t.Fatalf("%s: graph %v, exact %v", text, out, ks)
			}
			out = ks
		}
		return out
	}
	put("a", []float32{1, 0}, `{"color": "red"}`)
	put("b", []float32{1, 0.1}, `{"color": "blue"}`)
	put("c", []float32{1, 0.2}, "")
	if got := fmt.Sprint(keysOf(c, `color = "red"`)); got != "[a]" {
		t.Fatalf("red: %s", got)
	}
	put("a", []float32{1, 0}, `{"color": "blue"}`) // replace metadata
	put("c", []float32{1, 0.2}, `{"color": "red"}`)
	if got := fmt.Sprint(keysOf(c, `color = "red"`)); got != "[c]" {
		t.Fatalf("red after upserts: %s", got)
	}
	put("b", []float32{1, 0.1}, "") // nil metadata keeps b's
	if got := fmt.Sprint(keysOf(c, `color = "blue"`)); got != "[a b]" {
		t.Fatalf("blue after an upsert without metadata: %s", got)
	}
	put("b", []float32{1, 0.1}, "null") // drop metadata
	if got := fmt.Sprint(keysOf(c, `exists(color)`)); got != "[a c]" {
		t.Fatalf("exists after dropping b's metadata: %s", got)
	}
	if _, err := c.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(keysOf(c, `exists(color)`)); got != "[a]" {
		t.Fatalf("exists after delete: %s", got)
	}
	put("d", []float32{1, 0.3}, `{"color": "red", "n": [1, 5]}`) // may reuse c's id
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err = db.Collection(ctx, "w")
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		`exists(color)`:           "[a d]",
		`color = "red"`:           "[d]",
		`n >= 4 and n < 6`:        "[d]",
		`not exists(color)`:       "[b]",
		`color in ("blue", "x")`:  "[a]",
		`n = 1 and color != "no"`: "[d]",
	} {
		if got := fmt.Sprint(keysOf(c, text)); got != want {
			t.Errorf("after reopen, %s: %s, want %s", text, got, want)
		}
	}
	if _, err := c.Search(ctx, []float32{1, 0}, 1, query.SearchOptions{Filter: query.Eq("x", struct{}{})}); err == nil {
		t.Error("an invalid filter was accepted")
	}
}

func TestAnalogyFilter(t *testing.T) {
	f := newMetaFixture(t, 800, 8)
	e, err := query.ParseExpr(f.keys[1] + " - " + f.keys[2] + " + " + f.keys[3])
	if err != nil {
		t.Fatal(err)
	}
	flt := query.Eq("lang", "fr")
	for _, m := range []query.Method{query.CosAdd, query.CosMul} {
		exact, err := f.c.Analogy(ctx, e, 10, query.AnalogyOptions{Method: m, Exact: true, Filter: flt})
		if err != nil {
			t.Fatal(err)
		}
		approx, err := f.c.Analogy(ctx, e, 10, query.AnalogyOptions{Method: m, Filter: flt})
		if err != nil {
			t.Fatal(err)
		}
		if len(exact) != 10 || len(approx) != 10 {
			t.Fatalf("%v: %d exact and %d approximate results", m, len(exact), len(approx))
		}
		for _, r := range append(exact, approx...) {
			var idx int
			fmt.Sscanf(r.Key, "r%d", &idx)
			if f.meta[idx]["lang"] != "fr" {
				t.Fatalf("%v: %s is not fr", m, r.Key)
			}
		}
		if rc := recall(approx, exact); rc < 0.8 {
			t.Errorf("%v: filtered analogy recall %.2f", m, rc)
		}
	}
}
