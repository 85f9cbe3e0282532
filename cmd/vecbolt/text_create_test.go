package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyWords are word vectors for the words embedder tests, in frequency
// order: a GloVe text file of 4 dimensions.
var tinyWords = [][2]string{
	{"the", "0.1 0.1 0.1 0.1"},
	{"cat", "1 0 0 0.2"},
	{"dog", "0.9 0.1 0 0.2"},
	{"sat", "0 1 0 0.1"},
	{"ran", "0.1 0.9 0 0.1"},
	{"mat", "0 0 1 0.3"},
	{"park", "0 0.1 0.9 0.3"},
	{"on", "0.2 0.2 0.2 0"},
	{"in", "0.2 0.1 0.2 0"},
	{"red", "0.5 0 0.5 1"},
	{"blue", "0 0.5 0.5 1"},
	{"car", "0.3 0.3 0 0.9"},
	{"a", "0.1 0.2 0.1 0.1"},
}

// wordsDB returns a database holding collection "glove" of tinyWords.
func wordsDB(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, w := range tinyWords {
		fmt.Fprintf(&b, "%s %s\n", w[0], w[1])
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "tiny.txt", []byte(b.String()))
	db := filepath.Join(dir, "test.db")
	ok(t, "--db", db, "-c", "glove", "import", path, "--format", "glove")
	return db
}

// wordVector returns a tinyWords vector, parsed.
func wordVector(t *testing.T, word string) []float32 {
	t.Helper()
	for _, w := range tinyWords {
		if w[0] == word {
			v, err := parseVector(w[1])
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no word %q", word)
	return nil
}

func TestCreateEmbedder(t *testing.T) {
	db := wordsDB(t)
	out := ok(t, "--db", db, "create", "notes", "--embedder", "words:glove")
	if !strings.Contains(out, `created "notes"`) || !strings.Contains(out, "dim 4") || !strings.Contains(out, "embedder words:glove?pc=0&pieces=none&pool=mean") {
		t.Errorf("create: %q", out)
	}
	// Again with the same (canonical) spec: nothing to do.
	if out := ok(t, "--db", db, "create", "notes", "--embedder", "words:glove?pool=mean"); !strings.Contains(out, "exists") {
		t.Errorf("create again: %q", out)
	}
	// stats shows the spec.
	if out := ok(t, "--db", db, "-c", "notes", "stats"); !strings.Contains(out, "embedder    words:glove?pc=0&pieces=none&pool=mean") {
		t.Errorf("stats:\n%s", out)
	}
	var st statsJSON
	if err := json.Unmarshal([]byte(ok(t, "--db", db, "-c", "notes", "stats", "--json")), &st); err != nil || st.Embedder != "words:glove?pc=0&pieces=none&pool=mean" || st.Dim != 4 {
		t.Errorf("stats --json: %+v %v", st, err)
	}
	ok(t, "--db", db, "create", "sif", "--embedder", "words:glove?pool=sif", "--dim", "4")

	s := newEmbedServer(t, "ollama", 6)
	out = ok(t, "--db", db, "create", "srv", "--embedder", "ollama:nomic-embed-text", "--embed-url", s.url())
	if !strings.Contains(out, "ollama:nomic-embed-text gives 6 dimensions") || !strings.Contains(out, "dim 6") {
		t.Errorf("create with a probe: %q", out)
	}
	if req, _ := s.count(); req != 1 {
		t.Errorf("%d requests, want 1 probe", req)
	}
	// --dim or dimensions= spare the probe.
	ok(t, "--db", db, "create", "srv2", "--embedder", "ollama:nomic-embed-text", "--dim", "6", "--embed-url", "http://127.0.0.1:1")
	ok(t, "--db", db, "create", "srv3", "--embedder", "openai:text-embedding-3-small?dimensions=8", "--embed-url", "http://127.0.0.1:1")
	if n := statsRecords(t, "--db", db, "-c", "srv3"); n != 0 {
		t.Errorf("srv3 has %d records", n)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"create", "x"}, exitUsage, "--dim is required (or give --embedder"},
		{[]string{"create", "x", "--embedder", "glove"}, exitUsage, "want PROVIDER:MODEL"},
		{[]string{"create", "x", "--embedder", "bert:base"}, exitUsage, `unknown provider "bert"`},
		{[]string{"create", "x", "--embedder", "words:glove?pool=max"}, exitUsage, "pool=max is not mean or sif"},
		{[]string{"create", "x", "--embedder", "words:nosuch"}, exitNotFound, `no word-vector collection "nosuch"`},
		{[]string{"create", "glove2", "--embedder", "words:glove2"}, exitUsage, "cannot embed its documents with its own vectors"},
		{[]string{"create", "x", "--embedder", "words:glove", "--dim", "5"}, exitUsage, "--dim is 5 but words:glove"},
		{[]string{"create", "x", "--embedder", "words:glove", "--dim", "0"}, exitUsage, "--dim is 0, want 1 to"},
		{[]string{"create", "notes", "--embedder", "words:glove?pool=sif"}, exitInvalid, "Embedder"},
		{[]string{"create", "x", "--embedder", "ollama:m", "--embed-url", "http://127.0.0.1:1", "--embed-retries", "0"}, exitFailure, "asking ollama:m for its dimension (or give --dim): ollama server http://127.0.0.1:1/api/embed: no response"},
		{[]string{"create", "x", "--embedder", "ollama:m", "--embed-timeout", "0s"}, exitUsage, "--embed-timeout must be positive"},
		{[]string{"create", "x", "--embedder", "openai:m", "--embed-batch", "5000"}, exitUsage, "--embed-batch is 5000, want 1 to 2,048"},
		{[]string{"create", "x", "--embedder", "openai:m", "--embed-key-file", "/nonexistent/key"}, exitNotFound, "--embed-key-file"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fails(t, tc.code, append([]string{"--db", db}, tc.args...), tc.want)
		})
	}
	// No failed create left a collection behind.
	out = ok(t, "--db", db, "collections")
	for _, name := range []string{"x", "glove2"} {
		if strings.Contains(out, name+" ") {
			t.Errorf("collection %s left behind:\n%s", name, out)
		}
	}
}

