package wordnet_test

import (
	"bufio"
	"context"
	"errors"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/bench/wordnet"
	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/sample"
	"github.com/vecbolt/vecbolt/query/text"
)

var (
	gloveOnce sync.Once
	glove     struct {
		keys  []string
		vecs  map[string][]float64
		c     *query.Collection
		vocab *query.Vocabulary
		err   error
	}
	sampleSynsets []wordnet.Synset
)

// loadGloVe builds a collection of the bundled 10k GloVe sample, parsing
// the file with a reader of its own.
func loadGloVe(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a 10k-word database; skipped with -short")
	}
	gloveOnce.Do(func() {
		ctx := context.Background()
		g := &glove
		g.vecs = map[string][]float64{}
		var recs []query.Record
		sc := bufio.NewScanner(sample.GloVe())
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			v32 := make([]float32, len(f)-1)
			v64 := make([]float64, len(f)-1)
			for i, s := range f[1:] {
				x, err := strconv.ParseFloat(s, 32)
				if err != nil {
					g.err = err
					return
				}
				v32[i], v64[i] = float32(x), float64(float32(x))
			}
			g.keys = append(g.keys, f[0])
			g.vecs[f[0]] = v64
			recs = append(recs, query.Record{Key: f[0], Vector: v32})
		}
		dir, err := mkdirTemp()
		if err != nil {
			g.err = err
			return
		}
		db, err := query.Open(filepath.Join(dir, "glove.db"), query.Options{NoSync: true})
		if err != nil {
			g.err = err
			return
		}
		if g.c, g.err = db.CreateCollection(ctx, "glove", query.CollectionConfig{Dim: sample.Dim}); g.err != nil {
			return
		}
		if g.err = g.c.UpsertBatch(ctx, recs, query.BatchOptions{}); g.err != nil {
			return
		}
		g.vocab, g.err = query.NewVocabulary(ctx, g.c)
		if g.err == nil {
			sampleSynsets, g.err = wordnet.ReadDir(sampleDir)
		}
	})
	if glove.err != nil {
		t.Fatal(glove.err)
	}
}

// meanOf is the plain mean, in float64, of the vectors of the words of s
// that GloVe knows, and the set of all its words.
func meanOf(t *testing.T, s string) ([]float64, map[string]bool) {
	toks, err := text.Tokenize(s)
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]bool{}
	m := make([]float64, sample.Dim)
	n := 0
	for _, tk := range toks {
		words[tk.Text] = true
		if v, ok := glove.vecs[tk.Text]; ok {
			for i, x := range v {
				m[i] += x
			}
			n++
		}
	}
	for i := range m {
		m[i] /= float64(n)
	}
	return m, words
}

