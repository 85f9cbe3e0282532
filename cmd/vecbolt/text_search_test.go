package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// notesDB returns a database with the corpus imported into "notes"
// (words:glove, mean pooling) and its texts by key.
func notesDB(t *testing.T, spec string) (string, map[string]string) {
	t.Helper()
	db := wordsDB(t)
	ok(t, "--db", db, "create", "notes", "--embedder", spec)
	path := writeFile(t, t.TempDir(), "docs.jsonl", []byte(corpusJSONL()))
	ok(t, "--db", db, "-c", "notes", "import", path, "--text-field", "body")
	texts := map[string]string{}
	for _, d := range corpus {
		texts[d.id] = d.body
	}
	return db, texts
}

// vectorReference ranks the corpus by cosine similarity to q's mean
// vector.
func vectorReference(t *testing.T, texts map[string]string, q string) []scored {
	t.Helper()
	qv := meanVector(t, words(q)...)
	var out []scored
	for k, body := range texts {
		out = append(out, scored{k, cosine(qv, meanVector(t, words(body)...))})
	}
	sortScored(out)
	return out
}

// fuseReference fuses two rankings as the search help says: RRF sums
// w/(60 + rank) with w = 2W for the vector ranking and 2(1−W) for the
// keyword one; weighted sums W·norm(vector) + (1−W)·norm(keyword), each
// list's scores min-max normalised (all equal: 1), 0 when absent.
func fuseReference(vec, kw []scored, weighted bool, w float64) []scored {
	sum := map[string]float64{}
	add := func(list []scored, wt float64) {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range list {
			lo, hi = min(lo, s.score), max(hi, s.score)
		}
		for i, s := range list {
			switch {
			case !weighted:
				sum[s.key] += 2 * wt / (60 + float64(i+1))
			case hi > lo:
				sum[s.key] += wt * (s.score - lo) / (hi - lo)
			default:
				sum[s.key] += wt
			}
		}
	}
	add(vec, w)
	add(kw, 1-w)
	var out []scored
	for k, s := range sum {
		out = append(out, scored{k, s})
	}
	sortScored(out)
	return out
}

func TestSearchTextHybrid(t *testing.T) {
	db, texts := notesDB(t, "words:glove")
	n := []string{"--db", db, "-c", "notes"}
	for _, tc := range []struct {
		q        string
		weighted bool
		w        float64
	}{
		{"the cat on the mat", false, 0.5},
		{"red car in the park", false, 0.5},
		{"red car in the park", false, 0.8},
		{"the cat on the mat", true, 0.5},
		{"dog ran", true, 0.3},
	} {
		name := fmt.Sprintf("%s/%v/%v", tc.q, tc.weighted, tc.w)
		fusion := "rrf"
		if tc.weighted {
			fusion = "weighted"
		}
		got := textSearch(t, append(n, "search", "--text", tc.q, "--mode", "hybrid", "--fusion", fusion, "--weight", fmt.Sprint(tc.w), "--exact")...)
		want := fuseReference(vectorReference(t, texts, tc.q), bm25Reference(texts, tc.q), tc.weighted, tc.w)
		checkRanking(t, name, got.Results, want)
		if got.Mode != "hybrid" || got.Fusion != fusion {
			t.Errorf("%s: header %+v", name, got)
		}
		for _, r := range got.Results {
			if r.VectorRank == 0 || r.VectorScore == nil {
				t.Errorf("%s: %s has no vector rank: %+v", name, r.Key, r)
			}
		}
	}
	// Threshold per mode: the same results as the reference cut at S.
	// S halfway between the reference's second and third scores.
	for _, tc := range []struct {
		mode string
		ref  []scored
	}{
		{"vector", vectorReference(t, texts, "cat mat")},
		{"keyword", bm25Reference(texts, "cat mat")},
		{"hybrid", fuseReference(vectorReference(t, texts, "cat mat"), bm25Reference(texts, "cat mat"), false, 0.5)},
	} {
		s := (tc.ref[1].score + tc.ref[2].score) / 2
		want := tc.ref[:2]
		got := textSearch(t, append(n, "search", "--text", "cat mat", "--mode", tc.mode, "--threshold", fmt.Sprint(s))...)
		checkRanking(t, "threshold "+tc.mode, got.Results, want)
	}
	// Offset pages through the same ranking.
	all := textSearch(t, append(n, "search", "--text", "the mat", "--mode", "keyword")...)
	page := textSearch(t, append(n, "search", "--text", "the mat", "--mode", "keyword", "-k", "2", "--offset", "2")...)
	if len(page.Results) != 2 || page.Results[0].Key != all.Results[2].Key || page.Results[1].Key != all.Results[3].Key {
		t.Errorf("offset: %+v, all %+v", page.Results, all.Results)
	}
	// A keyword query with no known word finds nothing; in vector mode it
	// is refused.
	if got := textSearch(t, append(n, "search", "--text", "zebra", "--mode", "keyword")...); len(got.Results) != 0 {
		t.Errorf("keyword zebra: %+v", got.Results)
	}
	fails(t, exitInvalid, append(n, "search", "--text", "zebra okapi"), "none of its 2 words is in the vocabulary")
	// A query with some unknown words says which on stderr.
	r := vecbolt(t, "", append(n, "search", "--text", "cat zebra")...)
	if r.code != 0 || !strings.Contains(r.stderr, "vecbolt: note: words of the query not in the vocabulary do not count (1 of 2): zebra") {
		t.Errorf("OOV note: exit %d\n%s", r.code, r.stderr)
	}
}