func TestEmbedKeyFile(t *testing.T) {
	dir := t.TempDir()
	s := newEmbedServer(t, "openai", 3)
	s.apiKey = "sk-test-123"
	db := filepath.Join(dir, "k.db")
	key := writeFile(t, dir, "key", []byte("  sk-test-123\n"))
	// The key from a file.
	ok(t, "--db", db, "create", "a", "--embedder", "openai:m", "--embed-url", s.url(), "--embed-key-file", key)
	// A wrong key: the server's 401 and its message.
	bad := writeFile(t, dir, "bad", []byte("sk-wrong"))
	fails(t, exitFailure, []string{"--db", db, "create", "b", "--embedder", "openai:m", "--embed-url", s.url(), "--embed-key-file", bad},
		"openai server "+s.url()+"/embeddings: status 401: Incorrect API key provided")
	// From the environment, and the base URL too.
	t.Setenv("OPENAI_API_KEY", "sk-test-123")
	t.Setenv("OPENAI_BASE_URL", s.url())
	ok(t, "--db", db, "create", "c", "--embedder", "openai:m")
	// A flag wins over the environment.
	fails(t, exitFailure, []string{"--db", db, "create", "d", "--embedder", "openai:m", "--embed-key-file", bad}, "status 401")
	for name, content := range map[string]string{"empty": " \n", "two": "a\nb\n"} {
		p := writeFile(t, dir, name, []byte(content))
		fails(t, exitUsage, []string{"--db", db, "create", "e", "--embedder", "openai:m", "--embed-key-file", p}, "--embed-key-file "+p)
	}
	fails(t, exitUsage, []string{"--db", db, "create", "e", "--embedder", "openai:m", "--embed-key-file", dir}, "not a small regular file")
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
}

// writeTextFixtures adds what the text examples use to the examples'
// fixture in dir: collection glove of words.db (from glove.6B.100d.txt.gz),
// collection notes embedded by words:glove holding a few documents, and
// docs.jsonl and docs.csv to import.
func writeTextFixtures(t *testing.T, dir string) {
	t.Helper()
	words := filepath.Join(dir, "words.db")
	ok(t, "--db", words, "-c", "glove", "import", filepath.Join(dir, "glove.6B.100d.txt.gz"), "--m", "8", "--ef-construction", "40")
	ok(t, "--db", words, "create", "notes", "--embedder", "words:glove")
	docs := [][3]string{
		{"n1", "Coffee and tea at breakfast", "en"},
		{"n2", "A red car and a blue car", "en"},
		{"n3", "The dog had lunch before dinner", "en"},
		{"n4", "Paris and Rome, then Tokyo", "fr"},
	}
	var jl, cv strings.Builder
	cv.WriteString("id,lang,body\n")
	for _, d := range docs {
		fmt.Fprintf(&jl, `{"id":%q,"body":%q,"lang":%q}`+"\n", d[0], d[1], d[2])
		fmt.Fprintf(&cv, "%s,%s,%q\n", d[0], d[2], d[1])
	}
	p := writeFile(t, dir, "docs.jsonl", []byte(jl.String()))
	writeFile(t, dir, "docs.csv", []byte(cv.String()))
	ok(t, "--db", words, "-c", "notes", "import", p, "--text-field", "body")
}
