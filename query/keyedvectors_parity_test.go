package query_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// The parity suite asks vecbolt the questions gensim 4.2 answered in
// bench/gensim/parity.py and compares the answers. The 10k fixture is
// committed (CI has no Python); the 50k one runs when ../shared is there.

type scoredPair struct {
	Key   string
	Score float64
}

func (p *scoredPair) UnmarshalJSON(b []byte) error {
	var v [2]any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	k, ok1 := v[0].(string)
	s, ok2 := v[1].(float64)
	if !ok1 || !ok2 {
		return fmt.Errorf("want [key, score], got %s", b)
	}
	p.Key, p.Score = k, s
	return nil
}

// weightedTerm is a gensim (key, weight) tuple.
type weightedTerm struct {
	Key    string
	Weight float64
}

func (w *weightedTerm) UnmarshalJSON(b []byte) error {
	var v [2]any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	k, ok1 := v[0].(string)
	x, ok2 := v[1].(float64)
	if !ok1 || !ok2 {
		return fmt.Errorf("want [key, weight], got %s", b)
	}
	w.Key, w.Weight = k, x
	return nil
}

type parityFixture struct {
	Gensim  string `json:"gensim"`
	Words   int    `json:"words"`
	Queries int    `json:"queries"`

	MostSimilar []struct {
		Positive []string     `json:"positive"`
		Negative []string     `json:"negative"`
		TopN     int          `json:"topn"`
		Restrict int          `json:"restrict"`
		Result   []scoredPair `json:"result"`
	} `json:"most_similar"`
	MostSimilarWeighted []struct {
		Terms    []weightedTerm `json:"terms"`
		TopN     int            `json:"topn"`
		Restrict int            `json:"restrict"`
		Result   []scoredPair   `json:"result"`
	} `json:"most_similar_weighted"`
	MostSimilarCosmul []struct {
		Positive []string     `json:"positive"`
		Negative []string     `json:"negative"`
		TopN     int          `json:"topn"`
		Restrict int          `json:"restrict"`
		Result   []scoredPair `json:"result"`
	} `json:"most_similar_cosmul"`
	Similarity []struct {
		A, B  string
		Value float64
	} `json:"similarity"`
	NSimilarity []struct {
		A, B  []string
		Value float64
	} `json:"n_similarity"`
	Rank []struct {
		A, B  string
		Value int
	} `json:"rank"`
	CloserThan []struct {
		A, B  string
		Value []string
	} `json:"closer_than"`
	DoesntMatch []struct {
		Words []string
		Value string
	} `json:"doesnt_match"`
	Distances []struct {
		A      string
		Others []string
		Value  []float64
	} `json:"distances"`
	MostSimilarToGiven []struct {
		A          string
		Candidates []string
		Value      string
	} `json:"most_similar_to_given"`
	SimilarByVector []struct {
		Word     string
		Scale    float32
		TopN     int
		Restrict int
		Result   []scoredPair
	} `json:"similar_by_vector"`
	RelativeCosineSimilarity []struct {
		A, B  string
		TopN  int
		Value float64
	} `json:"relative_cosine_similarity"`
	EvaluateWordAnalogies struct {
		File      string
		Restrict  int
		Score     float64
		Questions int
		Skipped   int
		Sections  []struct {
			Section   string
			Correct   int
			Incorrect int
		}
	} `json:"evaluate_word_analogies"`
	EvaluateWordPairs []struct {
		File     string
		Pearson  float64
		Spearman float64
		OOVRatio float64 `json:"oov_ratio"`
	} `json:"evaluate_word_pairs"`
}

func readFixture(t *testing.T, name string) *parityFixture {
	b, err := os.ReadFile(filepath.Join("testdata", "gensim", name))
	if err != nil {
		t.Skipf("no fixture: %v (run bench/gensim/parity.py)", err)
	}
	var f parityFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if f.Queries < 200 || len(f.MostSimilar) != f.Queries {
		t.Fatalf("%s: %d queries of each kind, want at least 200", name, len(f.MostSimilar))
	}
	return &f
}

// scoreTol is how far a score may be from gensim's: float32 sums in a
// different order differ by a few ulps.
const scoreTol = 1e-5

// tieTol is how close two scores must be for their order to be a tie that
// rounding may break either way.
const tieTol = 2e-6

