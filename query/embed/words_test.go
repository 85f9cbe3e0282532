package embed_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/sample"
	"github.com/vecbolt/vecbolt/query/text"
)

// mapVocab is a Vocabulary over a map; rank is insertion order.
type mapVocab struct {
	vecs  map[string][]float32
	ranks map[string]int
	dim   int
}

func newMapVocab(dim int) *mapVocab {
	return &mapVocab{vecs: map[string][]float32{}, ranks: map[string]int{}, dim: dim}
}

func (m *mapVocab) add(w string, v ...float32) *mapVocab {
	m.vecs[w] = v
	m.ranks[w] = len(m.ranks) + 1
	return m
}

func (m *mapVocab) Lookup(w string) ([]float32, int, bool) {
	v, ok := m.vecs[w]
	return v, m.ranks[w], ok
}
func (m *mapVocab) Len() int { return len(m.vecs) }
func (m *mapVocab) Dim() int { return m.dim }

// tiny: four words, ranks 1..4, so Zipf gives p = 0.48, 0.24, 0.16, 0.12.
func tiny() *mapVocab {
	return newMapVocab(2).add("the", 1, 0).add("king", 0, 1).add("queen", 1, 1).add("'s", 2, 2)
}

func approx(t *testing.T, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestWordsMean(t *testing.T) {
	w, err := embed.NewWords(tiny(), embed.WordsOptions{Collection: "glove"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	es, err := w.Embed(ctx, []string{"The king!", "The kingdom's king, the QUEEN"})
	if err != nil {
		t.Fatal(err)
	}
	approx(t, es[0].Vector, []float64{0.5, 0.5})
	// the, king, the, queen pooled; kingdom's reported.
	approx(t, es[1].Vector, []float64{(1 + 0 + 1 + 1) / 4.0, (0 + 1 + 0 + 1) / 4.0})
	if es[1].Words != 5 || es[1].Pooled != 4 || fmt.Sprint(es[1].OOV) != "[kingdom's]" {
		t.Fatalf("report %+v", es[1])
	}
	st := w.Stats()
	if st.Texts != 2 || st.Words != 7 || st.Pooled != 6 || st.OOV != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := w.Spec().String(); got != "words:glove?pc=0&pieces=none&pool=mean" || w.Dim() != 2 {
		t.Fatalf("spec %q dim %d", got, w.Dim())
	}
	q, err := w.EmbedQuery(ctx, "queen")
	if err != nil {
		t.Fatal(err)
	}
	approx(t, q, []float64{1, 1})
	// Whole pieces: king's = king + 's.
	w, _ = embed.NewWords(tiny(), embed.WordsOptions{Collection: "glove", Pieces: text.PieceOptions{Mode: text.WholePieces}})
	v, err := w.EmbedQuery(ctx, "king's")
	if err != nil {
		t.Fatal(err)
	}
	approx(t, v, []float64{1, 1.5})
	if w.Spec().Params["pieces"] != "whole" {
		t.Fatalf("spec %q", w.Spec())
	}
}

func TestWordsSIF(t *testing.T) {
	ctx := context.Background()
	a := 1e-3
	w, err := embed.NewWords(tiny(), embed.WordsOptions{Collection: "glove", Pool: embed.SIF})
	if err != nil {
		t.Fatal(err)
	}
	es, err := w.Pool(ctx, []string{"the queen"})
	if err != nil {
		t.Fatal(err)
	}
	// (1/2)·(a/(a+0.48)·[1 0] + a/(a+0.16)·[1 1])
	w1, w3 := a/(a+0.48), a/(a+0.16)
	approx(t, es[0].Vector, []float64{(w1 + w3) / 2, w3 / 2})
	if got := w.Spec().String(); got != "words:glove?a=0.001&p=zipf&pc=0&pieces=none&pool=sif" {
		t.Fatalf("spec %q", got)
	}

	// Counts instead of Zipf: p(the) = 0.9, p(queen) = 0.1.
	counts, _ := text.NewCounts(map[string]uint64{"the": 90, "queen": 10})
	w, _ = embed.NewWords(tiny(), embed.WordsOptions{Collection: "glove", Pool: embed.SIF, A: 0.01, Counts: counts})
	v, _ := w.EmbedQuery(ctx, "the queen king")
	// king is not counted: p = 0, weight 1.
	c1, c3 := 0.01/(0.01+0.9), 0.01/(0.01+0.1)
	approx(t, v, []float64{(c1 + c3) / 3, (1 + c3) / 3})
	if w.Spec().Params["p"] != "counts" || w.Spec().Params["a"] != "0.01" {
		t.Fatalf("spec %q", w.Spec())
	}
}

func TestWordsComponent(t *testing.T) {
	ctx := context.Background()
	w, err := embed.NewWords(tiny(), embed.WordsOptions{Collection: "glove", Pool: embed.SIF, RemoveComponent: true})
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{"the king", "the queen", "king queen 's", "the the king"}
	if _, err := w.EmbedDocuments(ctx, docs); !errors.Is(err, embed.ErrNoComponent) {
		t.Fatalf("without a component: %v", err)
	}
	pooled, err := w.Pool(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	vecs := make([][]float32, len(pooled))
	for i, e := range pooled {
		vecs[i] = e.Vector
	}
	comp, err := text.FitComponent(vecs)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := w.WithComponent(comp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := w2.EmbedDocuments(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	u := comp.Vector()
	for i, v := range vecs {
		dot := float64(v[0])*u[0] + float64(v[1])*u[1]
		approx(t, got[i], []float64{float64(v[0]) - dot*u[0], float64(v[1]) - dot*u[1]})
	}
	if w2.Spec().Params["pc"] != "1" {
		t.Fatalf("spec %q", w2.Spec())
	}
	// The component applies to queries alike.
	q, _ := w2.EmbedQuery(ctx, "the king")
	approx(t, q, []float64{float64(got[0][0]), float64(got[0][1])})
	if _, err := w.WithComponent(nil); !errors.Is(err, embed.ErrDimension) {
		t.Fatalf("nil component: %v", err)
	}
	c3, _ := text.NewComponent([]float64{1, 0, 0}, 1)
	if _, err := w.WithComponent(c3); !errors.Is(err, embed.ErrDimension) {
		t.Fatalf("3-d component: %v", err)
	}
}

func TestWordsErrors(t *testing.T) {
	ctx := context.Background()
	w, _ := embed.NewWords(tiny(), embed.WordsOptions{Collection: "glove"})
	tests := []struct {
		texts []string
		is    error
		index int
		msg   string
	}{
		{[]string{"the", ""}, embed.ErrEmptyText, 1, `text 1 "" has no words`},
		{[]string{"... — !"}, embed.ErrEmptyText, 0, "has no words"},
		{[]string{"king", "Xyzzy plugh, frobnicate and wibble a wobbling gizmo", "king"}, embed.ErrNoKnownTokens, 1,
			`text 1 "Xyzzy plugh, frobnicate and wibble a wob…": none of its 8 words is in the vocabulary (xyzzy, plugh, frobnicate, and, wibble, ...)`},
	}
	for _, tt := range tests {
		_, err := w.EmbedDocuments(ctx, tt.texts)
		var te *embed.TextError
		if !errors.Is(err, tt.is) || !errors.As(err, &te) || te.Index != tt.index || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: %v, want %v at %d mentioning %q", tt.texts, err, tt.is, tt.index, tt.msg)
		}
	}
	_, err := w.EmbedQuery(ctx, "xyzzy plugh")
	var te *embed.TextError
	if !errors.As(err, &te) || te.Words != 2 || fmt.Sprint(te.OOV) != "[xyzzy plugh]" || !strings.Contains(err.Error(), "(xyzzy, plugh)") {
		t.Errorf("no known word: %v", err)
	}
	if _, err := w.EmbedQuery(ctx, "king \xff"); !errors.Is(err, text.ErrInvalidUTF8) || !strings.Contains(err.Error(), "text 0") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	bad := tiny().add("broken", 1, 2, 3)
	wb, _ := embed.NewWords(bad, embed.WordsOptions{Collection: "glove"})
	if _, err := wb.EmbedQuery(ctx, "king broken"); !errors.Is(err, embed.ErrDimension) {
		t.Errorf("3-d word in a 2-d vocabulary: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.EmbedDocuments(cctx, []string{"king"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestNewWordsErrors(t *testing.T) {
	c3, _ := text.NewComponent([]float64{1, 0, 0}, 1)
	tests := []struct {
		v    embed.Vocabulary
		opts embed.WordsOptions
	}{
		{nil, embed.WordsOptions{Collection: "g"}},
		{newMapVocab(2), embed.WordsOptions{Collection: "g"}},
		{tiny(), embed.WordsOptions{}},
		{tiny(), embed.WordsOptions{Collection: "g", Pool: 7}},
		{tiny(), embed.WordsOptions{Collection: "g", Pool: embed.SIF, A: -1}},
		{tiny(), embed.WordsOptions{Collection: "g", Component: c3}},
	}
	for i, tt := range tests {
		if _, err := embed.NewWords(tt.v, tt.opts); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

func TestNewAndCheck(t *testing.T) {
	comp, _ := text.NewComponent([]float64{1, 1}, 3)
	e, err := embed.New("words:glove?pool=sif&a=0.01", embed.Deps{Vocabulary: tiny(), Component: comp})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Spec().String(); got != "words:glove?a=0.01&p=zipf&pc=1&pieces=none&pool=sif" {
		t.Fatalf("spec %q", got)
	}
	if _, err := e.EmbedQuery(context.Background(), "king"); err != nil {
		t.Fatal(err)
	}
	if err := embed.Check("words:glove?a=0.010&pool=sif", 2, e); err != nil {
		t.Fatalf("same embedder: %v", err)
	}
	err = embed.Check("words:glove", 2, e)
	var me *embed.MismatchError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), `"words:glove?pc=0&pieces=none&pool=mean"`) {
		t.Fatalf("mismatch: %v", err)
	}
	var de *embed.DimensionError
	if err := embed.Check(e.Spec().String(), 3, e); !errors.As(err, &de) || de.Got != 2 || de.Want != 3 {
		t.Fatalf("dimension: %v", err)
	}
	if err := embed.Check("nonsense", 3, e); !errors.Is(err, embed.ErrSpec) {
		t.Fatalf("bad recorded spec: %v", err)
	}
	if _, err := embed.New("words:glove?pool=sif&p=counts", embed.Deps{Vocabulary: tiny()}); !errors.Is(err, embed.ErrOption) {
		t.Fatalf("p=counts without counts: %v", err)
	}
	f := newFakeServer(t, "ollama", 5)
	e, err = embed.New("ollama:all-minilm?dimensions=5", embed.Deps{Client: fast(f.base())})
	if err != nil || e.Dim() != 5 || e.Spec().String() != "ollama:all-minilm?dimensions=5" {
		t.Fatalf("ollama from spec: %v %v", e, err)
	}
	if err := embed.Check("ollama:all-minilm?dimensions=5", 5, e); err != nil {
		t.Fatal(err)
	}
	e, err = embed.New("openai:m", embed.Deps{Client: embed.ClientOptions{BaseURL: "http://llama:8080/v1"}})
	if err != nil || e.Spec().String() != "openai:m" {
		t.Fatalf("openai from spec: %v %v", e, err)
	}
	if err := embed.Check("ollama:m", 0, e); !errors.Is(err, embed.ErrSpecMismatch) {
		t.Fatalf("provider mismatch: %v", err)
	}
}

// sampleVocab loads the 10,000-word GloVe sample shipped with vecbolt.
func sampleVocab(tb testing.TB) *mapVocab {
	tb.Helper()
	m := newMapVocab(sample.Dim)
	sc := bufio.NewScanner(sample.GloVe())
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		v := make([]float32, len(f)-1)
		for i, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				tb.Fatal(err)
			}
			v[i] = float32(x)
		}
		m.add(f[0], v...)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestWordsSample pools real sentences over the GloVe sample: related
// sentences come out closer than unrelated ones, with mean and SIF.
func TestWordsSample(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the 10k-word sample")
	}
	v := sampleVocab(t)
	for _, pool := range []embed.Pooling{embed.Mean, embed.SIF} {
		w, _ := embed.NewWords(v, embed.WordsOptions{Collection: "sample", Pool: pool})
		vecs, err := w.EmbedDocuments(context.Background(), []string{
			"The king and the queen lived in the palace.",
			"A prince married the princess at the royal castle.",
			"Stock markets fell sharply as investors sold shares.",
		})
		if err != nil {
			t.Fatal(err)
		}
		if cos(vecs[0], vecs[1]) <= cos(vecs[0], vecs[2]) {
			t.Errorf("pool %d: royal sentences %.3f apart, royal and markets %.3f", pool, cos(vecs[0], vecs[1]), cos(vecs[0], vecs[2]))
		}
	}
}

func cos(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// BenchmarkWords embeds 20-word texts drawn from the sample vocabulary:
// tokenize, look up, pool.
func BenchmarkWords(b *testing.B) {
	v := sampleVocab(b)
	words := make([]string, 0, v.Len())
	for w := range v.vecs {
		words = append(words, w)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	texts := make([]string, 256)
	for i := range texts {
		s := make([]string, 20)
		for j := range s {
			s[j] = words[rng.IntN(len(words))]
		}
		texts[i] = strings.Join(s, " ")
	}
	for _, pool := range []embed.Pooling{embed.Mean, embed.SIF} {
		name := map[embed.Pooling]string{embed.Mean: "mean", embed.SIF: "sif"}[pool]
		b.Run(name, func(b *testing.B) {
			w, _ := embed.NewWords(v, embed.WordsOptions{Collection: "sample", Pool: pool})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.EmbedDocuments(context.Background(), texts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "texts/s")
		})
	}
}
