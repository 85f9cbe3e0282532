package query_test

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// bm25Ref scores docs for the query words by Lucene's BM25 (k1 1.2,
// b 0.75), written out here: idf = ln(1 + (N − df + 0.5)/(df + 0.5)),
// term score = idf·f/(f + k1·(1 − b + b·dl/avgdl)), summed over the
// distinct query words. Texts are split on spaces (the test corpus has no
// punctuation and is lower case). Documents with no query word are left
// out; ties by key.
func bm25Ref(docs map[string]string, q string) []query.TextResult {
	const k1, b = 1.2, 0.75
	n, total := 0, 0
	lens := map[string]int{}
	tf := map[string]map[string]int{}
	df := map[string]int{}
	for k, s := range docs {
		ws := strings.Fields(s)
		if len(ws) == 0 {
			continue
		}
		n++
		total += len(ws)
		lens[k] = len(ws)
		tf[k] = map[string]int{}
		for _, w := range ws {
			if tf[k][w] == 0 {
				df[w]++
			}
			tf[k][w]++
		}
	}
	avg := float64(total) / float64(n)
	seen := map[string]bool{}
	score := map[string]float64{}
	for _, w := range strings.Fields(q) {
		if seen[w] {
			continue
		}
		seen[w] = true
		if df[w] == 0 {
			continue
		}
		idf := math.Log(1 + (float64(n)-float64(df[w])+0.5)/(float64(df[w])+0.5))
		for k := range tf {
			f := float64(tf[k][w])
			if f == 0 {
				continue
			}
			score[k] += idf * f / (f + k1*(1-b+b*float64(lens[k])/avg))
		}
	}
	var out []query.TextResult
	for k, s := range score {
		out = append(out, query.TextResult{Key: k, Score: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func sameRanking(t *testing.T, what string, got, want []query.TextResult) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d\ngot  %v\nwant %v", what, len(got), len(want), got, want)
	}
	// Equal scores may come in any order: compare each run of ties as a set.
	for i := 0; i < len(want); {
		j := i + 1
		for j < len(want) && math.Abs(want[j].Score-want[i].Score) <= 1e-9*math.Max(1, want[i].Score) {
			j++
		}
		set := map[string]bool{}
		for _, r := range want[i:j] {
			set[r.Key] = true
		}
		for x := i; x < j; x++ {
			if !set[got[x].Key] || math.Abs(got[x].Score-want[x].Score) > 1e-9*math.Max(1, want[x].Score) {
				t.Fatalf("%s: result %d is %s %.12g, want %s %.12g", what, x, got[x].Key, got[x].Score, want[x].Key, want[x].Score)
			}
		}
		i = j
	}
}

// TestKeywordBM25: keyword scores equal the reference on a small corpus,
// after inserts, an update and a delete.
func TestKeywordBM25(t *testing.T) {
	db, c, _ := textDB(t, "words:words")
	corpus := map[string]string{
		"a": "the cat runs the cat",
		"b": "a dog runs on the road",
		"c": "the car runs on the road the car is fast",
		"d": "fish swims",
		"e": "the the the the the the the the cat",
		"f": "cat dog fish car road engine pet",
	}
	put := func() {
		var recs []query.Record
		for k, s := range corpus {
			recs = append(recs, query.Record{Key: k, Vector: meanOf(s + " the"), Text: s})
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put()
	queries := []string{"cat", "the cat", "road car", "fish swims engine", "runs", "nothing matches"}
	check := func(stage string) {
		t.Helper()
		for _, q := range queries {
			got, err := c.SearchText(ctx, q, 10, query.TextSearchOptions{Mode: query.ModeKeyword})
			if err != nil {
				t.Fatal(err)
			}
			sameRanking(t, stage+" "+q, got, bm25Ref(corpus, q))
		}
		if err := db.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check("insert")
	corpus["b"] = "a dog swims in the road with a cat"
	put()
	check("update")
	if _, err := c.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	delete(corpus, "c")
	check("delete")

	// Keyword search needs no embedder.
	plain, err := db.CreateCollection(ctx, "plain", query.CollectionConfig{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.UpsertBatch(ctx, []query.Record{{Key: "x", Vector: []float32{1, 0}, Text: "fish swims"}, {Key: "y", Vector: []float32{0, 1}}}, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := plain.SearchText(ctx, "fish", 5, query.TextSearchOptions{Mode: query.ModeKeyword})
	if err != nil || len(got) != 1 || got[0].Key != "x" {
		t.Fatalf("keyword search without an embedder: %+v, %v", got, err)
	}
	if _, err := plain.SearchText(ctx, "fish", 5, query.TextSearchOptions{}); !errors.Is(err, query.ErrNoEmbedder) {
		t.Fatalf("vector search without an embedder: %v", err)
	}
}

// TestHybridAndFilters: filters apply to both rankings before fusion;
// RRF's scores are Σ 1/(60 + rank) over the two per-mode rankings;
// Threshold keeps exactly the results that pass in each mode.
func TestHybridAndFilters(t *testing.T) {
	_, c, _ := textDB(t, "words:words")
	var docs []query.Document
	for i := range 40 {
		ws := []string{"cat", "dog", "fish", "car", "road", "engine", "pet", "runs", "swims"}
		var parts []string
		for j := range 1 + i%5 {
			parts = append(parts, ws[(i*7+j*3)%len(ws)])
		}
		lang := "en"
		if i%3 == 0 {
			lang = "fr"
		}
		docs = append(docs, query.Document{Key: fmt.Sprintf("doc%02d", i), Text: strings.Join(parts, " "), Metadata: []byte(`{"lang":"` + lang + `"}`)})
	}
	if _, err := c.AddDocuments(ctx, docs, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	isFr := map[string]bool{}
	for _, d := range docs {
		isFr[d.Key] = strings.Contains(string(d.Metadata), "fr")
	}
	q := "cat runs road"
	so := query.SearchOptions{Exact: true}
	fr := query.SearchOptions{Exact: true, Filter: query.Eq("lang", "fr")}
	for _, mode := range []string{query.ModeVector, query.ModeKeyword, query.ModeHybrid} {
		all, err := c.SearchText(ctx, q, 40, query.TextSearchOptions{SearchOptions: so, Mode: mode, Candidates: 40})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.SearchText(ctx, q, 5, query.TextSearchOptions{SearchOptions: fr, Mode: mode, Candidates: 40})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("%s with filter: %d results, want 5", mode, len(got))
		}
		for _, r := range got {
			if !isFr[r.Key] {
				t.Fatalf("%s: %s fails the filter", mode, r.Key)
			}
		}
		if mode != query.ModeHybrid {
			// Filtering first, then ranking: the filtered answer is the
			// unfiltered ranking restricted to passing documents.
			var want []string
			for _, r := range all {
				if isFr[r.Key] && len(want) < 5 {
					want = append(want, r.Key)
				}
			}
			var keys []string
			for _, r := range got {
				keys = append(keys, r.Key)
			}
			if fmt.Sprint(keys) != fmt.Sprint(want) {
				t.Fatalf("%s filtered %v, want %v", mode, keys, want)
			}
		}
		// Threshold: the results that pass, in the same order.
		th := all[len(all)/3].Score
		kept, err := c.SearchText(ctx, q, 40, query.TextSearchOptions{SearchOptions: so, Mode: mode, Candidates: 40, Threshold: &th})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range all {
			if r.Score >= th {
				if kept[n].Key != r.Key {
					t.Fatalf("%s threshold: result %d is %s, want %s", mode, n, kept[n].Key, r.Key)
				}
				n++
			}
		}
		if n != len(kept) || n == 0 || n == len(all) {
			t.Fatalf("%s threshold %v kept %d of %d, want %d", mode, th, len(kept), len(all), n)
		}
	}
	// RRF, written out from the two per-mode rankings over the filtered
	// documents.
	vec, _ := c.SearchText(ctx, q, 40, query.TextSearchOptions{SearchOptions: fr, Mode: query.ModeVector, Candidates: 40})
	kw, _ := c.SearchText(ctx, q, 40, query.TextSearchOptions{SearchOptions: fr, Mode: query.ModeKeyword, Candidates: 40})
	want := map[string]float64{}
	for i, r := range vec {
		want[r.Key] += 1 / (60 + float64(i+1))
	}
	for i, r := range kw {
		want[r.Key] += 1 / (60 + float64(i+1))
	}
	hy, err := c.SearchText(ctx, q, 40, query.TextSearchOptions{SearchOptions: fr, Mode: query.ModeHybrid, Candidates: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(hy) != len(want) {
		t.Fatalf("hybrid: %d results, want %d", len(hy), len(want))
	}
	for i, r := range hy {
		if math.Abs(r.Score-want[r.Key]) > 1e-12 || (i > 0 && r.Score > hy[i-1].Score) {
			t.Fatalf("hybrid %s: score %v, want %v (or out of order)", r.Key, r.Score, want[r.Key])
		}
	}
	// Weighted fusion with weight 1 is the vector ranking.
	w1, err := c.SearchText(ctx, q, 10, query.TextSearchOptions{SearchOptions: fr, Mode: query.ModeHybrid, Fusion: query.FusionWeighted, Weight: 1, Candidates: 40})
	if err != nil {
		t.Fatal(err)
	}
	for i := range w1 {
		if w1[i].Key != vec[i].Key && w1[i].Score != w1[max(0, i-1)].Score {
			t.Fatalf("weighted fusion with weight 1: %s at %d, vector ranking has %s", w1[i].Key, i, vec[i].Key)
		}
	}
}