// sameTop checks a top-n list against gensim's: the same keys in the same
// order, except that keys whose scores are within tieTol may swap; every
// score within scoreTol. It returns a description of the first difference.
func sameTop(got []query.Result, want []scoredPair) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i].Score)-want[i].Score) > scoreTol {
			return fmt.Sprintf("rank %d: %s %.7f, want %s %.7f", i+1, got[i].Key, got[i].Score, want[i].Key, want[i].Score)
		}
		if got[i].Key != want[i].Key {
			// A tie: the gensim key must be next to it in our list with
			// the same score, or be the last one (cut by the tie).
			j := slices.IndexFunc(got, func(r query.Result) bool { return r.Key == want[i].Key })
			if (j >= 0 && math.Abs(float64(got[j].Score)-want[i].Score) > tieTol) ||
				(j < 0 && (i != len(want)-1 || math.Abs(float64(got[i].Score)-want[i].Score) > tieTol)) {
				return fmt.Sprintf("rank %d: %s %.7f, want %s %.7f", i+1, got[i].Key, got[i].Score, want[i].Key, want[i].Score)
			}
		}
	}
	return ""
}

// parityCounts is what checkParity found, for the log: per kind of top-n
// question, the lists that differ from gensim's and the share of gensim's
// top-n keys found (recall).
type parityCounts struct {
	queries, topMismatch int
	kinds                map[string]*kindCount
}

type kindCount struct {
	queries, differ, found, want int
}

func (pc parityCounts) String() string {
	var b []string
	for _, k := range []string{"most_similar", "most_similar_weighted", "most_similar_cosmul", "similar_by_vector"} {
		c := pc.kinds[k]
		if c == nil {
			continue
		}
		b = append(b, fmt.Sprintf("%s %d of %d lists differ, recall@10 %.4f", k, c.differ, c.queries, float64(c.found)/float64(c.want)))
	}
	return strings.Join(b, "; ")
}

