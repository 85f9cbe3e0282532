package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// corpus is the documents of the import and search tests: every word of
// them is in tinyWords, so the words embedder knows them all.
var corpus = []struct{ id, body, lang string }{
	{"d1", "The cat sat on the mat", "en"},
	{"d2", "The dog ran in the park", "en"},
	{"d3", "A red car, a blue car", "en"},
	{"d4", "The cat ran in the park on the mat", "fr"},
	{"d5", "Blue mat, red mat, the mat", "fr"},
	{"d6", "The dog sat", "en"},
}

// corpusJSONL writes the corpus as JSON Lines, with a lang field.
func corpusJSONL() string {
	var b strings.Builder
	for _, d := range corpus {
		fmt.Fprintf(&b, `{"id":%q,"body":%q,"lang":%q}`+"\n", d.id, d.body, d.lang)
	}
	return b.String()
}

// words splits a text as the reference: lower-cased runs of letters and
// digits (the corpus has no apostrophes or numbers, where UAX #29 differs).
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// bm25Reference scores docs for query with Lucene's BM25 (k1 = 1.2,
// b = 0.75, exact lengths), written out here from the formula: idf =
// ln(1 + (N − n + 0.5)/(n + 0.5)), tf part f/(f + k1(1 − b + b·|d|/avgdl)).
// It returns the matching documents, best first (key order on ties).
func bm25Reference(docs map[string]string, query string) []scored {
	const k1, b = 1.2, 0.75
	tokens := map[string][]string{}
	total := 0
	for k, d := range docs {
		tokens[k] = words(d)
		total += len(tokens[k])
	}
	n := float64(len(docs))
	avg := float64(total) / n
	var out []scored
	for k, toks := range tokens {
		score, match := 0.0, false
		for _, q := range words(query) {
			df := 0
			for _, t := range tokens {
				for _, w := range t {
					if w == q {
						df++
						break
					}
				}
			}
			f := 0
			for _, w := range toks {
				if w == q {
					f++
				}
			}
			if f == 0 {
				continue
			}
			match = true
			idf := math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
			score += idf * float64(f) / (float64(f) + k1*(1-b+b*float64(len(toks))/avg))
		}
		if match {
			out = append(out, scored{k, score})
		}
	}
	sortScored(out)
	return out
}

func sortScored(s []scored) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].score != s[j].score {
			return s[i].score > s[j].score
		}
		return s[i].key < s[j].key
	})
}

// textSearch runs search --text ... --json and decodes it.
func textSearch(t *testing.T, args ...string) textSearchJSON {
	t.Helper()
	var got textSearchJSON
	out := ok(t, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return got
}

// checkRanking compares results with a reference ranking: same keys in the
// same order (ties may come in either order), scores within 1e-4.
func checkRanking(t *testing.T, what string, got []textResultJSON, want []scored) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d\n got %+v\nwant %+v", what, len(got), len(want), got, want)
	}
	for i, r := range got {
		w := want[i]
		if math.Abs(float64(r.Score)-w.score) > 1e-4 {
			t.Errorf("%s: result %d is %s %.5f, want %s %.5f", what, i+1, r.Key, r.Score, w.key, w.score)
			continue
		}
		if r.Key != w.key && !(i+1 < len(want) && want[i+1].key == r.Key && math.Abs(want[i+1].score-w.score) < 1e-6) &&
			!(i > 0 && want[i-1].key == r.Key && math.Abs(want[i-1].score-w.score) < 1e-6) {
			t.Errorf("%s: result %d is %s, want %s", what, i+1, r.Key, w.key)
		}
	}
}

