package server_test

import (
	"bufio"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/server"
)

// readmeCurl returns the curl lines of the README's server section, in
// order, their trailing comments dropped.
func readmeCurl(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "## "):
			in = l == "## The server"
		case in && strings.HasPrefix(l, "curl "):
			if i := strings.Index(l, "   #"); i >= 0 {
				l = strings.TrimSpace(l[:i])
			}
			out = append(out, l)
		}
	}
	return out
}

// curlRoute returns the method and path a curl line requests.
func curlRoute(line string) (method, path string) {
	method = "GET"
	if strings.Contains(line, " -d ") || strings.Contains(line, " --data-binary ") {
		method = "POST"
	}
	if m := regexp.MustCompile(` -X ([A-Z]+)`).FindStringSubmatch(line); m != nil {
		method = m[1]
	}
	u := regexp.MustCompile(`localhost:7070(/[^ ']*)`).FindStringSubmatch(line)[1]
	path, _, _ = strings.Cut(u, "?")
	return method, path
}

// TestREADMECurl runs the README's curl examples, in order, against a
// server over the GloVe sample ("words"): each must succeed, and every
// route must have one.
func TestREADMECurl(t *testing.T) {
	if testing.Short() {
		t.Skip("README curl examples skipped under -short")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl installed; skipping the README's curl examples")
	}
	lines := readmeCurl(t)
	srv := server.New(nil, server.Options{})
	for _, pat := range srv.Routes() {
		method, path, _ := strings.Cut(pat, " ")
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$")
		found := false
		for _, l := range lines {
			m, p := curlRoute(l)
			found = found || m == method && re.MatchString(p)
		}
		if !found {
			t.Errorf("the README has no curl example for %s", pat)
		}
	}
	db, _ := sampleDBWith(t, 1000, "coffee", "tea", "paris", "france", "italy", "king", "woman", "man", "breakfast", "lunch", "dinner", "car",
		"athens", "greece", "berlin", "germany", "rome", "queen", "banana")
	ts := httptest.NewServer(server.New(db, server.Options{}))
	defer ts.Close()
	dir := t.TempDir()
	writeFile := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("questions-words.txt", ": capital-common-countries\nathens greece berlin germany\nparis france rome italy\n")
	writeFile("wordsim353.tsv", "coffee\ttea\t7.5\nking\tqueen\t8.1\ncar\tbanana\t0.9\n")
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, l := range lines {
		cmd := strings.Replace(strings.ReplaceAll(l, "localhost:7070", host), "curl -s", curl+" -sS --fail-with-body", 1)
		c := exec.Command("sh", "-c", cmd)
		c.Dir = dir
		out, err := c.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", l, err, out)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "copy.db")); err != nil || fi.Size() == 0 {
		t.Errorf("the backup example wrote no copy: %v", err)
	}
}
