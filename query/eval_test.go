package query_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// gensimAnalogies is evaluate_word_analogies written out independently in
// float64: ok_vocab built over the first restrict keys in reverse so the
// first case variant wins, 3CosAdd over the first restrict vectors with the
// question words' indices excluded, top 5, then the first prediction that
// is not a question word. It returns correct/answered per section, and the
// question and OOV counts.
func gensimAnalogies(keys []string, vecs [][]float32, file string, restrict int) (sections []query.SectionScore, questions, oov int) {
	if restrict > len(keys) {
		restrict = len(keys)
	}
	ok := map[string]int{}
	for i := restrict - 1; i >= 0; i-- {
		ok[strings.ToUpper(keys[i])] = i
	}
	units := make([][]float64, restrict)
	for i := range units {
		units[i] = unit64(vecs[i])
	}
	for _, line := range strings.Split(file, "\n") {
		if strings.HasPrefix(line, ": ") {
			sections = append(sections, query.SectionScore{Name: strings.TrimSpace(strings.TrimLeft(line, ": "))})
			continue
		}
		w := strings.Fields(strings.ToUpper(line))
		if len(w) != 4 {
			continue
		}
		questions++
		ia, okA := ok[w[0]]
		ib, okB := ok[w[1]]
		ic, okC := ok[w[2]]
		_, okD := ok[w[3]]
		if !okA || !okB || !okC || !okD {
			oov++
			continue
		}
		mean := make([]float64, len(units[0]))
		for j := range mean {
			mean[j] = (units[ib][j] + units[ic][j] - units[ia][j]) / 3
		}
		var n float64
		for _, x := range mean {
			n += x * x
		}
		type sim struct {
			i int
			s float64
		}
		var sims []sim
		for i, u := range units {
			sims = append(sims, sim{i, dot64(u, mean) / math.Sqrt(n)})
		}
		sort.SliceStable(sims, func(a, b int) bool { return sims[a].s > sims[b].s })
		var top []string
		for _, s := range sims[:8] {
			if s.i != ia && s.i != ib && s.i != ic {
				top = append(top, keys[s.i])
			}
		}
		predicted := ""
		for _, k := range top[:5] {
			predicted = strings.ToUpper(k)
			if _, in := ok[predicted]; in && predicted != w[0] && predicted != w[1] && predicted != w[2] {
				break
			}
		}
		s := &sections[len(sections)-1]
		s.Total++
		if predicted == w[3] {
			s.Correct++
		}
	}
	return sections, questions, oov
}

// analogyFixture: words with a "royal" and a "female" direction plus
// random filler, some in two case variants, in a fixed insertion order.
func analogyFixture(t *testing.T) (*query.Collection, []string, [][]float32, string) {
	const dim = 6
	r := rand.New(rand.NewPCG(71, 1))
	base := func(royal, female, young, place float32) []float32 {
		v := []float32{1, royal, female, young, place, 0}
		for i := range v {
			v[i] += float32(r.NormFloat64() * 0.01)
		}
		return v
	}
	keys := []string{"man", "woman", "king", "queen", "Man", "boy", "girl", "prince", "princess", "Paris", "paris", "France", "Italy", "Rome", "KING"}
	vecs := [][]float32{
		base(0, 0, 0, 0), base(0, 1, 0, 0), base(1, 0, 0, 0), base(1, 1, 0, 0), base(0, 0.1, 0, 0), base(0, 0, 1, 0), base(0, 1, 1, 0),
		base(1, 0, 1, 0), base(1, 1, 1, 0), base(0, 0, 0, 1), base(0.5, 0.5, 0, 1), base(0, 0, 0, 2), base(0.3, 0, 0, 2), base(0.3, 0, 0, 1), base(1, 0.2, 0, 0),
	}
	for i := 0; i < 40; i++ {
		keys = append(keys, fmt.Sprintf("w%02d", i))
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		vecs = append(vecs, v)
	}
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "a", query.CollectionConfig{Dim: dim, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]query.Record, len(keys))
	for i := range keys {
		recs[i] = query.Record{Key: keys[i], Vector: vecs[i]}
	}
	// One at a time, so insertion order is the slice order.
	for _, rec := range recs {
		if err := c.Upsert(ctx, rec.Key, rec.Vector, nil); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString(": family\nman woman king queen\nMAN WOMAN boy girl\nboy girl prince princess\nman king woman queen\nthis line is invalid\n\n")
	b.WriteString(": capital-world\nFrance Paris Italy Rome\nparis france rome italy\nFrance Paris Spain Madrid\n")
	b.WriteString(": gram1-random\n")
	for i := 0; i < 60; i++ {
		w := func() string { return keys[r.IntN(len(keys))] }
		fmt.Fprintf(&b, "%s %s %s %s\n", w(), w(), w(), w())
	}
	return c, keys, vecs, b.String()
}