func TestImportTextAndSearch(t *testing.T) {
	db := wordsDB(t)
	dir := t.TempDir()
	ok(t, "--db", db, "create", "notes", "--embedder", "words:glove")
	n := []string{"--db", db, "-c", "notes"}
	path := writeFile(t, dir, "docs.jsonl", []byte(corpusJSONL()))
	out := ok(t, append(n, "import", path, "--text-field", "body")...)
	if !strings.Contains(out, "imported 6 documents into \"notes\"") {
		t.Errorf("import: %q", out)
	}
	texts := map[string]string{}
	for _, d := range corpus {
		texts[d.id] = d.body
		sameDirection(t, d.id, getVector(t, db, "notes", d.id), meanVector(t, words(d.body)...))
	}

	// Vector: cosine to the query's mean vector, brute force.
	q := "cat on the mat"
	qv := meanVector(t, words(q)...)
	var want []scored
	for _, d := range corpus {
		want = append(want, scored{d.id, cosine(qv, meanVector(t, words(d.body)...))})
	}
	sortScored(want)
	got := textSearch(t, append(n, "search", "--text", q, "--exact")...)
	checkRanking(t, "vector", got.Results, want)
	if got.Mode != "vector" || got.Embedder != "words:glove?pc=0&pieces=none&pool=mean" || got.Query != q {
		t.Errorf("search --json header: %+v", got)
	}
	for _, r := range got.Results {
		if r.Text != texts[r.Key] {
			t.Errorf("result %s has text %q, want %q", r.Key, r.Text, texts[r.Key])
		}
	}
	// Keyword: BM25 against the reference.
	for _, q := range []string{"cat", "red mat", "the park", "car car"} {
		got := textSearch(t, append(n, "search", "--text", q, "--mode", "keyword")...)
		checkRanking(t, "keyword "+q, got.Results, bm25Reference(texts, q))
		for _, r := range got.Results {
			if r.Text != texts[r.Key] {
				t.Errorf("result %s has text %q, want %q", r.Key, r.Text, texts[r.Key])
			}
		}
	}
	// Filters apply to both rankings.
	got = textSearch(t, append(n, "search", "--text", "the mat", "--mode", "keyword", "--filter", `lang = "fr"`)...)
	fr := map[string]string{}
	for _, d := range corpus {
		if d.lang == "fr" {
			fr[d.id] = d.body
		}
	}
	ref := bm25Reference(texts, "the mat") // statistics over the whole collection
	var refFr []scored
	for _, s := range ref {
		if _, ok := fr[s.key]; ok {
			refFr = append(refFr, s)
		}
	}
	checkRanking(t, "keyword filtered", got.Results, refFr)

	// The table cuts long texts; JSON holds them whole.
	long := "The cat " + strings.Repeat("sat on the mat ", 10)
	ok(t, append(n, "add", "long", "--text", long)...)
	table := ok(t, append(n, "search", "--text", "cat sat", "--mode", "keyword", "-k", "3")...)
	if !strings.Contains(table, "RANK  KEY") || !strings.Contains(table, "BM25") || !strings.Contains(table, "…") || strings.Contains(table, long) {
		t.Errorf("table:\n%s", table)
	}
	got = textSearch(t, append(n, "search", "--text", "cat sat", "--mode", "keyword", "-k", "20")...)
	found := false
	for _, r := range got.Results {
		found = found || (r.Key == "long" && r.Text == long)
	}
	if !found {
		t.Errorf("long text not whole in JSON: %+v", got.Results)
	}
}

// TestImportTextCSV imports the corpus from CSV, numbered keys.
func TestImportTextCSV(t *testing.T) {
	db := wordsDB(t)
	ok(t, "--db", db, "create", "notes", "--embedder", "words:glove")
	var b strings.Builder
	b.WriteString("lang,body\n")
	for _, d := range corpus {
		fmt.Fprintf(&b, "%s,%q\n", d.lang, d.body)
	}
	path := writeFile(t, t.TempDir(), "docs.csv", []byte(b.String()))
	var sum textImportJSON
	out := ok(t, "--db", db, "-c", "notes", "import", path, "--text-field", "body", "--key-field", "", "--json")
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Documents != 6 || sum.Records != 6 || sum.Format != "csv" {
		t.Fatalf("import --json: %v\n%s", err, out)
	}
	for i, d := range corpus {
		sameDirection(t, d.id, getVector(t, db, "notes", fmt.Sprint(i+1)), meanVector(t, words(d.body)...))
	}
}

