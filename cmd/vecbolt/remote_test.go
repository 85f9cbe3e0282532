package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/client"
	"github.com/vecbolt/vecbolt/query/sample"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// remoteWords is how many GloVe sample words the remote tests load.
const remoteWords = 1500

// remoteTemplate builds a database with the embedded CLI (the first
// remoteWords GloVe sample words in "words", 60 random records with
// metadata in "m") and returns its path and the input files it used; the
// subtests of TestRemote work on copies of it (copyDB).
func remoteTemplate(t *testing.T) (template string, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	sc := bufio.NewScanner(sample.GloVe())
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var b strings.Builder
	for n := 0; n < remoteWords && sc.Scan(); n++ {
		b.WriteString(sc.Text() + "\n")
	}
	files = map[string]string{
		"glove": writeFile(t, dir, "words.txt", []byte(b.String())),
		"jsonl": writeFile(t, dir, "m.jsonl", encode(t, "jsonl", randomRecords(60, 6, 7))),
		"more":  writeFile(t, dir, "more.jsonl", encode(t, "jsonl", randomRecords(90, 6, 8))),
		"bad":   writeFile(t, dir, "bad.jsonl", []byte(`{"key":"x","vector":[1,2,3,4,5,6]}`+"\n"+`{"key":"y","vector":[1,2]}`+"\n")),
		"questions": writeFile(t, dir, "q.txt", []byte(": capital-common-countries\nathens greece berlin germany\nparis france rome italy\n"+
			"london britain tokyo japan\n: gram1-adjective-to-adverb\nquick quickly slow slowly\nnosuchword a b c\n")),
		"pairs":   writeFile(t, dir, "pairs.tsv", []byte("# word pairs\ncoffee\ttea\t7.5\nking\tqueen\t8.1\ncar\tbanana\t0.9\nparis\tfrance\t6.2\nxyzzy\tking\t1\n")),
		"batch":   writeFile(t, dir, "batch.txt", []byte("coffee\n\nking\n[0.1 0.2 0.3 0.4 0.5 0.6]\n")),
		"badpair": writeFile(t, dir, "badq.txt", []byte("one two three\n")),
	}
	template = filepath.Join(dir, "template.db")
	ok(t, "--db", template, "-c", "words", "import", files["glove"], "--format", "glove")
	ok(t, "--db", template, "-c", "m", "import", files["jsonl"], "--metric", "l2")
	return template, files
}

// copyDB returns a byte-for-byte copy of the database at path, in a fresh
// temporary directory.
func copyDB(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), "copy.db", data)
}

// TestRemote runs the client mode's tests on copies of one template
// database, built once.
func TestRemote(t *testing.T) {
	template, files := remoteTemplate(t)
	t.Run("Parity", func(t *testing.T) { testRemoteParity(t, copyDB(t, template), copyDB(t, template), files) })
	t.Run("RefusesAndKeys", func(t *testing.T) { testRemoteRefusesAndKeys(t, copyDB(t, template)) })
	t.Run("Backup", func(t *testing.T) { testRemoteBackup(t, copyDB(t, template)) })
	t.Run("SearchText", func(t *testing.T) { testRemoteSearchText(t, copyDB(t, template)) })
}