// checkParity compares c's answers with the fixture. With exact set every
// answer must match; otherwise (the HNSW graph) the top-n mismatches are
// counted and logged instead of failing.
func checkParity(t *testing.T, c *query.Collection, f *parityFixture, exact bool) parityCounts {
	pc := parityCounts{kinds: map[string]*kindCount{}}
	opts := query.SimilarOptions{Exact: exact}
	top := func(what string, i int, got []query.Result, err error, want []scoredPair) {
		t.Helper()
		pc.queries++
		if err != nil {
			t.Fatalf("%s %d: %v", what, i, err)
		}
		kind := what[:strings.IndexByte(what, '(')]
		kc := pc.kinds[kind]
		if kc == nil {
			kc = &kindCount{}
			pc.kinds[kind] = kc
		}
		kc.queries++
		kc.want += len(want)
		for _, w := range want {
			if slices.ContainsFunc(got, func(r query.Result) bool { return r.Key == w.Key }) {
				kc.found++
			}
		}
		if d := sameTop(got, want); d != "" {
			pc.topMismatch++
			kc.differ++
			if exact {
				t.Errorf("%s %d: %s", what, i, d)
			}
		}
	}
	for i, q := range f.MostSimilar {
		o := opts
		o.Restrict = q.Restrict
		got, err := c.MostSimilar(ctx, q.Positive, q.Negative, q.TopN, o)
		top(fmt.Sprintf("most_similar(%v, %v, restrict %d)", q.Positive, q.Negative, q.Restrict), i, got, err, q.Result)
	}
	for i, q := range f.MostSimilarWeighted {
		// gensim's (key, weight) terms are an Expr's weighted terms.
		var e query.Expr
		for _, w := range q.Terms {
			e.Terms = append(e.Terms, query.Term{Key: w.Key, Weight: w.Weight})
		}
		got, err := c.Analogy(ctx, e, q.TopN, query.AnalogyOptions{Exact: exact, Restrict: q.Restrict})
		top(fmt.Sprintf("most_similar_weighted(%v, restrict %d)", q.Terms, q.Restrict), i, got, err, q.Result)
	}
	for i, q := range f.MostSimilarCosmul {
		o := opts
		o.Restrict = q.Restrict
		got, err := c.MostSimilarCosmul(ctx, q.Positive, q.Negative, q.TopN, o)
		top(fmt.Sprintf("most_similar_cosmul(%v, %v, restrict %d)", q.Positive, q.Negative, q.Restrict), i, got, err, q.Result)
	}
	for i, q := range f.SimilarByVector {
		rec, err := c.Get(ctx, q.Word)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, len(rec.Vector))
		for j, x := range rec.Vector {
			v[j] = x * q.Scale
		}
		o := opts
		o.Restrict = q.Restrict
		got, err := c.SimilarByVector(ctx, v, q.TopN, o)
		top(fmt.Sprintf("similar_by_vector(%s*%g)", q.Word, q.Scale), i, got, err, q.Result)
	}
	if !exact {
		return pc
	}
	for _, q := range f.Similarity {
		got, err := c.Similarity(ctx, q.A, q.B)
		if err != nil || math.Abs(float64(got)-q.Value) > scoreTol {
			t.Errorf("similarity(%s, %s) = %v, %v; want %v", q.A, q.B, got, err, q.Value)
		}
		d, err := c.Distance(ctx, q.A, q.B)
		if err != nil || math.Abs(float64(d)-(1-q.Value)) > scoreTol {
			t.Errorf("distance(%s, %s) = %v, %v; want %v", q.A, q.B, d, err, 1-q.Value)
		}
	}
	for _, q := range f.NSimilarity {
		got, err := c.NSimilarity(ctx, q.A, q.B)
		if err != nil || math.Abs(float64(got)-q.Value) > scoreTol {
			t.Errorf("n_similarity(%v, %v) = %v, %v; want %v", q.A, q.B, got, err, q.Value)
		}
	}
	for _, q := range f.Rank {
		got, err := c.Rank(ctx, q.A, q.B)
		if err != nil || got != q.Value {
			t.Errorf("rank(%s, %s) = %v, %v; want %v", q.A, q.B, got, err, q.Value)
		}
	}
	for _, q := range f.CloserThan {
		got, err := c.CloserThan(ctx, q.A, q.B)
		if err != nil || !slices.Equal(got, q.Value) {
			t.Errorf("closer_than(%s, %s) = %v, %v; want %v", q.A, q.B, got, err, q.Value)
		}
	}
	for _, q := range f.DoesntMatch {
		got, err := c.DoesntMatch(ctx, q.Words)
		if err != nil || got != q.Value {
			t.Errorf("doesnt_match(%v) = %q, %v; want %q", q.Words, got, err, q.Value)
		}
	}
	for _, q := range f.Distances {
		got, err := c.Distances(ctx, q.A, q.Others)
		if err != nil || len(got) != len(q.Value) {
			t.Fatalf("distances(%s, %v) = %v, %v", q.A, q.Others, got, err)
		}
		for j, r := range got {
			if r.Key != q.Others[j] || math.Abs(float64(r.Score)-q.Value[j]) > scoreTol {
				t.Errorf("distances(%s, %v)[%d] = %v, want %v", q.A, q.Others, j, r, q.Value[j])
			}
		}
	}
	for _, q := range f.MostSimilarToGiven {
		got, err := c.MostSimilarToGiven(ctx, q.A, q.Candidates)
		if err != nil || got != q.Value {
			t.Errorf("most_similar_to_given(%s, %v) = %q, %v; want %q", q.A, q.Candidates, got, err, q.Value)
		}
	}
	for _, q := range f.RelativeCosineSimilarity {
		got, err := c.RelativeCosineSimilarity(ctx, q.A, q.B, q.TopN)
		if err != nil || math.Abs(float64(got)-q.Value) > scoreTol {
			t.Errorf("relative_cosine_similarity(%s, %s) = %v, %v; want %v", q.A, q.B, got, err, q.Value)
		}
	}
	return pc
}

