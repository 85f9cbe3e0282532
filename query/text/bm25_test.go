package text_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/text"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

// TestBM25HandComputed scores a three-document corpus against numbers
// worked out by hand from Lucene's formula.
//
//	d1 "the cat sat on the mat" (6 tokens), d2 "the dog sat" (3),
//	d3 "cat cat dog" (3): N = 3, avgdl = 12/3 = 4.
//	cat and sat each occur in 2 documents: idf = ln(1 + 1.5/2.5) = ln 1.6.
//	Length factor k1·(1 − b + b·dl/avgdl): dl 6 → 1.2·1.375 = 1.65,
//	dl 3 → 1.2·0.8125 = 0.975.
//	Query "cat sat":
//	  d1 = ln1.6·1/(1+1.65) + ln1.6·1/(1+1.65) = 2·ln1.6/2.65
//	  d2 = ln1.6·1/(1+0.975)                   = ln1.6/1.975
//	  d3 = ln1.6·2/(2+0.975)                   = 2·ln1.6/2.975
func TestBM25HandComputed(t *testing.T) {
	ix := text.NewIndex()
	docs := []string{"the cat sat on the mat", "the dog sat", "cat cat dog"}
	for i, d := range docs {
		toks, _ := text.Tokenize(d)
		ix.Put(uint64(i+1), text.Terms(toks))
	}
	hits, err := text.Search(context.Background(), ix, text.DefaultBM25(), []string{"cat", "sat"}, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := math.Log(1.6)
	want := []text.Hit{{Doc: 1, Score: 2 * l / 2.65}, {Doc: 3, Score: 2 * l / 2.975}, {Doc: 2, Score: l / 1.975}}
	if len(hits) != len(want) {
		t.Fatalf("hits %v, want %v", hits, want)
	}
	for i := range want {
		if hits[i].Doc != want[i].Doc || !near(hits[i].Score, want[i].Score) {
			t.Fatalf("hit %d = %+v, want %+v", i, hits[i], want[i])
		}
	}
	// k = 1 keeps the best; a repeated query term counts twice.
	hits, _ = text.Search(context.Background(), ix, text.DefaultBM25(), []string{"dog", "dog"}, 1, nil)
	// dog: n = 2, idf = ln 1.6; d2 and d3 both have f = 1, dl = 3: tie, lower Doc first.
	if len(hits) != 1 || hits[0].Doc != 2 || !near(hits[0].Score, 2*l/1.975) {
		t.Fatalf("dog dog: %+v", hits)
	}
	// The accept filter runs before ranking.
	hits, _ = text.Search(context.Background(), ix, text.DefaultBM25(), []string{"cat", "sat"}, 1, func(d uint64) bool { return d != 1 })
	if len(hits) != 1 || hits[0].Doc != 3 {
		t.Fatalf("filtered: %+v", hits)
	}
	if hits, _ := text.Search(context.Background(), ix, text.DefaultBM25(), []string{"unicorn"}, 5, nil); len(hits) != 0 {
		t.Fatalf("no match: %+v", hits)
	}
}

func TestIDFAndTermScore(t *testing.T) {
	// Written out: N = 10, n = 1 → ln(1 + 9.5/1.5); n = N → ln(1 + 0.5/10.5) > 0.
	if got := text.IDF(10, 1); !near(got, math.Log(1+9.5/1.5)) {
		t.Errorf("IDF(10,1) = %v", got)
	}
	if got := text.IDF(10, 10); !(got > 0) || !near(got, math.Log(1+0.5/10.5)) {
		t.Errorf("IDF(10,10) = %v", got)
	}
	p := text.DefaultBM25()
	// f = 3, dl = avgdl: 3/(3 + 1.2) · idf.
	if got := p.TermScore(2, 3, 10, 10); !near(got, 2*3/4.2) {
		t.Errorf("TermScore = %v", got)
	}
	if got := p.TermScore(2, 0, 10, 10); got != 0 {
		t.Errorf("TermScore(f = 0) = %v", got)
	}
	// b = 0 ignores length; k1 = 0 gives idf for any f.
	if a, b := (text.BM25{K1: 1.2}).TermScore(1, 2, 5, 10), (text.BM25{K1: 1.2}).TermScore(1, 2, 500, 10); a != b {
		t.Errorf("b = 0 depends on length: %v %v", a, b)
	}
	if got := (text.BM25{}).TermScore(1.5, 7, 5, 10); got != 1.5 {
		t.Errorf("k1 = 0: %v", got)
	}
}

// TestLuceneNorms checks SmallFloat.intToByte4/byte4ToInt: lengths below 24
// exact, then 4 significant bits (values worked out by hand from Lucene's
// code: 24 + longToInt4(i), rounded down).
func TestLuceneNorms(t *testing.T) {
	for n := 0; n < 24; n++ {
		if b := text.EncodeLength(n); int(b) != n || text.DecodeLength(b) != n {
			t.Fatalf("length %d encodes to %d decodes to %d", n, b, text.DecodeLength(b))
		}
	}
	tests := []struct{ n, b, dec int }{
		{24, 24, 24}, {31, 31, 31}, {32, 32, 32}, {40, 40, 40}, {41, 40, 40},
		{100, 57, 96}, {1000, 87, 984}, {math.MaxInt32, 255, 24 + 15<<27},
	}
	for _, tt := range tests {
		b := text.EncodeLength(tt.n)
		if int(b) != tt.b || text.DecodeLength(b) != tt.dec {
			t.Errorf("length %d: byte %d decodes to %d; want byte %d decoding to %d", tt.n, b, text.DecodeLength(b), tt.b, tt.dec)
		}
	}
	// Monotone, never above the length, at most 1/8 below it.
	prev := 0
	for n := 0; n < 100000; n += 7 {
		d := text.DecodeLength(text.EncodeLength(n))
		if d > n || d < prev || float64(n-d) > float64(n)/8 {
			t.Fatalf("length %d decodes to %d (previous %d)", n, d, prev)
		}
		prev = d
	}
	// Quantised scoring uses the decoded length: 41 scores as 40.
	q := text.BM25{K1: 1.2, B: 0.75, Quantize: true}
	if a, b := q.TermScore(1, 1, 41, 20), text.DefaultBM25().TermScore(1, 1, 40, 20); a != b {
		t.Errorf("quantised length 41: %v, want %v", a, b)
	}
}

// bruteBM25 is an independent reference: it scores every document from its
// raw terms, with no postings.
func bruteBM25(docs map[uint64][]string, query []string, k int) []text.Hit {
	N := float64(len(docs))
	total := 0
	for _, d := range docs {
		total += len(d)
	}
	avg := float64(total) / N
	var hits []text.Hit
	for id, d := range docs {
		s := 0.0
		for _, q := range query {
			f := 0
			for _, w := range d {
				if w == q {
					f++
				}
			}
			if f == 0 {
				continue
			}
			n := 0.0
			for _, o := range docs {
				for _, w := range o {
					if w == q {
						n++
						break
					}
				}
			}
			idf := math.Log(1 + (N-n+0.5)/(n+0.5))
			s += idf * float64(f) / (float64(f) + 1.2*(1-0.75+0.75*float64(len(d))/avg))
		}
		if s > 0 {
			hits = append(hits, text.Hit{Doc: id, Score: s})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Doc < hits[j].Doc
	})
	return hits[:min(k, len(hits))]
}

func TestIndexAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vocab := strings.Fields("a b c d e f g h i j k l m n o p")
	doc := func() []string {
		n := rng.IntN(12)
		d := make([]string, n)
		for i := range d {
			d[i] = vocab[min(rng.IntN(len(vocab)), rng.IntN(len(vocab)))] // skewed
		}
		return d
	}
	ix := text.NewIndex()
	docs := map[uint64][]string{}
	// Inserts, updates and deletes; the postings must stay exact.
	for step := 0; step < 600; step++ {
		id := uint64(rng.IntN(80))
		if rng.IntN(5) == 0 {
			_, had := docs[id]
			if got := ix.Delete(id); got != had {
				t.Fatalf("Delete(%d) = %v, want %v", id, got, had)
			}
			delete(docs, id)
			continue
		}
		d := doc()
		ix.Put(id, d)
		docs[id] = d
	}
	if ix.Len() != len(docs) {
		t.Fatalf("Len %d, want %d", ix.Len(), len(docs))
	}
	st, _ := ix.Stats()
	tokens := 0
	for _, d := range docs {
		tokens += len(d)
	}
	if st.Docs != int64(len(docs)) || st.Tokens != int64(tokens) {
		t.Fatalf("Stats %+v, want %d docs %d tokens", st, len(docs), tokens)
	}
	for q := 0; q < 50; q++ {
		query := doc()
		query = query[:min(3, len(query))]
		k := 1 + rng.IntN(10)
		got, err := text.Search(context.Background(), ix, text.DefaultBM25(), query, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteBM25(docs, query, k)
		if len(got) != len(want) {
			t.Fatalf("query %v: %d hits, want %d", query, len(got), len(want))
		}
		for i := range want {
			if got[i].Doc != want[i].Doc || !near(got[i].Score, want[i].Score) {
				t.Fatalf("query %v hit %d = %+v, want %+v", query, i, got[i], want[i])
			}
		}
	}
}

type failingSource struct{ at string }

func (f failingSource) Stats() (text.Stats, error) {
	if f.at == "stats" {
		return text.Stats{}, errors.New("stats broke")
	}
	return text.Stats{Docs: 1, Tokens: 1}, nil
}

func (f failingSource) DocFreq(string) (int64, error) {
	if f.at == "df" {
		return 0, errors.New("df broke")
	}
	return 1, nil
}

func (f failingSource) Postings(_ string, fn func(text.Posting) error) error {
	if f.at == "postings" {
		return errors.New("postings broke")
	}
	return fn(text.Posting{Doc: 1, Freq: 1, Len: 1})
}

func TestSearchErrors(t *testing.T) {
	ctx := context.Background()
	ix := text.NewIndex()
	ix.Put(1, []string{"a"})
	if _, err := text.Search(ctx, ix, text.DefaultBM25(), []string{"a"}, 0, nil); !errors.Is(err, text.ErrInvalidK) {
		t.Errorf("k = 0: %v", err)
	}
	for _, p := range []text.BM25{{K1: -1, B: 0.5}, {K1: 1, B: 1.5}, {K1: math.NaN()}, {K1: 1, B: math.NaN()}, {K1: math.Inf(1)}} {
		if _, err := text.Search(ctx, ix, p, []string{"a"}, 1, nil); !errors.Is(err, text.ErrOption) {
			t.Errorf("params %+v: %v", p, err)
		}
	}
	for _, at := range []string{"stats", "df", "postings"} {
		_, err := text.Search(ctx, failingSource{at}, text.DefaultBM25(), []string{"a"}, 1, nil)
		if err == nil || !strings.Contains(err.Error(), "broke") {
			t.Errorf("source failing at %s: %v", at, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := text.Search(cctx, ix, text.DefaultBM25(), []string{"a"}, 1, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if hits, err := text.Search(ctx, text.NewIndex(), text.DefaultBM25(), []string{"a"}, 1, nil); err != nil || hits != nil {
		t.Errorf("empty index: %v %v", hits, err)
	}
}

func TestCount(t *testing.T) {
	tf, n := text.Count([]string{"b", "a", "b", "c", "b"})
	if n != 5 || fmt.Sprint(tf) != "[{a 1} {b 3} {c 1}]" {
		t.Fatalf("Count = %v, %d", tf, n)
	}
}