// serveInProcess serves the database at path on an httptest server until
// the test ends, with opts.
func serveInProcess(t *testing.T, path string, opts server.Options) string {
	t.Helper()
	db, err := query.Open(path, query.Options{Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(db, opts))
	t.Cleanup(func() {
		ts.Close()
		_ = db.Close()
	})
	return ts.URL
}

// timings matches the parts of an output that measure time.
var timings = regexp.MustCompile(`(?:in |checked in |, )[0-9.]+ ?(?:s|ms|µs|m[0-9.]+s)\b|"seconds": [0-9.e+-]+|"records_per_second": [0-9.e+-]+|\([0-9,]+ records/s\)`)

// memory matches what depends on how this process opened the file: a
// read-only embedded open views the vectors in the mapped file (0 bytes
// held), a server holds copies.
var memory = regexp.MustCompile(`"vector_bytes": [0-9]+`)

func normalize(s, local, url string) string {
	s = memory.ReplaceAllString(s, `"vector_bytes": N`)
	s = strings.ReplaceAll(s, local, "DB")
	s = strings.ReplaceAll(s, url, "DB")
	return timings.ReplaceAllString(s, "TIME")
}

// testRemoteParity runs the same command lines against a database file and,
// with --server, against a byte-for-byte copy served in process: stdout
// and exit codes must be the same (the file's name and timings aside), for
// reads and writes, successes and failures.
func testRemoteParity(t *testing.T, local, served string, files map[string]string) {
	url := serveInProcess(t, served, server.Options{})
	t.Setenv(apiKeyEnv, "")
	onTerminal(t)

	cases := []struct {
		stdin string
		args  []string
	}{
		{"", []string{"collections"}},
		{"", []string{"collections", "--json"}},
		{"", []string{"-c", "words", "stats"}},
		{"", []string{"-c", "m", "stats", "--json"}},
		{"", []string{"-c", "nosuch", "stats"}},
		{"", []string{"-c", "words", "get", "king", "queen"}},
		{"", []string{"-c", "words", "get", "king", "--json"}},
		{"", []string{"-c", "m", "get", "w001", "w002", "--json"}},
		{"", []string{"-c", "words", "get", "king", "nosuchword"}},
		{"", []string{"-c", "words", "keys", "--prefix", "th"}},
		{"", []string{"-c", "words", "keys", "--limit", "5", "--after", "king", "--json"}},
		{"", []string{"-c", "words", "keys", "--limit", "-1"}},
		{"", []string{"-c", "words", "search", "--key", "coffee", "-k", "5"}},
		{"", []string{"-c", "words", "search", "--key", "coffee", "--json", "--exact"}},
		{"", []string{"-c", "words", "search", "--key", "paris", "--offset", "3", "-k", "4"}},
		{"", []string{"-c", "m", "search", "--key", "w003", "--with-vectors", "--json", "-k", "3"}},
		{"", []string{"-c", "m", "search", "--vector", "1,2,3,4,5,6", "-k", "4", "--metadata"}},
		{"", []string{"-c", "m", "search", "--vector", "1,2,3", "-k", "4"}},
		{"", []string{"-c", "m", "search", "--key", "w005", "--filter", "i < 30 and i >= 10", "-k", "5", "--json"}},
		{"", []string{"-c", "m", "search", "--key", "w005", "--filter", "i <", "-k", "5"}},
		{"", []string{"-c", "words", "search", "--key", "king", "--threshold", "0.6"}},
		{"", []string{"-c", "words", "search", "--key", "king", "--threshold", "0.6", "--limit", "2", "--json"}},
		{"", []string{"-c", "words", "search", "--expr", "king - man + woman", "-k", "3"}},
		{"", []string{"-c", "words", "search", "--expr", "king - ", "-k", "3"}},
		{"", []string{"-c", "words", "search", "--batch", files["batch"], "-k", "3", "--batch-format", "auto"}},
		{"coffee\ntea\n", []string{"-c", "words", "search", "--batch", "-", "-k", "2", "--json"}},
		{"coffee\nnosuchword\n", []string{"-c", "words", "search", "--batch", "-", "-k", "2"}},
		{"", []string{"-c", "words", "search", "--key", "nosuchword"}},
		{"", []string{"-c", "words", "search", "--key", "king", "--vector", "1"}},
		{"", []string{"-c", "words", "analogy", "king - man + woman", "-k", "3"}},
		{"", []string{"-c", "words", "analogy", "paris - france + italy", "--method", "mul", "--json", "-k", "2"}},
		{"", []string{"-c", "words", "analogy", "king - nosuchword"}},
		{"", []string{"-c", "words", "similar", "coffee", "-k", "4"}},
		{"", []string{"-c", "words", "similar", "--positive", "king", "--positive", "woman", "--negative", "man", "--cosmul", "--json", "-k", "3"}},
		{"", []string{"-c", "words", "similar", "king", "--among", "queen", "--among", "car"}},
		{"", []string{"-c", "words", "similar", "--vector", "1,2"}},
		{"", []string{"-c", "words", "odd", "breakfast", "lunch", "dinner", "car"}},
		{"", []string{"-c", "words", "odd", "red", "green", "blue", "dog", "-v"}},
		{"", []string{"-c", "words", "doesnt-match", "red", "green", "blue", "--json"}},
		{"", []string{"-c", "words", "similarity", "coffee", "tea"}},
		{"", []string{"-c", "words", "similarity", "--sets", "king queen", "man woman", "--json"}},
		{"", []string{"-c", "words", "similarity", "coffee", "nosuchword"}},
		{"", []string{"-c", "words", "eval", "analogies", files["questions"], "--restrict", "1500"}},
		{"", []string{"-c", "words", "eval", "analogies", files["questions"], "--restrict", "1500", "--json", "--method", "mul", "--exact"}},
		{"", []string{"-c", "words", "eval", "analogies", files["badpair"]}},
		{"", []string{"-c", "words", "eval", "analogies", "/nonexistent/q.txt"}},
		{"", []string{"-c", "words", "eval", "similarity", files["pairs"], "--restrict", "1500"}},
		{"", []string{"-c", "words", "eval", "similarity", files["pairs"], "--json"}},
		{"", []string{"check"}},
		// Writes, applied to both sides in order.
		{"", []string{"create", "fresh", "--dim", "3", "--metric", "dot"}},
		{"", []string{"create", "fresh", "--dim", "3", "--metric", "dot"}},
		{"", []string{"create", "fresh", "--dim", "4"}},
		{"", []string{"create", "--dim", "0"}},
		{"", []string{"create", "notes", "--embedder", "words:words"}},
		{"", []string{"create", "notes2", "--embedder", "words:nosuch"}},
		{"", []string{"create", "notes2", "--embedder", "words:notes2"}},
		{"", []string{"-c", "notes", "add", "n1", "--text", "the king and the queen"}},
		{"", []string{"-c", "notes", "add", "n2", "--text", "coffee or tea", "--metadata", `{"lang":"en"}`, "--json"}},
		{"coffee at breakfast, tea at dinner", []string{"-c", "notes", "add", "n3", "--text-file", "-"}},
		{"", []string{"-c", "notes", "add", "n4", "--text", "the king of the city and the queen of the country", "--chunk-tokens", "4", "--chunk-overlap", "1"}},
		{"", []string{"-c", "notes", "add", "n1", "--text", "the queen"}},
		{"", []string{"-c", "notes", "add", "bad", "--text", "zzzqx qqqzz"}},
		{"", []string{"-c", "notes", "add", "bad", "--text", "   "}},
		{"", []string{"-c", "notes", "add", "bad", "--text", "king", "--chunk-tokens", "2", "--chunk-overlap", "2"}},
		{"", []string{"-c", "words", "add", "bad", "--text", "king"}},
		{"", []string{"-c", "notes", "search", "--text", "queen", "--mode", "keyword"}},
		{"", []string{"-c", "notes", "search", "--text", "the king", "--mode", "hybrid"}},
		{"", []string{"-c", "notes", "search", "--text", "king", "--mode", "hybrid", "--fusion", "weighted", "--weight", "0.3", "--metadata"}},
		{"", []string{"-c", "notes", "search", "--text", "king", "--chunks", "-k", "3"}},
		{"", []string{"-c", "notes", "search", "--text", "king", "--mode", "sideways"}},
		{"", []string{"-c", "notes", "delete", "n4"}},
		{"", []string{"-c", "fresh", "put", "a", "--vector", "1,2,3", "--metadata", `{"color":"red"}`}},
		{"", []string{"-c", "fresh", "put", "a", "--vector", "1,2,4"}},
		{"", []string{"-c", "fresh", "put", "b", "--vector", "[0 1 0]"}},
		{"", []string{"-c", "fresh", "put", "a", "--metadata", `{"color":"green"}`}},
		{"", []string{"-c", "fresh", "put", "a", "--metadata", "null"}},
		{"", []string{"-c", "fresh", "put", "zz", "--metadata", `{"x":1}`}},
		{"", []string{"-c", "fresh", "put", "c", "--vector", "1,2"}},
		{"", []string{"-c", "fresh", "put", "c", "--vector", "1,2,x"}},
		{"", []string{"-c", "fresh", "put", "c", "--vector", "1,2,3", "--metadata", "[1]"}},
		{"", []string{"-c", "fresh", "get", "a", "b", "--json"}},
		{"", []string{"-c", "fresh", "delete", "a", "nosuch"}},
		{"", []string{"-c", "fresh", "delete", "a", "nosuch", "--missing-ok", "--json"}},
		{"", []string{"-c", "m", "delete", "--filter", "i >= 50", "--yes"}},
		{"y\n", []string{"-c", "m", "delete", "--filter", "i >= 40 and i < 45", "--json"}},
		{"n\n", []string{"-c", "m", "delete", "--filter", "i >= 30"}},
		{"", []string{"-c", "m", "delete", "--filter", "i >= 1000", "--yes"}},
		{"", []string{"-c", "m", "delete", "w001", "--filter", "i > 1"}},
		{"", []string{"-c", "m", "import", files["more"]}},
		{"", []string{"-c", "m", "import", files["more"], "--json"}},
		{"", []string{"-c", "m2", "import", files["more"], "--metric", "dot", "--m", "8"}},
		{"", []string{"-c", "m2", "import", files["more"], "--metric", "l2"}},
		{"", []string{"-c", "m3", "import", files["bad"]}},
		{"", []string{"-c", "m3", "import", files["bad"], "--skip-invalid"}},
		{"n\n", []string{"-c", "fresh", "drop"}},
		{"y\n", []string{"-c", "fresh", "drop", "--json"}},
		{"", []string{"-c", "fresh", "drop", "--yes"}},
		{"", []string{"collections"}},
		{"", []string{"check"}},
	}
	for _, tc := range cases {
		name := strings.Join(tc.args, " ")
		want := vecbolt(t, tc.stdin, append([]string{"--db", local}, tc.args...)...)
		got := vecbolt(t, tc.stdin, append([]string{"--server", url}, tc.args...)...)
		if got.code != want.code {
			t.Errorf("%s: exit %d over --server, %d embedded\nremote stderr: %swant stderr: %s", name, got.code, want.code, got.stderr, want.stderr)
			continue
		}
		if g, w := normalize(got.stdout, local, url), normalize(want.stdout, local, url); g != w {
			t.Errorf("%s: stdout over --server differs\ngot:\n%s\nwant:\n%s", name, g, w)
		}
		if (got.stderr == "") != (want.stderr == "") {
			t.Errorf("%s: stderr over --server %q, embedded %q", name, got.stderr, want.stderr)
		}
	}
}

// testRemoteRefusesAndKeys covers what runs only locally, the flags of
// client mode and the API key, and an unreachable server.
func testRemoteRefusesAndKeys(t *testing.T, served string) {
	const rw, ro = "remote-test-key-rw-0123456789", "remote-test-key-ro-0123456789"
	url := serveInProcess(t, served, server.Options{Keys: []server.Key{
		{Secret: rw, Write: true}, {Secret: ro},
	}})
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "key", []byte(rw+"\n"))
	roFile := writeFile(t, dir, "ro", []byte(ro+"\n"))
	t.Setenv(apiKeyEnv, "")

	for _, tc := range []struct{ args, name string }{
		{"compact", "compact"}, {"upgrade", "upgrade"}, {"demo", "demo"}, {"serve", "serve"}, {"export x.jsonl", "export"},
		{"rank a b", "rank"}, {"eval text --wordnet /nonexistent", "eval text"}, {"bench writes", "bench writes"},
	} {
		fails(t, exitUsage, append([]string{"--server", url}, strings.Fields(tc.args)...), tc.name+" does not run against a server")
	}
	fails(t, exitUsage, []string{"--server", url, "--db", "x.db", "collections"}, "--db or --server")
	fails(t, exitUsage, []string{"--server", "ftp://x", "collections"}, "--server")
	fails(t, exitUsage, []string{"--server", url, "--api-key-file", "/nonexistent/key", "collections"}, "--api-key-file")
	fails(t, exitUsage, []string{"--server", url, "--api-key-file", writeFile(t, dir, "empty", nil), "collections"}, "one key")
	fails(t, exitUsage, []string{"--server", url, "-c", "", "collections"}, "-c is empty")

	// No key, a wrong key: 401, exit 1; a read-only key may read, not write.
	r := fails(t, exitFailure, []string{"--server", url, "collections"}, "unauthorized")
	_ = r
	t.Setenv(apiKeyEnv, "not-a-key-of-this-server-000")
	fails(t, exitFailure, []string{"--server", url, "collections"}, "unauthorized")
	t.Setenv(apiKeyEnv, "")
	if out := ok(t, "--server", url, "--api-key-file", roFile, "-c", "words", "search", "--key", "king", "-k", "1"); !strings.HasPrefix(out, "RANK") {
		t.Errorf("read-only search:\n%s", out)
	}
	fails(t, exitFailure, []string{"--server", url, "--api-key-file", roFile, "-c", "words", "put", "x", "--vector", "1"}, "forbidden")
	t.Setenv(apiKeyEnv, rw)
	ok(t, "--server", url, "-c", "words", "collections")
	// A request beyond a server limit is a usage error here.
	fails(t, exitUsage, []string{"--server", url, "-c", "words", "search", "--key", "king", "-k", "5000"}, "limit_exceeded", "1000")
	t.Setenv(apiKeyEnv, "")
	ok(t, "--server", url, "--api-key-file", keyFile, "check")

	// Local commands still run; help shows the flags.
	if out := ok(t, "--server", url, "version"); out == "" {
		t.Error("version printed nothing")
	}
	if out := ok(t, "search", "--help"); !strings.Contains(out, "--server") || !strings.Contains(out, "--api-key-file") {
		t.Errorf("search --help lacks the client flags:\n%s", out)
	}

	// A server that is not there: one sentence, exit 1.
	ts := httptest.NewServer(http.NotFoundHandler())
	gone := ts.URL
	ts.Close()
	fails(t, exitFailure, []string{"--server", gone, "collections"}, "the server at "+gone+" did not answer")
}