func TestEvaluateAnalogiesMatchesGensim(t *testing.T) {
	c, keys, vecs, file := analogyFixture(t)
	for _, restrict := range []int{0, 12, 30} {
		ref := restrict
		if ref == 0 {
			ref = len(keys)
		}
		wantSec, wantQ, wantOOV := gensimAnalogies(keys, vecs, file, ref)
		for _, exact := range []bool{true, false} {
			rep, err := c.EvaluateAnalogies(ctx, strings.NewReader(file), query.AnalogyEvalOptions{Restrict: restrict, Exact: exact, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Questions != wantQ || rep.Skipped != wantOOV {
				t.Fatalf("restrict %d: %d questions, %d skipped; reference %d, %d", restrict, rep.Questions, rep.Skipped, wantQ, wantOOV)
			}
			if fmt.Sprint(rep.Sections) != fmt.Sprint(wantSec) {
				t.Fatalf("restrict %d exact=%v: sections %v, reference %v", restrict, exact, rep.Sections, wantSec)
			}
			var sem, syn query.SectionScore
			for _, s := range wantSec {
				g := &sem
				if strings.HasPrefix(s.Name, "gram") {
					g = &syn
				}
				g.Correct += s.Correct
				g.Total += s.Total
			}
			if rep.Semantic.Correct != sem.Correct || rep.Semantic.Total != sem.Total || rep.Syntactic.Correct != syn.Correct ||
				rep.Syntactic.Total != syn.Total || rep.Total.Correct != sem.Correct+syn.Correct || rep.Total.Total != sem.Total+syn.Total {
				t.Fatalf("groups: %+v %+v %+v", rep.Semantic, rep.Syntactic, rep.Total)
			}
		}
	}
	// Known answers, by hand: the family and capital questions (Spain and
	// Madrid are not in the vocabulary).
	rep, err := c.EvaluateAnalogies(ctx, strings.NewReader(file), query.AnalogyEvalOptions{Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Sections[0]; s.Name != "family" || s.Correct != 4 || s.Total != 4 {
		t.Errorf("family: %+v, want 4/4", s)
	}
	if s := rep.Sections[1]; s.Name != "capital-world" || s.Total != 2 {
		t.Errorf("capital-world: %+v, want 2 answered", s)
	}
	if _, err := c.EvaluateAnalogies(ctx, strings.NewReader("a b c d\n: s\n"), query.AnalogyEvalOptions{}); !errors.Is(err, query.ErrEvalInput) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("question before a section: %v", err)
	}
	mul, err := c.EvaluateAnalogies(ctx, strings.NewReader(file), query.AnalogyEvalOptions{Method: query.CosMul, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if mul.Sections[0].Correct != 4 {
		t.Errorf("3CosMul family: %+v, want 4/4", mul.Sections[0])
	}
}

// pearsonRef and spearmanRef are written differently from the package's:
// sums of products, and ranks counted by comparison.
func pearsonRef(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxy, sxx, syy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxy += x[i] * y[i]
		sxx += x[i] * x[i]
		syy += y[i] * y[i]
	}
	return (n*sxy - sx*sy) / math.Sqrt((n*sxx-sx*sx)*(n*syy-sy*sy))
}

func rankRef(x []float64) []float64 {
	r := make([]float64, len(x))
	for i := range x {
		less, equal := 0, 0
		for j := range x {
			if x[j] < x[i] {
				less++
			} else if x[j] == x[i] {
				equal++
			}
		}
		r[i] = float64(less) + float64(equal+1)/2
	}
	return r
}

func TestCorrelations(t *testing.T) {
	// Spearman without ties: 1 - 6 Σd² / (n(n²-1)).
	x := []float64{1, 2, 3, 4, 5, 6}
	y := []float64{2, 1, 4, 3, 6, 5}
	if got, want := query.Spearman(x, y), 1-6*6.0/(6*35); math.Abs(got-want) > 1e-12 {
		t.Errorf("Spearman = %v, want %v", got, want)
	}
	r := rand.New(rand.NewPCG(3, 3))
	for trial := 0; trial < 20; trial++ {
		n := 2 + r.IntN(50)
		a, b := make([]float64, n), make([]float64, n)
		for i := range a {
			a[i] = float64(r.IntN(7)) // ties on purpose
			b[i] = a[i]*r.Float64() + r.NormFloat64()
		}
		if p, want := query.Pearson(a, b), pearsonRef(a, b); !(math.Abs(p-want) < 1e-9 || math.IsNaN(p) && math.IsNaN(want)) {
			t.Fatalf("Pearson = %v, reference %v", p, want)
		}
		if s, want := query.Spearman(a, b), pearsonRef(rankRef(a), rankRef(b)); !(math.Abs(s-want) < 1e-9 || math.IsNaN(s) && math.IsNaN(want)) {
			t.Fatalf("Spearman = %v, reference %v", s, want)
		}
	}
	if !math.IsNaN(query.Pearson([]float64{1, 1}, []float64{1, 2})) {
		t.Error("Pearson of a constant is not NaN")
	}
}

func TestEvaluateWordPairs(t *testing.T) {
	c, keys, vecs, _ := analogyFixture(t)
	file := "# comment\n# Word 1\tWord 2\tHuman (mean)\nman\twoman\t6.5\nKING\tqueen\t8.0\nparis\tFrance\t7.25\n" +
		"man\tnosuch\t3\nbad line\nman\tboy\tnotanumber\nboy\tgirl\t5\t extra\nprince\tprincess\t8\nw01\tw02\t1.5\nRome\tItaly\t9\nw03\tw04\t2\n"
	idx := map[string]int{}
	for i := len(keys) - 1; i >= 0; i-- {
		idx[strings.ToUpper(keys[i])] = i
	}
	var gold, model []float64
	oov := 0
	for _, line := range strings.Split(file, "\n") {
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) != 3 {
			continue
		}
		s, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			continue
		}
		a, okA := idx[strings.ToUpper(f[0])]
		b, okB := idx[strings.ToUpper(f[1])]
		if !okA || !okB {
			oov++
			continue
		}
		gold = append(gold, s)
		model = append(model, dot64(unit64(vecs[a]), unit64(vecs[b])))
	}
	rep, err := c.EvaluateWordPairs(ctx, strings.NewReader(file), query.PairsEvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pairs != len(gold) || rep.OOV != oov || rep.Pairs != 7 || rep.OOV != 1 {
		t.Fatalf("%d pairs, %d OOV; reference %d, %d", rep.Pairs, rep.OOV, len(gold), oov)
	}
	if math.Abs(float64(rep.Pearson)-pearsonRef(gold, model)) > 1e-6 || math.Abs(float64(rep.Spearman)-pearsonRef(rankRef(gold), rankRef(model))) > 1e-6 {
		t.Fatalf("pearson %v spearman %v; reference %v %v", rep.Pearson, rep.Spearman, pearsonRef(gold, model), pearsonRef(rankRef(gold), rankRef(model)))
	}
	if got := rep.OOVShare(); math.Abs(got-1.0/8) > 1e-12 {
		t.Errorf("OOV share %v, want 1/8", got)
	}
	// Case-sensitive: "KING" is its own record, "paris"/"France" and
	// "Rome"/"Italy" exist as written; "man"… too.
	cs, err := c.EvaluateWordPairs(ctx, strings.NewReader(file), query.PairsEvalOptions{CaseSensitive: true})
	if err != nil {
		t.Fatal(err)
	}
	if cs.Pairs != 7 {
		t.Errorf("case-sensitive: %d pairs", cs.Pairs)
	}
	// Restrict to the first record: no pair is in.
	if _, err := c.EvaluateWordPairs(ctx, strings.NewReader(file), query.PairsEvalOptions{Restrict: 1}); !errors.Is(err, query.ErrEvalInput) {
		t.Errorf("no pair in vocabulary: %v", err)
	}
}