// TestImportTextAllOrNothing checks that every failure of an import into a
// collection that holds documents leaves it as it was: a bad document on
// a later line, an unknown-word-only text, and each server failure in a
// later batch, and Ctrl-C.
func TestImportTextAllOrNothing(t *testing.T) {
	defer func(b, m int) { docBatchBytes, docBatchMax = b, m }(docBatchBytes, docBatchMax)
	docBatchMax = 2 // three batches of the corpus

	db := wordsDB(t)
	ok(t, "--db", db, "create", "notes", "--embedder", "words:glove")
	n := []string{"--db", db, "-c", "notes"}
	ok(t, append(n, "add", "keep", "--text", "The red car")...)
	dir := t.TempDir()
	good := corpusJSONL()
	for _, tc := range []struct {
		name, content string
		code          int
		want          string
	}{
		{"malformed", good + "{\"id\":\"x\",\"body\": \n", exitInvalid, "docs.jsonl:7:"},
		{"no known word", good + `{"id":"x","body":"zebra okapi"}` + "\n", exitInvalid, `docs.jsonl:7: document "x": `},
		{"punctuation", strings.Replace(good, "The dog sat", "...", 1), exitInvalid, `docs.jsonl:6: document "d6": `},
		{"blank", strings.Replace(good, "The dog sat", " ", 1), exitInvalid, `docs.jsonl:6: document "d6": the text is empty`},
		{"bad utf-8", strings.Replace(good, "The dog sat", "The \xffdog", 1), exitInvalid, "docs.jsonl:6:"},
		{"no key", good + `{"body":"cat"}` + "\n", exitInvalid, `docs.jsonl:7: malformed input: no "id" field`},
		{"empty", "", exitInvalid, "no documents"},
		{"too many words", good + `{"id":"x","body":"` + strings.Repeat("cat ", 8193) + `"}` + "\n", exitInvalid, `docs.jsonl:7: document "x": the text has 8,193 words, more than the 8,192`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, "docs.jsonl", []byte(tc.content))
			r := fails(t, tc.code, append(n, "import", path, "--text-field", "body"), tc.want)
			if tc.name != "empty" && !strings.Contains(r.stderr, "nothing imported") {
				t.Errorf("stderr does not say nothing was imported:\n%s", r.stderr)
			}
			if got := statsRecords(t, n...); got != 1 {
				t.Errorf("%d records, want 1", got)
			}
		})
	}

	fails(t, exitNotFound, []string{"--db", db, "-c", "nosuch", "import", writeFile(t, dir, "d.jsonl", []byte(good)), "--text-field", "body"},
		`no collection "nosuch"`, "'vecbolt create nosuch --embedder SPEC'")
	// A server embedder failing on the third request (the third batch).
	s := newEmbedServer(t, "ollama", 8)
	ok(t, "--db", db, "create", "srv", "--embedder", "ollama:m", "--dim", "8")
	sv := []string{"--db", db, "-c", "srv"}
	flags := []string{"--embed-url", s.url(), "--embed-retries", "0", "--embed-timeout", "200ms"}
	ok(t, append(append(sv, "add", "keep", "--text", "The red car"), flags...)...)
	path := writeFile(t, dir, "docs.jsonl", []byte(good))
	for _, tc := range []struct {
		name string
		hook func(int, http.ResponseWriter, *http.Request) bool
		code int
		want string
	}{
		{"500", answerOn(3, 500, `{"error":"out of memory"}`), exitFailure, "status 500: out of memory"},
		{"slow", s.stallOn(3), exitFailure, "no response"},
		{"wrong dimension", answerOn(3, 200, `{"model":"m","embeddings":[[1,2],[3,4]]}`), exitInvalid, "2 dimensions"},
		{"malformed", answerOn(3, 200, `{"model":"m","embeddings":`), exitFailure, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.mu.Lock()
			s.requests = 0
			s.mu.Unlock()
			s.setHook(tc.hook)
			defer s.setHook(nil)
			r := fails(t, tc.code, append(append(sv, "import", path, "--text-field", "body"), flags...), tc.want, "nothing imported")
			if got := statsRecords(t, sv...); got != 1 {
				t.Errorf("%d records, want 1\n%s", got, r.stderr)
			}
		})
	}
	// Ctrl-C while the third batch is embedded.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.mu.Lock()
	s.requests = 0
	s.mu.Unlock()
	s.setHook(func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 3 {
			io.Copy(io.Discard, r.Body)
			cancel()
			<-r.Context().Done()
			return true
		}
		return false
	})
	var stdout, stderr strings.Builder
	code := execute(ctx, append(append(sv, "import", path, "--text-field", "body"), flags...), strings.NewReader(""), &stdout, &stderr)
	s.setHook(nil)
	if code != exitCanceled || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("Ctrl-C: exit %d\n%s", code, stderr.String())
	}
	if got := statsRecords(t, sv...); got != 1 {
		t.Errorf("%d records after Ctrl-C, want 1", got)
	}
	// And then it works.
	out := ok(t, append(append(sv, "import", path, "--text-field", "body"), flags...)...)
	if !strings.Contains(out, "imported 6 documents") {
		t.Errorf("import: %q", out)
	}
	if got := statsRecords(t, sv...); got != 7 {
		t.Errorf("%d records, want 7", got)
	}
}