// testRemoteBackup streams a backup into a new file with backup's rules.
func testRemoteBackup(t *testing.T, served string) {
	url := serveInProcess(t, served, server.Options{})
	t.Setenv(apiKeyEnv, "")
	dir := t.TempDir()
	dest := filepath.Join(dir, "copy.db")
	out := ok(t, "--server", url, "backup", dest)
	if !strings.Contains(out, "backed up "+url+" to "+dest) || !strings.Contains(out, "checked") {
		t.Errorf("backup: %s", out)
	}
	// The copy holds what the server holds: the same search answer.
	want := ok(t, "--server", url, "-c", "words", "search", "--key", "king", "-k", "5", "--exact")
	if got := ok(t, "--db", dest, "-c", "words", "search", "--key", "king", "-k", "5", "--exact"); got != want {
		t.Errorf("search in the copy:\n%s\nover the server:\n%s", got, want)
	}
	fails(t, exitUsage, []string{"--server", url, "backup", dest}, "already exists")
	fails(t, exitUsage, []string{"--server", url, "backup", dir}, "directory")
	fails(t, exitNotFound, []string{"--server", url, "backup", filepath.Join(dir, "no", "x.db")}, "does not exist")
	ok(t, "--server", url, "backup", "--no-verify", filepath.Join(dir, "copy2.db"))
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the destination directory, want 2 (no temporary left)", len(entries))
	}
}

