package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// result is what one vecbolt invocation produced.
type result struct {
	code           int
	stdout, stderr string
}

// vecbolt runs the command line in-process with stdin as standard input.
func vecbolt(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs the command line and fails the test unless it exits 0.
func ok(t *testing.T, args ...string) string {
	t.Helper()
	r := vecbolt(t, "", args...)
	if r.code != 0 {
		t.Fatalf("vecbolt %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs the command line and checks its exit code and that stderr
// holds "vecbolt: " and every one of wantErr.
func fails(t *testing.T, code int, args []string, wantErr ...string) result {
	t.Helper()
	r := vecbolt(t, "", args...)
	checkFailure(t, r, code, args, wantErr...)
	return r
}

func checkFailure(t *testing.T, r result, code int, args []string, wantErr ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("vecbolt %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "vecbolt: ") {
		t.Errorf("vecbolt %s: stderr does not start with \"vecbolt: \":\n%s", strings.Join(args, " "), r.stderr)
	}
	for _, w := range wantErr {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("vecbolt %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, r.stderr)
		}
	}
}

// tempDB returns the path of a database file in a fresh temporary
// directory.
func tempDB(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "test.db")
}

// writeFile writes data to name in dir and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", p, got, want)
	}
}
