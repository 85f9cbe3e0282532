package query_test

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// unit64 returns v normalised, in float64.
func unit64(v []float32) []float64 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	n = math.Sqrt(n)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x) / n
	}
	return out
}

func dot64(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// cosMulReference is gensim's most_similar_cosmul written out: for every
// record not among the inputs, the product over positives of (1+cos)/2
// divided by the product over negatives of (1+cos)/2 plus 1e-6.
func cosMulReference(keys []string, vecs [][]float32, pos, neg []string, k int) []string {
	idx := map[string]int{}
	for i, w := range keys {
		idx[w] = i
	}
	type scored struct {
		w string
		s float64
	}
	var all []scored
	for i, v := range vecs {
		if strings.Contains(" "+strings.Join(append(append([]string{}, pos...), neg...), " ")+" ", " "+keys[i]+" ") {
			continue
		}
		u := unit64(v)
		num, den := 1.0, 1.0
		for _, w := range pos {
			num *= (1 + dot64(u, unit64(vecs[idx[w]]))) / 2
		}
		for _, w := range neg {
			den *= (1 + dot64(u, unit64(vecs[idx[w]]))) / 2
		}
		all = append(all, scored{keys[i], num / (den + 1e-6)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	out := make([]string, k)
	for i := range out {
		out[i] = all[i].w
	}
	return out
}

func TestAnalogyMatchesGensimFormulas(t *testing.T) {
	n, dim := 2000, 12
	if testing.Short() || raceEnabled {
		n = 800
	}
	vecs := clustered(51, n, dim)
	scaleNorms(vecs, 0.5, 5) // norms must not matter
	for _, metric := range []query.Metric{query.Cosine, query.L2} {
		db, _ := openTemp(t)
		c, err := db.CreateCollection(ctx, "a", query.CollectionConfig{Dim: dim, Metric: metric, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		keys := fill(t, c, vecs)
		for trial := 0; trial < 5; trial++ {
			a, b, cc := keys[trial*7], keys[trial*7+1], keys[trial*7+2]
			e, err := query.ParseExpr(fmt.Sprintf("%s - %s + %s", b, a, cc))
			if err != nil {
				t.Fatal(err)
			}
			wantAdd := analogyReference(keys, vecs, []string{b, cc}, []string{a}, 10)
			wantMul := cosMulReference(keys, vecs, []string{b, cc}, []string{a}, 10)
			for _, m := range []struct {
				method query.Method
				want   []string
			}{{query.CosAdd, wantAdd}, {query.CosMul, wantMul}} {
				got, err := c.Analogy(ctx, e, 10, query.AnalogyOptions{Method: m.method, Exact: true})
				if err != nil {
					t.Fatal(err)
				}
				for i := range m.want {
					if got[i].Key != m.want[i] {
						t.Fatalf("%s %v exact: rank %d = %s, reference %s", metric, m.method, i, got[i].Key, m.want[i])
					}
				}
				if metric != query.Cosine {
					continue
				}
				approx, err := c.Analogy(ctx, e, 10, query.AnalogyOptions{Method: m.method})
				if err != nil {
					t.Fatal(err)
				}
				if approx[0].Key != m.want[0] {
					t.Errorf("%v HNSW: top answer %s, reference %s", m.method, approx[0].Key, m.want[0])
				}
			}
		}
	}
}

// TestAnalogyLiteralVector checks gensim's rule that a literal vector term
// is used as given: scaling it changes its weight in the mean.
func TestAnalogyLiteralVector(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "l", query.CollectionConfig{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	put := func(k string, v ...float32) {
		if err := c.Upsert(ctx, k, v, nil); err != nil {
			t.Fatal(err)
		}
	}
	put("x", 1, 0)
	put("y", 0, 1)
	put("near-x", 1, 0.2)
	put("near-y", 0.2, 1)
	// x's unit vector plus a long [0, 3]: the mean leans to y.
	for _, tc := range []struct{ expr, want string }{
		{"x + [0, 3]", "near-y"},
		{"x + [0, 0.3]", "near-x"},
	} {
		e, err := query.ParseExpr(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Analogy(ctx, e, 1, query.AnalogyOptions{Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Key != tc.want {
			t.Errorf("%s = %v, want %s", tc.expr, got, tc.want)
		}
	}
}

func TestDoesntMatch(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "d", query.CollectionConfig{Dim: 3})
	if err != nil {
		t.Fatal(err)
	}
	vecs := map[string][]float32{
		"breakfast": {1, 0.1, 0}, "lunch": {0.9, 0.2, 0.1}, "dinner": {1, 0, 0.2}, "cereal": {0.2, 1, 0.3}, "far": {-1, 0, 0},
	}
	for k, v := range vecs {
		if err := c.Upsert(ctx, k, v, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, group := range [][]string{
		{"breakfast", "cereal", "dinner", "lunch"},
		{"breakfast", "lunch", "dinner", "far"},
		{"lunch", "cereal"},
	} {
		// Reference: cosine with the normalised mean of unit vectors; the
		// lowest loses, ties to the smaller key (gensim sorts (sim, key)).
		mean := make([]float64, 3)
		for _, w := range group {
			for i, x := range unit64(vecs[w]) {
				mean[i] += x
			}
		}
		var nm float64
		for _, x := range mean {
			nm += x * x
		}
		want, best := "", math.Inf(1)
		for _, w := range group {
			s := dot64(unit64(vecs[w]), mean) / math.Sqrt(nm)
			if s < best-1e-9 || (math.Abs(s-best) <= 1e-9 && w < want) {
				want, best = w, s
			}
		}
		got, err := c.DoesntMatch(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("DoesntMatch(%v) = %s, reference %s", group, got, want)
		}
		ranked, err := c.RankByCentrality(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		if len(ranked) != len(group) || ranked[len(ranked)-1].Key != want || math.Abs(float64(ranked[len(ranked)-1].Score)-best) > 1e-5 {
			t.Errorf("RankByCentrality(%v) = %v, want %s last with %.4f", group, ranked, want, best)
		}
	}
	if _, err := c.DoesntMatch(ctx, []string{"lunch", "nosuch"}); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := c.DoesntMatch(ctx, nil); err == nil {
		t.Error("empty group accepted")
	}
}

// TestRestrict checks that Restrict answers from the first N live records
// in insertion order, after deletes, replacements and re-insertions.
func TestRestrict(t *testing.T) {
	const n, dim = 400, 6
	vecs := clustered(61, n, dim)
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "r", query.CollectionConfig{Dim: dim, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	keys := fill(t, c, vecs)
	order := append([]string{}, keys...) // insertion order of live keys
	vecOf := map[string][]float32{}
	for i, k := range keys {
		vecOf[k] = vecs[i]
	}
	// Delete a few early records, replace one (keeps its place), re-insert
	// a deleted key (goes to the end).
	if _, err := c.Delete(ctx, keys[3], keys[10], keys[50]); err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ctx, keys[5], vecs[200], nil); err != nil {
		t.Fatal(err)
	}
	vecOf[keys[5]] = vecs[200]
	if err := c.Upsert(ctx, keys[10], vecs[11], nil); err != nil {
		t.Fatal(err)
	}
	var live []string
	for _, k := range order {
		if k != keys[3] && k != keys[10] && k != keys[50] {
			live = append(live, k)
		}
	}
	live = append(live, keys[10])
	vecOf[keys[10]] = vecs[11]
	for _, restrict := range []int{1, 20, 100, len(live), len(live) + 5} {
		first := live[:min(restrict, len(live))]
		var fk []string
		var fv [][]float32
		for _, k := range first {
			fk = append(fk, k)
			fv = append(fv, vecOf[k])
		}
		for qi, q := range clustered(62, 5, dim) {
			want := bruteForce(query.Cosine, fk, fv, q, 10, nil)
			for _, exact := range []bool{true, false} {
				got, err := c.Search(ctx, q, 10, query.SearchOptions{Restrict: restrict, Exact: exact})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("restrict %d exact=%v query %d: %d results, want %d", restrict, exact, qi, len(got), len(want))
				}
				for i := range want {
					if got[i].Key != want[i].Key {
						t.Fatalf("restrict %d exact=%v query %d: rank %d = %s, want %s", restrict, exact, qi, i, got[i].Key, want[i].Key)
					}
				}
			}
		}
		// Analogy honours the restriction too.
		e, _ := query.ParseExpr(fmt.Sprintf("%s - %s + %s", live[0], live[1], live[2]))
		got, err := c.Analogy(ctx, e, 5, query.AnalogyOptions{Restrict: restrict})
		if err != nil {
			t.Fatal(err)
		}
		in := map[string]bool{}
		for _, k := range first {
			in[k] = true
		}
		for _, r := range got {
			if !in[r.Key] {
				t.Fatalf("restrict %d: analogy answer %s is not among the first %d records", restrict, r.Key, restrict)
			}
		}
	}
}