// TestImportTextSkipInvalid checks that --skip-invalid leaves out and
// reports bad lines and documents the embedder refuses, writes the others,
// and still stops at what ends the file.
func TestImportTextSkipInvalid(t *testing.T) {
	defer func(m int) { docBatchMax = m }(docBatchMax)
	docBatchMax = 3
	db := wordsDB(t)
	ok(t, "--db", db, "create", "notes", "--embedder", "words:glove")
	n := []string{"--db", db, "-c", "notes"}
	in := corpusJSONL() +
		`{"id":"x1","body":"zebra okapi"}` + "\n" + // no known word
		`{"id":"x2","body":` + "\n" + // malformed
		`{"id":"x3","body":"..."}` + "\n" + // no word
		`{"id":"x4","body":" "}` + "\n" + // blank
		`{"id":"d1","body":"the red car"}` + "\n" + // a repeat, replacing d1
		`{"id":"x5","body":"cat zebra"}` + "\n" // fine, one unknown word
	path := writeFile(t, t.TempDir(), "docs.jsonl", []byte(in))
	out := ok(t, append(n, "import", path, "--text-field", "body", "--skip-invalid")...)
	for _, want := range []string{"imported 7 documents", "1 repeated keys kept their last document", "; skipped 4\n",
		"skipped 4 invalid documents:\n", `docs.jsonl:7: document "x1": none of its 2 words is in the vocabulary (zebra, okapi)`,
		"docs.jsonl:8:18: malformed input", `docs.jsonl:9: document "x3": the text has no words`, `docs.jsonl:10: document "x4": the text is empty`,
		"1 of 41 words not in the vocabulary (zebra)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "docs.jsonl:7:"), strings.Index(out, "docs.jsonl:10:"); i > j {
		t.Errorf("skipped documents not in line order:\n%s", out)
	}
	if got := statsRecords(t, n...); got != 7 {
		t.Errorf("%d records, want 7", got)
	}
	sameDirection(t, "d1", getVector(t, db, "notes", "d1"), meanVector(t, "the", "red", "car"))
	for _, k := range []string{"x1", "x2", "x3", "x4"} {
		fails(t, exitNotFound, append(n, "get", k), k)
	}
	// A chunk of unknown words, which only AddDocuments sees: the batch
	// is embedded again without its document.
	chunked := writeFile(t, t.TempDir(), "chunked.jsonl", []byte(`{"id":"y1","body":"cat sat zebra okapi"}`+"\n"+`{"id":"y2","body":"the dog ran"}`+"\n"))
	out = ok(t, append(n, "import", chunked, "--text-field", "body", "--skip-invalid", "--chunk-tokens", "2")...)
	if !strings.Contains(out, "imported 1 documents") || !strings.Contains(out, `chunked.jsonl:1: document "y1": none of its 2 words is in the vocabulary (zebra, okapi)`) {
		t.Errorf("chunk of unknown words:\n%s", out)
	}
	ok(t, append(n, "get", "y2#0")...)
	fails(t, exitNotFound, append(n, "get", "y1#0"), "y1#0")
	// Nothing valid at all: nothing written, and an error.
	bad := writeFile(t, t.TempDir(), "bad.jsonl", []byte(`{"id":"x1","body":"zebra"}`+"\n"))
	fails(t, exitInvalid, append(n, "import", bad, "--text-field", "body", "--skip-invalid"), "no documents (1 skipped)")
	if got := statsRecords(t, n...); got != 9 {
		t.Errorf("%d records, want 7", got)
	}
}

// TestImportTextStdin reads documents from standard input, gzipped CSV too,
// and takes the Ollama server from OLLAMA_HOST.
func TestImportTextStdin(t *testing.T) {
	s := newEmbedServer(t, "ollama", 8)
	t.Setenv("OLLAMA_HOST", strings.TrimPrefix(s.srv.URL, "http://"))
	db := tempDB(t)
	ok(t, "--db", db, "create", "docs", "--embedder", "ollama:m") // asks OLLAMA_HOST for the dimension
	n := []string{"--db", db, "-c", "docs"}
	r := vecbolt(t, corpusJSONL(), append(n, "import", "-", "--format", "jsonl", "--text-field", "body")...)
	if r.code != 0 || !strings.Contains(r.stdout, "imported 6 documents into \"docs\" from <stdin>") {
		t.Fatalf("stdin: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	sameDirection(t, "d3", getVector(t, db, "docs", "d3"), hashVector("A red car, a blue car", 8))
	var b strings.Builder
	b.WriteString("id,body\n")
	for _, d := range corpus {
		fmt.Fprintf(&b, "%s2,%q\n", d.id, d.body)
	}
	r = vecbolt(t, string(gzipBytes(t, []byte(b.String()))), append(n, "import", "-", "-f", "csv", "--text-field", "body", "--json")...)
	var sum textImportJSON
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sum) != nil || sum.Documents != 6 || sum.Records != 12 || sum.Format != "csv" {
		t.Fatalf("gzipped csv: exit %d %+v\n%s%s", r.code, sum, r.stdout, r.stderr)
	}
	r = vecbolt(t, corpusJSONL(), append(n, "import", "-", "--text-field", "body")...)
	checkFailure(t, r, exitUsage, nil, "needs --format")
	r = vecbolt(t, corpusJSONL(), append(n, "import", "-", "-f", "glove", "--text-field", "body")...)
	checkFailure(t, r, exitUsage, nil, "--text-field reads JSON Lines or CSV, not glove")
	fails(t, exitUsage, append(n, "import", "x.jsonl", "--key-field", "id"), "--key-field applies only to --text-field")
	fails(t, exitUsage, append(n, "import", "x.jsonl", "--text-field", "body", "--metric", "dot"), "--metric does not apply to --text-field")
	fails(t, exitNotFound, append(n, "import", "nosuch.jsonl", "--text-field", "body"), "nosuch.jsonl")
}
