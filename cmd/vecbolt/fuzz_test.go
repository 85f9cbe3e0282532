package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCommandLine drives the whole command line in-process (execute, the
// root command, every runX) with random commands, flags and values against
// a small database, a copy per input, in a scratch directory. Whatever is
// typed, vecbolt must not panic or hang, must exit with one of the
// documented codes, and must explain a failure on stderr as
// "vecbolt: ...".
//
// The input is one command line: words separated by spaces, standard
// input after the first newline. Words with a "/" are rewritten (every
// file stays in the scratch directory); demo and bench are left out (they
// build large databases by design).
//
//	go test -run '^$' -fuzz FuzzCommandLine -fuzztime 5m ./cmd/vecbolt
func FuzzCommandLine(f *testing.F) {
	for _, seed := range []string{
		"search --key k0 -k 3",
		"search --key k0 -k 9223372036854775807",
		"analogy k0-k1+k2 --method mul -k 100000000000",
		"search --vector 1_0,2 --exact",
		"search --vector 0x1p3,1",
		"search --expr k0-k1+k2 -k 2 --json",
		"search --batch - -k 2\nk0\nk1\n",
		"search --key k0 --threshold 0.5 --limit 2",
		"search --key k0 --filter i>1 --metadata",
		"analogy k0-k1+k2 --method mul -k 3",
		"analogy 0*k0",
		"odd k0 k1 k2 -v",
		"put k9 --vector 1,2 --metadata {\"a\":1}",
		"put k9 --vector 1e40,2",
		"delete k0 k1",
		"get k0 --json",
		"create x --dim 3 --m 1",
		"create y --dim 2 --metric l2 --ef 99999999999",
		"-c l2 search --vector 1e19,1e19",
		"import - -f glove\na 1 2\nb 3 4\n",
		"import - -f jsonl -c j\n{\"key\":\"a\",\"vector\":[1,2]}\n",
		"import - -f csv --m 1",
		"export out.jsonl",
		"export t.db -f jsonl --force",
		"export - -f word2vec-binary",
		"stats --json",
		"check",
		"backup b.db",
		"compact",
		"compact --output c.db",
		"eval analogies -\n: s\nk0 k1 k2 k3\n",
		"eval similarity -\nk0\tk1\t1\nk1\tk2\t2\n",
		"completion tcsh",
		"help nosuch",
		"--db missing.db put a --vector 1,2",
		"--timeout -1s stats",
	} {
		f.Add(seed)
	}
	template := filepath.Join(f.TempDir(), "template.db")
	for _, args := range [][]string{
		{"create", "--dim", "2"},
		{"-c", "l2", "create", "--dim", "2", "--metric", "l2"},
	} {
		if code := execute(context.Background(), append([]string{"--db", template}, args...), strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			f.Fatalf("setup %v: exit %d", args, code)
		}
	}
	recs := "k0 1 0\nk1 0 1\nk2 1 1\nk3 -1 0.5\nk4 0.3 -2\n"
	for _, c := range []string{"default", "l2"} {
		if code := execute(context.Background(), []string{"--db", template, "-c", c, "import", "-", "-f", "glove"}, strings.NewReader(recs), io.Discard, io.Discard); code != 0 {
			f.Fatalf("setup import: exit %d", code)
		}
	}
	db, err := os.ReadFile(template)
	if err != nil {
		f.Fatal(err)
	}
	documented := map[int]bool{exitOK: true, exitFailure: true, exitUsage: true, exitNotFound: true, exitInvalid: true, exitDatabase: true, exitCanceled: true}

	f.Fuzz(func(t *testing.T, input string) {
		line, stdin, _ := strings.Cut(input, "\n")
		args := strings.Fields(line)
		if len(args) > 24 {
			args = args[:24]
		}
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "/", "_")
			switch strings.TrimLeft(args[i], "-") {
			case "demo", "bench", "probe-open":
				return
			}
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "t.db"), db, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		var stderr strings.Builder
		code := execute(context.Background(), append([]string{"--db", "t.db", "--timeout", "0"}, args...), strings.NewReader(stdin), io.Discard, &stderr)
		if !documented[code] {
			t.Fatalf("vecbolt %q: exit %d, not a documented code\n%s", args, code, stderr.String())
		}
		if code != 0 && !strings.HasPrefix(stderr.String(), "vecbolt: ") {
			t.Fatalf("vecbolt %q: exit %d without a \"vecbolt: \" message:\n%s", args, code, stderr.String())
		}
	})
}
