package main

import (
	"encoding/json"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// meanVector is the reference of the words embedder's mean pooling: the
// average of the vectors of the known words, repeats counted.
func meanVector(t *testing.T, words ...string) []float32 {
	t.Helper()
	var sum []float64
	for _, w := range words {
		v := wordVector(t, w)
		if sum == nil {
			sum = make([]float64, len(v))
		}
		for i, x := range v {
			sum[i] += float64(x)
		}
	}
	out := make([]float32, len(sum))
	for i := range sum {
		out[i] = float32(sum[i] / float64(len(words)))
	}
	return out
}

// getVector returns the stored vector of key.
func getVector(t *testing.T, db, collection, key string) []float32 {
	t.Helper()
	var got recordJSON
	if err := json.Unmarshal([]byte(ok(t, "--db", db, "-c", collection, "get", key, "--json")), &got); err != nil {
		t.Fatal(err)
	}
	return got.Vector
}

// sameDirection fails unless a and b point the same way (cosine 1 within
// float32 rounding): cosine collections may store normalised vectors.
func sameDirection(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d components, want %d", what, len(a), len(b))
	}
	if c := cosine(a, b); math.Abs(c-1) > 1e-5 {
		t.Errorf("%s: cosine %.7f with the reference\n got %v\nwant %v", what, c, a, b)
	}
}

func TestAddWords(t *testing.T) {
	db := wordsDB(t)
	ok(t, "--db", db, "create", "notes", "--embedder", "words:glove")
	n := []string{"--db", db, "-c", "notes"}
	out := ok(t, append(n, "add", "n1", "--text", "The cat sat on the mat.", "--metadata", `{"lang":"en"}`)...)
	if !strings.Contains(out, `added "n1" in "notes" (1 records)`) || strings.Contains(out, "vocabulary") {
		t.Errorf("add: %q", out)
	}
	sameDirection(t, "n1", getVector(t, db, "notes", "n1"), meanVector(t, "the", "cat", "sat", "on", "the", "mat"))

	// Unknown words are counted and named, and left out of the mean.
	out = ok(t, append(n, "add", "n2", "--text", "The zebra sat; the okapi ran")...)
	if !strings.Contains(out, "2 of 6 words not in the vocabulary (okapi, zebra)") {
		t.Errorf("add with OOV: %q", out)
	}
	sameDirection(t, "n2", getVector(t, db, "notes", "n2"), meanVector(t, "the", "sat", "the", "ran"))

	// Replacing, from standard input, as JSON.
	r := vecbolt(t, "Red car, blue car", append(n, "add", "n1", "--text-file", "-", "--json")...)
	var sum addSummary
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sum) != nil || sum.Replaced != 1 || sum.Documents != 1 || sum.Records != 2 || sum.Words != 4 || sum.OOV != 0 {
		t.Errorf("add --json: %+v\n%s%s", sum, r.stdout, r.stderr)
	}
	sameDirection(t, "n1 replaced", getVector(t, db, "notes", "n1"), meanVector(t, "red", "car", "blue", "car"))

	big := writeFile(t, t.TempDir(), "big.txt", []byte(strings.Repeat("cat ", 4<<20)+"x"))
	many := writeFile(t, t.TempDir(), "many.txt", []byte(strings.Repeat("cat ", 9000)))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"add", "e", "--text", ""}, exitInvalid, "--text: the text is empty"},
		{[]string{"add", "e", "--text", " \n\t"}, exitInvalid, "--text: the text is empty"},
		{[]string{"add", "e", "--text", "... !!!"}, exitInvalid, "has no words"},
		{[]string{"add", "e", "--text", "zebra okapi"}, exitInvalid, "none of its 2 words is in the vocabulary (zebra, okapi)"},
		{[]string{"add", "e", "--text", "cat \xff sat"}, exitInvalid, "--text: invalid UTF-8 at byte offset 4"},
		{[]string{"add", "e", "--text-file", big}, exitInvalid, "exceeds the limit of 16777216 bytes"},
		{[]string{"add", "e", "--text-file", "/nonexistent/t.txt"}, exitNotFound, "/nonexistent/t.txt"},
		{[]string{"add", "e", "--text-file", many}, exitInvalid, "the text has 9,000 words, more than the 8,192 one vector may pool; split it with --chunk-tokens N"},
		{[]string{"add", "e", "--text-file", "."}, exitUsage, "--text-file . is a directory"},
		{[]string{"add", "e", "--text", "cat", "--metadata", "[1]"}, exitInvalid, "--metadata must be a JSON object"},
		{[]string{"add", "e"}, exitUsage, "text"},
		{[]string{"add", "e", "--text", "cat", "--text-file", "-"}, exitUsage, "text"},
		{[]string{"add", "", "--text", "cat"}, exitInvalid, "the key is empty"},
		{[]string{"add", "e", "--text", "cat", "--chunk-overlap", "2"}, exitUsage, "--chunk-overlap needs --chunk-tokens"},
		{[]string{"-c", "nosuch", "add", "e", "--text", "cat"}, exitNotFound, `no collection "nosuch"`},
		{[]string{"-c", "glove", "add", "e", "--text", "cat"}, exitUsage, `collection "glove" has no embedder`},
		{[]string{"add", "e", "--text", "cat", "--embed-url", "http://localhost:1"}, exitUsage, `--embed-url and --embed-key-file are for embedding servers; collection "notes" embeds offline with words:glove`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fails(t, tc.code, append([]string{"--db", db, "-c", "notes"}, tc.args...), tc.want)
		})
	}
	if got := statsRecords(t, n...); got != 2 {
		t.Errorf("%d records after the failures, want 2", got)
	}
	fails(t, exitNotFound, append(n, "get", "e"), "e")
	// The word collection was not touched either.
	if got := statsRecords(t, "--db", db, "-c", "glove"); got != len(tinyWords) {
		t.Errorf("glove has %d records", got)
	}
	fails(t, exitNotFound, []string{"--db", filepath.Join(t.TempDir(), "none.db"), "add", "k", "--text", "cat"}, "does not exist")
	// SIF's component needs two documents to be fitted on.
	ok(t, "--db", db, "create", "sif", "--embedder", "words:glove?pool=sif")
	fails(t, exitInvalid, []string{"--db", db, "-c", "sif", "add", "k", "--text", "the cat sat"},
		`collection "sif" removes SIF's principal component, which is fitted on the first documents written to it, and 1 is too few`)
	if got := statsRecords(t, "--db", db, "-c", "sif"); got != 0 {
		t.Errorf("sif has %d records", got)
	}
}