// TestRemoteImportCut cuts the connection in the middle of a remote
// import: the batches acknowledged before stay, the error says how many,
// and running the import again completes it.
func TestRemoteImportCut(t *testing.T) {
	old := remoteBatch
	remoteBatch = 100
	t.Cleanup(func() { remoteBatch = old })
	db, err := query.Open(tempDB(t), query.Options{Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := server.New(db, server.Options{})
	upserts := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/records") {
			upserts++
			if upserts == 3 {
				panic(http.ErrAbortHandler) // the server dies on the third batch
			}
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	t.Setenv(apiKeyEnv, "")
	recs := randomRecords(600, 6, 9)
	file := writeFile(t, t.TempDir(), "big.jsonl", encode(t, "jsonl", recs))
	r := vecbolt(t, "", "--server", ts.URL, "-c", "big", "import", file)
	checkFailure(t, r, exitFailure, []string{"import"}, "200 records already written stay", "run the import again")
	_, n, err := db.CollectionInfo("big")
	if err != nil || n != 200 {
		t.Fatalf("after the cut: %d records, %v; want the 2 acknowledged batches (200)", n, err)
	}
	out := ok(t, "--server", ts.URL, "-c", "big", "import", file, "--json")
	if !strings.Contains(out, `"records": 600`) || !strings.Contains(out, `"replaced": 200`) {
		t.Errorf("second import:\n%s", out)
	}
	c, err := db.Collection(t.Context(), "big")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range recs {
		got, err := c.Get(t.Context(), want.key)
		if err != nil || fmt.Sprint(got.Vector) != fmt.Sprint(want.vec) {
			t.Fatalf("%s: %v %v", want.key, got.Vector, err)
		}
	}
}

// TestRemoteErrorsRoundTrip: the client's errors unwrap to the sentinels
// errors.go maps, so exit codes match without the CLI knowing HTTP.
func TestRemoteErrorsRoundTrip(t *testing.T) {
	for _, c := range api.Codes {
		e := &api.Error{Status: c.Status, Code: c.Code, Message: "x"}
		if !errors.Is(e, c.Err) {
			t.Errorf("%s does not unwrap to its sentinel", c.Code)
		}
		if exitCode(e) != exitCode(c.Err) {
			t.Errorf("%s: exit %d over the wire, %d in process", c.Code, exitCode(e), exitCode(c.Err))
		}
	}
	_ = client.ErrCheck
	_ = io.EOF
}

// TestRemoteTwoProcesses runs `vecbolt serve` as one process (this test
// binary standing in for it) and the CLI as others at the same time: the
// embedded CLI is locked out of the file (exit 5) while the same commands
// with --server work, writes included, and the server's file holds them
// after it drains on SIGTERM.
func TestRemoteTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("two-process test skipped under -short")
	}
	path := tempDB(t)
	ok(t, "--db", path, "create", "-c", "w", "--dim", "3")
	serve := exec.Command(os.Args[0], "--db", path, "serve", "--addr", "127.0.0.1:0")
	serve.Env = append(os.Environ(), "VECBOLT_TEST_AS_CLI=1", keysEnv+"=")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = serve.Process.Kill(); _ = serve.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if url == "" {
		t.Fatalf("no URL in %q", line)
	}
	cli := func(stdin string, args ...string) (int, string, string) {
		c := exec.Command(os.Args[0], args...)
		c.Env = append(os.Environ(), "VECBOLT_TEST_AS_CLI=1", apiKeyEnv+"=")
		c.Stdin = strings.NewReader(stdin)
		var o, e strings.Builder
		c.Stdout, c.Stderr = &o, &e
		err := c.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, o.String(), e.String()
	}
	if code, _, stderr := cli("", "--db", path, "--timeout", "100ms", "-c", "w", "put", "a", "--vector", "1,0,0"); code != exitDatabase || !strings.Contains(stderr, "locked") {
		t.Fatalf("embedded put while serve holds the file: exit %d %s", code, stderr)
	}
	for i, v := range []string{"1,0,0", "0,1,0", "0,0,1", "1,1,0"} {
		if code, out, stderr := cli("", "--server", url, "-c", "w", "put", fmt.Sprintf("k%d", i), "--vector", v); code != 0 || !strings.Contains(out, "added") {
			t.Fatalf("put over --server: exit %d %s %s", code, out, stderr)
		}
	}
	code, out, stderr := cli("", "--server", url, "-c", "w", "search", "--vector", "1,0.9,0", "-k", "2", "--exact")
	if code != 0 || !regexp.MustCompile(`(?s)1\s+k3\s.*2\s+k0\s`).MatchString(out) {
		t.Fatalf("search over --server: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr := cli("", "--server", url, "-c", "w", "get", "nosuch"); code != exitNotFound {
		t.Fatalf("get of a missing key over --server: exit %d %s", code, stderr)
	}
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if out := ok(t, "--db", path, "-c", "w", "keys"); out != "k0\nk1\nk2\nk3\n" {
		t.Fatalf("keys in the file after serve stopped:\n%s", out)
	}
}

// testRemoteSearchText runs search --text over --server. The text flags
// belong to the text CLI; when search lacks them this test adds --text and
// --mode as that CLI would, so the remote path is covered either way.
func testRemoteSearchText(t *testing.T, served string) {
	db, err := query.Open(served, query.Options{Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := db.CreateCollection(t.Context(), "docs", query.CollectionConfig{Dim: 100, Embedder: "words:words"})
	if err != nil {
		t.Fatal(err)
	}
	corpus := []query.Document{
		{Key: "tea", Text: "hot water poured over dried leaves makes a drink"},
		{Key: "match", Text: "the team scored a late goal to win the game"},
		{Key: "storm", Text: "heavy rain and strong wind are expected in the north tonight"},
	}
	if _, err := docs.AddDocuments(t.Context(), corpus, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	want, err := docs.SearchText(t.Context(), "hot water", 2, query.TextSearchOptions{Mode: query.ModeHybrid})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	url := serveInProcess(t, served, server.Options{})
	t.Setenv(apiKeyEnv, "")
	run := func(args ...string) result {
		var out, errb strings.Builder
		g := &globalOptions{stdin: strings.NewReader(""), stderr: &errb}
		root := newRootCommand(g)
		search, _, err := root.Find([]string{"search"})
		if err != nil {
			t.Fatal(err)
		}
		if search.Flags().Lookup("text") == nil {
			search.Flags().String("text", "", "search by text")
			search.Flags().String("mode", "", "vector, keyword or hybrid")
		}
		root.SetArgs(args)
		root.SetOut(&out)
		root.SetErr(&errb)
		err = root.Execute()
		return result{code: exitCode(err), stdout: out.String(), stderr: fmt.Sprint(err)}
	}
	r := run("--server", url, "-c", "docs", "search", "--text", "hot water", "--mode", "hybrid", "-k", "2", "--json")
	if r.code != 0 {
		t.Fatalf("search --text: exit %d %s", r.code, r.stderr)
	}
	var got searchJSON
	decode(t, r.stdout, &got)
	if len(got.Results) != len(want) || got.Results[0].Key != "tea" || got.Results[0].Key != want[0].Key || got.Results[0].Score != float32(want[0].Score) {
		t.Fatalf("search --text over --server: %+v, in process %+v", got.Results, want)
	}
	// Without an embedder, vector mode is refused with the server's 422.
	r = run("--server", url, "-c", "m", "search", "--text", "hot water")
	if r.code != exitCode(query.ErrNoEmbedder) || !strings.Contains(r.stderr, "no_embedder") {
		t.Fatalf("vector text search without an embedder: exit %d %s", r.code, r.stderr)
	}
	r = run("--server", url, "-c", "docs", "search", "--text", "hot water", "--key", "tea")
	if r.code != exitUsage {
		t.Fatalf("--text with --key: exit %d %s", r.code, r.stderr)
	}
}
