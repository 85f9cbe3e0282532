package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query/embed"
)

// TestReembedSIF checks that reembed refits SIF's component on every
// document: a collection filled by two imports (the component fitted on the
// first) ends with the vectors of a collection that got all the documents
// in one import (fitted on all of them).
func TestReembedSIF(t *testing.T) {
	db := wordsDB(t)
	spec := "words:glove?pool=sif"
	ok(t, "--db", db, "create", "notes", "--embedder", spec)
	ok(t, "--db", db, "create", "ref", "--embedder", spec)
	dir := t.TempDir()
	all := corpusJSONL()
	lines := strings.SplitAfter(all, "\n")
	first := writeFile(t, dir, "first.jsonl", []byte(strings.Join(lines[:3], "")))
	second := writeFile(t, dir, "second.jsonl", []byte(strings.Join(lines[3:], "")))
	whole := writeFile(t, dir, "all.jsonl", []byte(all))

	out := ok(t, "--db", db, "-c", "notes", "import", first, "--text-field", "body")
	if !strings.Contains(out, "fitted SIF's principal component on the first 3 documents") {
		t.Errorf("first import: %q", out)
	}
	if out := ok(t, "--db", db, "-c", "notes", "import", second, "--text-field", "body"); strings.Contains(out, "fitted") {
		t.Errorf("second import fitted again: %q", out)
	}
	ok(t, "--db", db, "-c", "ref", "import", whole, "--text-field", "body")

	differ := 0
	for _, d := range corpus {
		if cosine(getVector(t, db, "notes", d.id), getVector(t, db, "ref", d.id)) < 1-1e-4 {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("the two components give the same vectors: the test cannot tell a refit")
	}
	var sum reembedSummary
	if err := json.Unmarshal([]byte(ok(t, "--db", db, "-c", "notes", "reembed", "--json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Records != len(corpus) || sum.Total != len(corpus) || !sum.Component || sum.Embedder != "words:glove?a=0.001&p=zipf&pc=1&pieces=none&pool=sif" {
		t.Errorf("reembed: %+v", sum)
	}
	for _, d := range corpus {
		sameDirection(t, d.id, getVector(t, db, "notes", d.id), getVector(t, db, "ref", d.id))
	}
	// Queries use the new component: the same answers as the reference.
	for _, mode := range []string{"vector", "hybrid"} {
		a := textSearch(t, "--db", db, "-c", "notes", "search", "--text", "cat in the park", "--mode", mode, "--exact")
		b := textSearch(t, "--db", db, "-c", "ref", "search", "--text", "cat in the park", "--mode", mode, "--exact")
		if len(a.Results) != len(b.Results) {
			t.Fatalf("%s: %d and %d results", mode, len(a.Results), len(b.Results))
		}
		for i := range a.Results {
			if a.Results[i].Key != b.Results[i].Key || a.Results[i].Score-b.Results[i].Score > 1e-5 || b.Results[i].Score-a.Results[i].Score > 1e-5 {
				t.Errorf("%s result %d: %+v, reference %+v", mode, i+1, a.Results[i], b.Results[i])
			}
		}
	}
	out = ok(t, "--db", db, "-c", "notes", "reembed")
	if !strings.Contains(out, `re-embedded 6 of 6 records of "notes" with words:glove?a=0.001&p=zipf&pc=1&pieces=none&pool=sif`) || !strings.Contains(out, "principal component refitted") {
		t.Errorf("reembed: %q", out)
	}
	ok(t, "--db", db, "check")

	fails(t, exitUsage, []string{"--db", db, "-c", "glove", "reembed"}, `collection "glove" has no embedder`)
	fails(t, exitNotFound, []string{"--db", db, "-c", "nosuch", "reembed"}, `no collection "nosuch"`)
	fails(t, exitUsage, []string{"--db", db, "-c", "notes", "reembed", "extra"}, "unknown command")
}

// TestReembedServerFails checks that a server failing halfway, or Ctrl-C,
// leaves every vector as it was.
func TestReembedServerFails(t *testing.T) {
	s := newEmbedServer(t, "openai", 8)
	db := tempDB(t)
	ok(t, "--db", db, "create", "docs", "--embedder", "openai:m", "--dim", "8")
	flags := []string{"--embed-url", s.url(), "--embed-retries", "0", "--embed-batch", "2", "--embed-timeout", "5s"}
	path := writeFile(t, t.TempDir(), "docs.jsonl", []byte(corpusJSONL()))
	ok(t, append([]string{"--db", db, "-c", "docs", "import", path, "--text-field", "body"}, flags...)...)
	before := map[string][]float32{}
	for _, d := range corpus {
		before[d.id] = getVector(t, db, "docs", d.id)
	}
	check := func(what string) {
		t.Helper()
		for _, d := range corpus {
			got := getVector(t, db, "docs", d.id)
			for i := range got {
				if got[i] != before[d.id][i] {
					t.Fatalf("%s: %s changed", what, d.id)
				}
			}
		}
	}
	s.mu.Lock()
	s.requests = 0
	s.mu.Unlock()
	s.setHook(answerOn(2, 503, `{"error":{"message":"overloaded","type":"server_error"}}`))
	fails(t, exitFailure, append([]string{"--db", db, "-c", "docs", "reembed"}, flags...), "status 503: overloaded", "nothing changed")
	check("503")

	// The server answers with other vectors from now on, and Ctrl-C comes
	// during the second request.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.mu.Lock()
	s.requests = 0
	s.mu.Unlock()
	s.setHook(func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 2 {
			io.Copy(io.Discard, r.Body)
			cancel()
			<-r.Context().Done()
			return true
		}
		return false
	})
	var stdout, stderr strings.Builder
	code := execute(ctx, append([]string{"--db", db, "-c", "docs", "reembed"}, flags...), strings.NewReader(""), &stdout, &stderr)
	s.setHook(nil)
	if code != exitCanceled {
		t.Errorf("Ctrl-C: exit %d\n%s", code, stderr.String())
	}
	check("Ctrl-C")
	out := ok(t, append([]string{"--db", db, "-c", "docs", "reembed"}, flags...)...)
	if !strings.Contains(out, "re-embedded 6 of 6 records") || strings.Contains(out, "component") {
		t.Errorf("reembed: %q", out)
	}
	check("same server") // the fake server is deterministic
	ok(t, "--db", db, "check")
}

// TestProgressEmbedder checks that embedding in counted steps gives the
// vectors of one call, and counts every text.
func TestProgressEmbedder(t *testing.T) {
	s := newEmbedServer(t, "ollama", 5)
	co := (&embedFlags{URL: s.url(), Timeout: 5 * time.Second, BatchSize: 64, getenv: func(string) string { return "" }})
	o, err := co.clientOptions("ollama")
	if err != nil {
		t.Fatal(err)
	}
	e, err := embed.New("ollama:m", embed.Deps{Client: o})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"a b", "c", "d e f", "g", "h", "i j"}
	var counts []int
	p := &progressEmbedder{Embedder: e, batch: 4, done: func(n int) { counts = append(counts, n) }}
	got, err := p.EmbedDocuments(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(counts) != "[4 6]" || len(got) != len(texts) {
		t.Fatalf("counts %v, %d vectors", counts, len(got))
	}
	for i, v := range got {
		sameDirection(t, texts[i], v, hashVector(texts[i], 5))
	}
	if p.Spec().String() != "ollama:m" || p.Dim() != 5 {
		t.Errorf("spec %s dim %d", p.Spec(), p.Dim())
	}
	s.setHook(answerOn(3, 500, `{"error":"boom"}`))
	if _, err := (&progressEmbedder{Embedder: e, batch: 4, done: func(int) {}}).EmbedDocuments(context.Background(), texts); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("error: %v", err)
	}
}