// TestAddServer adds through fake Ollama and OpenAI servers, and checks
// that each way a server can fail gives a clear error and writes nothing.
func TestAddServer(t *testing.T) {
	for _, provider := range []string{"ollama", "openai"} {
		t.Run(provider, func(t *testing.T) {
			s := newEmbedServer(t, provider, 8)
			db := tempDB(t)
			ok(t, "--db", db, "create", "docs", "--embedder", provider+":m", "--dim", "8")
			srv := []string{"--db", db, "-c", "docs"}
			flags := []string{"--embed-url", s.url(), "--embed-retries", "0"}
			ok(t, append(append(srv, "add", "a", "--text", "Coffee at breakfast"), flags...)...)
			sameDirection(t, "a", getVector(t, db, "docs", "a"), hashVector("Coffee at breakfast", 8))

			endpoint := s.url() + "/api/embed"
			if provider == "openai" {
				endpoint = s.url() + "/embeddings"
			}
			wrongDim := `{"model":"m","embeddings":[[1,2,3]]}`
			malformed := `{"model":"m","embeddings":[[1,2,`
			errBody := `{"error":"model \"m\" not found, try pulling it first"}`
			errMsg := `model "m" not found, try pulling it first`
			if provider == "openai" {
				wrongDim = `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1,2,3]}],"model":"m"}`
				malformed = `{"object":"list","data":[{"index":0,"embedding":"AAAA"}]}`
				errBody = `{"error":{"message":"The model 'm' does not exist","type":"invalid_request_error","code":"model_not_found"}}`
				errMsg = "The model 'm' does not exist"
			}
			closed := newEmbedServer(t, provider, 8)
			closed.srv.Close()
			for _, tc := range []struct {
				name  string
				hook  func(int, http.ResponseWriter, *http.Request) bool
				flags []string
				code  int
				want  []string
			}{
				{"down", nil, []string{"--embed-url", closed.url(), "--embed-retries", "0"}, exitFailure, []string{"no response", "connection refused"}},
				{"slow", s.stallOn(2), []string{"--embed-timeout", "100ms"}, exitFailure, []string{endpoint, "no response"}},
				{"status", answerOn(2, http.StatusNotFound, errBody), nil, exitFailure, []string{endpoint, "status 404", errMsg}},
				{"wrong dimension", answerOn(2, 200, wrongDim), nil, exitInvalid, []string{"3 dimensions", "want 8"}},
				{"malformed", answerOn(2, 200, malformed), nil, exitFailure, []string{endpoint, "malformed"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					s.setHook(tc.hook)
					defer s.setHook(nil)
					s.mu.Lock()
					s.requests = 1 // the hook answers the next request
					s.mu.Unlock()
					args := append(append(append([]string{}, srv...), "add", "b", "--text", "Tea at lunch"), flags...)
					if tc.flags == nil || tc.flags[0] != "--embed-url" {
						args = append(args, flags...)
					}
					args = append(args, tc.flags...)
					r := fails(t, tc.code, args, tc.want[0])
					for _, w := range tc.want[1:] {
						if !strings.Contains(r.stderr, w) {
							t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
						}
					}
					if n := statsRecords(t, srv...); n != 1 {
						t.Errorf("%d records, want 1", n)
					}
				})
			}
			// Searching needs the server too, but for keyword search.
			fails(t, exitFailure, append(append([]string{}, srv...), "search", "--text", "coffee", "--embed-url", closed.url(), "--embed-retries", "0"), "no response")
			got := textSearch(t, append(append([]string{}, srv...), "search", "--text", "coffee", "--mode", "keyword", "--embed-url", closed.url())...)
			if len(got.Results) != 1 || got.Results[0].Key != "a" || got.Results[0].Text != "Coffee at breakfast" {
				t.Errorf("keyword search with the server down: %+v", got.Results)
			}
		})
	}
}