// checkEvaluations compares evaluate_word_analogies and
// evaluate_word_pairs on the shared test sets.
func checkEvaluations(t *testing.T, c *query.Collection, f *parityFixture) {
	qs, err := os.Open(filepath.Join(sharedData, "questions-words.txt"))
	if err != nil {
		t.Logf("evaluations not compared: %v", err)
		return
	}
	defer qs.Close()
	want := f.EvaluateWordAnalogies
	rep, err := c.EvaluateAnalogies(ctx, qs, query.AnalogyEvalOptions{Restrict: want.Restrict, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Questions != want.Questions || rep.Skipped != want.Skipped {
		t.Errorf("evaluate_word_analogies: %d questions, %d skipped; want %d, %d", rep.Questions, rep.Skipped, want.Questions, want.Skipped)
	}
	got := append(append([]query.SectionScore(nil), rep.Sections...), rep.Total)
	if len(got) != len(want.Sections) {
		t.Fatalf("evaluate_word_analogies: %d sections, want %d", len(got), len(want.Sections))
	}
	for i, w := range want.Sections {
		g := got[i]
		if (i < len(got)-1 && g.Name != w.Section) || g.Correct != w.Correct || g.Total != w.Correct+w.Incorrect {
			t.Errorf("section %s: %d of %d correct, want %s %d of %d", g.Name, g.Correct, g.Total, w.Section, w.Correct, w.Correct+w.Incorrect)
		}
	}
	if math.Abs(rep.Total.Accuracy()-want.Score) > 1e-12 {
		t.Errorf("evaluate_word_analogies score %v, want %v", rep.Total.Accuracy(), want.Score)
	}
	t.Logf("evaluate_word_analogies: %d/%d correct, %d skipped (gensim: %d/%d, %d)", rep.Total.Correct, rep.Total.Total, rep.Skipped,
		want.Sections[len(want.Sections)-1].Correct, want.Sections[len(want.Sections)-1].Correct+want.Sections[len(want.Sections)-1].Incorrect, want.Skipped)
	if _, err := qs.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	hnsw, err := c.EvaluateAnalogies(ctx, qs, query.AnalogyEvalOptions{Restrict: want.Restrict})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("evaluate_word_analogies over HNSW (ef %d): %d/%d correct (%.2f%%, exact %.2f%%)", c.Config().Ef,
		hnsw.Total.Correct, hnsw.Total.Total, 100*hnsw.Total.Accuracy(), 100*rep.Total.Accuracy())
	for _, w := range f.EvaluateWordPairs {
		r, err := os.Open(filepath.Join(sharedData, w.File))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := c.EvaluateWordPairs(ctx, r, query.PairsEvalOptions{})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		round := func(x float64) float64 { return math.Round(x*1e4) / 1e4 }
		if round(float64(rep.Pearson)) != round(w.Pearson) || round(float64(rep.Spearman)) != round(w.Spearman) || round(100*rep.OOVShare()) != round(w.OOVRatio) {
			t.Errorf("evaluate_word_pairs(%s): pearson %.6f spearman %.6f oov %.4f%%; want %.6f %.6f %.4f%%",
				w.File, float64(rep.Pearson), float64(rep.Spearman), 100*rep.OOVShare(), w.Pearson, w.Spearman, w.OOVRatio)
		}
	}
}

func TestGensimParity10k(t *testing.T) {
	if raceEnabled {
		t.Skip("checks numbers, not concurrency, and runs 20x slower under -race: skipped")
	}
	f := readFixture(t, "parity-10k.json")
	g := loadGloVe(t)
	if f.Words != len(g.keys) {
		t.Fatalf("fixture over %d words, collection %d", f.Words, len(g.keys))
	}
	pc := checkParity(t, g.c, f, true)
	t.Logf("exact: %d top-10 queries and %d of each other kind match gensim %s", pc.queries, f.Queries, f.Gensim)
	pc = checkParity(t, g.c, f, false)
	t.Logf("HNSW (ef %d): %d of %d top-10 lists differ from gensim's: %v", g.c.Config().Ef, pc.topMismatch, pc.queries, pc)
	checkEvaluations(t, g.c, f)
}

func TestGensimParity50k(t *testing.T) {
	f := readFixture(t, "parity-50k.json")
	g := loadGloVe50k(t)
	if f.Words != len(g.keys) {
		t.Fatalf("fixture over %d words, collection %d", f.Words, len(g.keys))
	}
	pc := checkParity(t, g.c, f, true)
	t.Logf("exact: %d top-10 queries and %d of each other kind match gensim %s", pc.queries, f.Queries, f.Gensim)
	pc = checkParity(t, g.c, f, false)
	t.Logf("HNSW (ef %d): %d of %d top-10 lists differ from gensim's: %v", g.c.Config().Ef, pc.topMismatch, pc.queries, pc)
	checkEvaluations(t, g.c, f)
}