func TestSearchTextFlags(t *testing.T) {
	db, _ := notesDB(t, "words:glove")
	n := []string{"--db", db, "-c", "notes", "search"}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--text", ""}, exitInvalid, "--text: the text is empty"},
		{[]string{"--text", "a\xffb"}, exitInvalid, "--text: invalid UTF-8 at byte offset 1"},
		{[]string{"--text", "cat", "--key", "d1"}, exitUsage, "give exactly one of --key, --vector, --expr, --batch and --text"},
		{[]string{"--text", "cat", "--mode", "semantic"}, exitUsage, `--mode must be vector, keyword or hybrid, got "semantic"`},
		{[]string{"--text", "cat", "--fusion", "weighted"}, exitUsage, "--fusion applies only to --mode hybrid, not vector"},
		{[]string{"--text", "cat", "--mode", "hybrid", "--fusion", "max"}, exitUsage, `--fusion must be rrf or weighted, got "max"`},
		{[]string{"--text", "cat", "--weight", "0.3"}, exitUsage, "--weight applies only to --mode hybrid"},
		{[]string{"--text", "cat", "--mode", "hybrid", "--weight", "0"}, exitUsage, "--weight must be more than 0 and at most 1, got 0 (for keyword alone use --mode keyword)"},
		{[]string{"--text", "cat", "--mode", "hybrid", "--weight", "1.5"}, exitUsage, "--weight must be more than 0"},
		{[]string{"--text", "cat", "--mode", "hybrid", "--weight", "NaN"}, exitUsage, "--weight must be more than 0"},
		{[]string{"--text", "cat", "--mode", "keyword", "--exact"}, exitUsage, "--exact applies to the vector ranking"},
		{[]string{"--text", "cat", "--with-vectors"}, exitUsage, "--with-vectors does not apply to --text"},
		{[]string{"--text", "cat", "--threshold", "0.5", "--limit", "3"}, exitUsage, "--limit does not apply to --text"},
		{[]string{"--text", "cat", "--threshold", "Inf"}, exitUsage, "--threshold must be a finite number"},
		{[]string{"--key", "d1", "--mode", "keyword"}, exitUsage, "--mode applies only to --text"},
		{[]string{"--key", "d1", "--chunks"}, exitUsage, "--chunks applies only to --text"},
		{[]string{"--key", "d1", "--embed-url", "http://x"}, exitUsage, "--embed-url applies only to --text"},
		{[]string{"--text", "cat", "-k", "0"}, exitUsage, "-k must be positive"},
		{[]string{"--text", "cat", "--filter", "lang ="}, exitInvalid, "expected a value"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fails(t, tc.code, append(append([]string{}, n...), tc.args...), tc.want)
		})
	}
	// A collection without an embedder: vector mode is refused with the
	// way out; keyword mode needs texts, which it has none of.
	fails(t, exitUsage, []string{"--db", db, "-c", "glove", "search", "--text", "cat"}, `collection "glove" has no embedder`)
	// A huge -k is answered with what there is.
	got := textSearch(t, append(append([]string{}, n...), "--text", "cat", "-k", "1000000000")...)
	if len(got.Results) != len(corpus) {
		t.Errorf("-k 1e9: %d results", len(got.Results))
	}
}

// TestSearchTextChunks imports long documents in chunks and checks that
// search merges them per document (best chunk first) unless --chunks.
func TestSearchTextChunks(t *testing.T) {
	db := wordsDB(t)
	ok(t, "--db", db, "create", "notes", "--embedder", "words:glove")
	n := []string{"--db", db, "-c", "notes"}
	docs := `{"id":"long","body":"the cat sat on the mat. the dog ran in the park. a red car, a blue car."}
{"id":"short","body":"the dog sat"}
`
	path := writeFile(t, t.TempDir(), "docs.jsonl", []byte(docs))
	out := ok(t, append(n, "import", path, "--text-field", "body", "--chunk-tokens", "6", "--chunk-overlap", "2")...)
	// 18 words in steps of 4: chunks at 0, 4, 8, 12 (the last ends at 18); "short" is one record.
	if !strings.Contains(out, "imported 2 documents") || !strings.Contains(out, "as 5 records (chunks)") {
		t.Errorf("import: %q", out)
	}
	got := textSearch(t, append(n, "search", "--text", "red car", "--mode", "keyword")...)
	if len(got.Results) != 1 || got.Results[0].Key != "long" || got.Results[0].Chunk != "long#3" || got.Results[0].Text != "a red car, a blue car" {
		t.Errorf("merged: %+v", got.Results)
	}
	got = textSearch(t, append(n, "search", "--text", "the dog", "--mode", "keyword", "--chunks", "-k", "10")...)
	keys := map[string]bool{}
	for _, r := range got.Results {
		keys[r.Key] = true
	}
	if !keys["short"] || !keys["long#1"] || !keys["long#2"] || keys["long"] {
		t.Errorf("--chunks: %+v", got.Results)
	}
	// Adding the long document again, unchunked, replaces its chunks.
	out = ok(t, append(n, "add", "long", "--text", "the blue car")...)
	if !strings.Contains(out, `replaced "long"`) || !strings.Contains(out, "(2 records)") {
		t.Errorf("replace chunks: %q", out)
	}
	// And chunked again, in 2 chunks.
	out = ok(t, append(n, "add", "long", "--text", "the cat sat on the mat and the dog ran", "--chunk-tokens", "5")...)
	if !strings.Contains(out, `replaced "long" in "notes" as 2 chunks (3 records)`) {
		t.Errorf("replace with chunks: %q", out)
	}
	// A failing replacement leaves the chunks in place.
	fails(t, exitInvalid, append(n, "add", "long", "--text", "zebra", "--chunk-tokens", "5"), "vocabulary")
	if got := statsRecords(t, n...); got != 3 {
		t.Errorf("%d records after a failed replacement, want 3", got)
	}
	ok(t, append(n, "get", "long#1")...)
	ok(t, "--db", db, "check")
}