func cosine(a, b []float64) float64 {
	var d, na, nb float64
	for i := range a {
		d += a[i] * b[i]
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	return d / math.Sqrt(na*nb)
}

// The mean-pooling ranks of an exact run equal a brute-force ranking
// written out here: cosine of the float64 mean against every word, the
// definition's words excluded.
func TestReverseDictionaryAgainstBruteForce(t *testing.T) {
	loadGloVe(t)
	ctx := context.Background()
	rep, err := wordnet.ReverseDictionary(ctx, sampleSynsets, glove.c, glove.vocab, wordnet.ReverseOptions{Synsets: 60, Seed: 1, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queries != 60 || len(rep.Rows) != 4 || rep.Synsets != 300 {
		t.Fatalf("queries %d, rows %d, synsets %d; want 60, 4, 300", rep.Queries, len(rep.Rows), rep.Synsets)
	}
	defs := map[string]string{}
	for _, s := range sampleSynsets {
		if w, ok := wordnet.Target(s, glove.vocab); ok {
			if _, dup := defs[w]; dup {
				defs[w] = "" // two synsets share the target: not checked
			} else {
				defs[w] = s.Definition
			}
		}
	}
	ranks := rep.Ranks(0) // mean, no component
	if rep.Rows[0].Pooling != "mean" || rep.Rows[0].PC {
		t.Fatalf("row 0 is %+v, want mean without PC", rep.Rows[0])
	}
	checked := 0
	for i, target := range rep.Targets {
		def := defs[target]
		if def == "" {
			continue
		}
		m, words := meanOf(t, def)
		want := cosine(m, glove.vecs[target])
		better := 0
		for _, k := range glove.keys {
			if !words[k] && k != target && cosine(m, glove.vecs[k]) > want {
				better++
			}
		}
		wantRank := better + 1
		if wantRank > 100 {
			wantRank = 0
		}
		if ranks[i] != wantRank && !(checked > 0 && nearTie(ranks[i], wantRank)) {
			t.Errorf("%q (%s): rank %d, brute force %d", target, def, ranks[i], wantRank)
		}
		checked++
	}
	if checked < 50 {
		t.Fatalf("only %d of %d queries checked", checked, rep.Queries)
	}
	for _, r := range rep.Rows {
		if !(r.R1 <= r.R10 && r.R10 <= r.R100 && r.MRR >= r.R1 && r.MRR <= 1) {
			t.Errorf("%+v is not monotone", r)
		}
	}
	t.Logf("%+v", rep.Rows)
}

// nearTie allows a rank to differ by one where float32 and float64 order
// two words whose cosines are within rounding.
func nearTie(a, b int) bool { return a > 0 && b > 0 && (a-b == 1 || b-a == 1) }

func TestEvaluationOptions(t *testing.T) {
	loadGloVe(t)
	ctx := context.Background()
	if _, err := wordnet.ReverseDictionary(ctx, sampleSynsets, glove.c, glove.vocab, wordnet.ReverseOptions{Synsets: -1}); !errors.Is(err, wordnet.ErrOption) {
		t.Errorf("negative synsets: got %v, want ErrOption", err)
	}
	if _, err := wordnet.ReverseDictionary(ctx, nil, glove.c, glove.vocab, wordnet.ReverseOptions{}); !errors.Is(err, wordnet.ErrNoSynsets) {
		t.Errorf("no synsets: got %v, want ErrNoSynsets", err)
	}
	if _, err := wordnet.GlossRetrieval(ctx, sampleSynsets, glove.vocab, wordnet.GlossOptions{Depth: 5}); !errors.Is(err, wordnet.ErrOption) {
		t.Errorf("depth 5: got %v, want ErrOption", err)
	}
	for _, w := range []float64{-0.5, 1, 2, math.NaN()} {
		if _, err := wordnet.GlossRetrieval(ctx, sampleSynsets, glove.vocab, wordnet.GlossOptions{Weights: []float64{0.5, w}}); !errors.Is(err, wordnet.ErrOption) {
			t.Errorf("weight %g: got %v, want ErrOption", w, err)
		}
	}
	noExamples := []wordnet.Synset{{Offset: 1, POS: 'n', Lemmas: []string{"cat"}, Definition: "a small animal"}}
	if _, err := wordnet.GlossRetrieval(ctx, noExamples, glove.vocab, wordnet.GlossOptions{}); !errors.Is(err, wordnet.ErrNoSynsets) {
		t.Errorf("no examples: got %v, want ErrNoSynsets", err)
	}
}

// Keyword, vector and hybrid ranks of an exact mean-pooled run equal an
// independent computation here: BM25 written out from Lucene's formula,
// cosine of float64 means, and RRF (k = 60) of those two lists.
func TestGlossRetrievalAgainstIndependent(t *testing.T) {
	loadGloVe(t)
	ctx := context.Background()
	rep, err := wordnet.GlossRetrieval(ctx, sampleSynsets, glove.vocab, wordnet.GlossOptions{Queries: 80, Seed: 3, Mean: true, NoPC: true, Exact: true, Weights: []float64{0.5, 0.8}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents+rep.Skipped != 300 || rep.Skipped > 3 || rep.Queries != 80 || len(rep.Rows) != 5 {
		t.Fatalf("documents %d + skipped %d, queries %d, rows %d; want 300, 80, 5", rep.Documents, rep.Skipped, rep.Queries, len(rep.Rows))
	}
	// The independent index: terms and means of every definition.
	type doc struct {
		id    string
		terms []string
		mean  []float64
	}
	var docs []doc
	df := map[string]int{}
	total := 0
	examples := map[string]string{}
	for _, s := range sampleSynsets {
		if m, _ := meanOf(t, s.Definition); math.IsNaN(m[0]) {
			continue // no known word: not a document
		}
		toks, _ := text.Tokenize(s.Definition)
		d := doc{id: s.ID(), terms: text.Terms(toks)}
		d.mean, _ = meanOf(t, s.Definition)
		seen := map[string]bool{}
		for _, w := range d.terms {
			if !seen[w] {
				df[w]++
				seen[w] = true
			}
		}
		total += len(d.terms)
		docs = append(docs, d)
		examples[s.ID()] = s.Examples[0]
	}
	n := float64(len(docs))
	avg := float64(total) / n
	const k1, b = 1.2, 0.75
	rankOf := func(scores []float64, want int, depth int) ([]int, int) {
		order := make([]int, 0, len(scores))
		for i, s := range scores {
			if !math.IsNaN(s) {
				order = append(order, i)
			}
		}
		sort.SliceStable(order, func(i, j int) bool { return scores[order[i]] > scores[order[j]] })
		if len(order) > depth {
			order = order[:depth]
		}
		for r, i := range order {
			if i == want {
				return order, r + 1
			}
		}
		return order, 0
	}
	exact := [5]int{}
	var found [4]int
	overlapSum := 0
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	for qi, id := range rep.QueryIDs {
		want := -1
		for i, d := range docs {
			if d.id == id {
				want = i
			}
		}
		q := examples[id]
		toks, _ := text.Tokenize(q)
		bm := make([]float64, len(docs))
		for i := range bm {
			bm[i] = math.NaN()
		}
		for _, tk := range toks {
			if df[tk.Text] == 0 {
				continue
			}
			idf := math.Log(1 + (n-float64(df[tk.Text])+0.5)/(float64(df[tk.Text])+0.5))
			for i, d := range docs {
				f := 0
				for _, w := range d.terms {
					if w == tk.Text {
						f++
					}
				}
				if f == 0 {
					continue
				}
				if math.IsNaN(bm[i]) {
					bm[i] = 0
				}
				bm[i] += idf * float64(f) / (float64(f) + k1*(1-b+b*float64(len(d.terms))/avg))
			}
		}
		qm, _ := meanOf(t, q)
		cos := make([]float64, len(docs))
		for i, d := range docs {
			cos[i] = cosine(qm, d.mean)
		}
		kwOrder, kwRank := rankOf(bm, want, 100)
		vOrder, vRank := rankOf(cos, want, 100)
		rrf := make([]float64, len(docs))
		for i := range rrf {
			rrf[i] = math.NaN()
		}
		for _, order := range [][]int{kwOrder, vOrder} {
			for r, i := range order {
				if math.IsNaN(rrf[i]) {
					rrf[i] = 0
				}
				rrf[i] += 1 / (60 + float64(r+1))
			}
		}
		_, hRank := rankOf(rrf, want, 100)
		// Weighted: min-max normalised scores of each list, vector weight
		// wv, keyword 1 − wv.
		weighted := func(wv float64) int {
			ws := make([]float64, len(docs))
			for i := range ws {
				ws[i] = math.NaN()
			}
			for li, order := range [][]int{kwOrder, vOrder} {
				scores, w := [][]float64{bm, cos}[li], []float64{1 - wv, wv}[li]
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, i := range order {
					lo, hi = math.Min(lo, scores[i]), math.Max(hi, scores[i])
				}
				for _, i := range order {
					if math.IsNaN(ws[i]) {
						ws[i] = 0
					}
					norm := 1.0 // a list of equal scores: all 1, as documented
					if hi > lo {
						norm = (scores[i] - lo) / (hi - lo)
					}
					ws[i] += w * norm
				}
			}
			_, r := rankOf(ws, want, 100)
			return r
		}
		found[0] += b2i(kwRank > 0 && vRank > 0)
		found[1] += b2i(kwRank > 0 && vRank == 0)
		found[2] += b2i(kwRank == 0 && vRank > 0)
		found[3] += b2i(kwRank == 0 && vRank == 0)
		inKw := map[int]bool{}
		for _, i := range kwOrder {
			inKw[i] = true
		}
		for _, i := range vOrder {
			overlapSum += b2i(inKw[i])
		}
		for m, w := range []int{kwRank, vRank, hRank, weighted(0.5), weighted(0.8)} {
			got := rep.Ranks(m)[qi]
			if got == w {
				exact[m]++
			} else if !nearTie(got, w) {
				t.Errorf("query %d %q, %s: rank %d, independent %d", qi, q, rep.Rows[m].Mode, got, w)
			}
		}
	}
	f := rep.Found
	if d := [4]int{f.Both, f.KeywordOnly, f.VectorOnly, f.Neither}; d != found {
		t.Errorf("found both/keyword/vector/neither %v, independent %v", d, found)
	}
	if want := float64(overlapSum) / float64(rep.Queries); math.Abs(f.Overlap-want) > 0.05 {
		t.Errorf("mean overlap %.3f, independent %.3f", f.Overlap, want)
	}
	for m, e := range exact {
		if e < rep.Queries*9/10 {
			t.Errorf("%s: only %d of %d ranks equal", rep.Rows[m].Mode, e, rep.Queries)
		}
	}
	for _, r := range rep.Rows {
		t.Logf("%s: recall@10 %.3f, MRR %.3f", r.Mode, r.R10, r.MRR)
	}
}

// The graph path (a temporary vecbolt collection) ranks like the exact
// scan on the 300 sample definitions, where a beam of 100 sees nearly all.
func TestGlossRetrievalGraphMatchesScan(t *testing.T) {
	loadGloVe(t)
	ctx := context.Background()
	o := wordnet.GlossOptions{Queries: 80, Seed: 2, Dir: t.TempDir()}
	graph, err := wordnet.GlossRetrieval(ctx, sampleSynsets, glove.vocab, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Exact = true
	scan, err := wordnet.GlossRetrieval(ctx, sampleSynsets, glove.vocab, o)
	if err != nil {
		t.Fatal(err)
	}
	for m := range graph.Rows {
		same := 0
		for q := range graph.QueryIDs {
			if graph.Ranks(m)[q] == scan.Ranks(m)[q] {
				same++
			}
		}
		if same < graph.Queries*95/100 {
			t.Errorf("%s: %d of %d ranks equal between graph and scan", graph.Rows[m].Mode, same, graph.Queries)
		}
	}
	if graph.Rows[0].R10 != scan.Rows[0].R10 {
		t.Errorf("keyword recall differs: %v vs %v", graph.Rows[0].R10, scan.Rows[0].R10)
	}
}

// Documents added in several AddDocuments calls (the component fitted on
// the first, a random sample) rank the keyword queries as one call does:
// BM25 does not depend on the batches, only ties may order differently.
func TestGlossRetrievalInBatches(t *testing.T) {
	loadGloVe(t)
	ctx := context.Background()
	o := wordnet.GlossOptions{Queries: 80, Seed: 2, Exact: true, Dir: t.TempDir()}
	one, err := wordnet.GlossRetrieval(ctx, sampleSynsets, glove.vocab, o)
	if err != nil {
		t.Fatal(err)
	}
	defer wordnet.SetGlossBatches(100, 60)()
	many, err := wordnet.GlossRetrieval(ctx, sampleSynsets, glove.vocab, o)
	if err != nil {
		t.Fatal(err)
	}
	if many.Documents != one.Documents || many.Queries != one.Queries || strings.Join(many.QueryIDs, ",") != strings.Join(one.QueryIDs, ",") {
		t.Fatalf("batched: %d documents, %d queries; one call: %d, %d", many.Documents, many.Queries, one.Documents, one.Queries)
	}
	same := 0
	for q := range one.QueryIDs {
		a, b := one.Ranks(0)[q], many.Ranks(0)[q]
		if a == b {
			same++
		} else if a == 0 || b == 0 || a-b > 5 || b-a > 5 { // ties of up to a few documents reorder
			t.Errorf("query %s: keyword rank %d in one call, %d in batches", one.QueryIDs[q], a, b)
		}
	}
	if same < one.Queries*3/4 {
		t.Errorf("only %d of %d keyword ranks equal", same, one.Queries)
	}
	if math.Abs(many.Rows[1].MRR-one.Rows[1].MRR) > 0.1 {
		t.Errorf("vector MRR %.3f in batches, %.3f in one call", many.Rows[1].MRR, one.Rows[1].MRR)
	}
}
