package main

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/sample"
)

// loadSampleByHand parses the embedded GloVe sample without package format.
func loadSampleByHand(t *testing.T) (keys []string, vecs map[string][]float64) {
	t.Helper()
	vecs = make(map[string][]float64)
	sc := bufio.NewScanner(sample.GloVe())
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), " ")
		if len(f) != sample.Dim+1 {
			t.Fatalf("sample line %d has %d fields", len(keys)+1, len(f))
		}
		v := make([]float64, sample.Dim)
		var n float64
		for i, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = x
			n += x * x
		}
		for i := range v {
			v[i] /= math.Sqrt(n)
		}
		keys = append(keys, f[0])
		vecs[f[0]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(keys) != sample.Words {
		t.Fatalf("sample has %d words, want %d", len(keys), sample.Words)
	}
	return keys, vecs
}

// bruteAnalogy answers a - b + c by 3CosAdd over every word, in float64.
func bruteAnalogy(keys []string, vecs map[string][]float64, a, b, c string) string {
	q := make([]float64, sample.Dim)
	for i := range q {
		q[i] = vecs[a][i] - vecs[b][i] + vecs[c][i]
	}
	best, bestScore := "", math.Inf(-1)
	for _, k := range keys {
		if k == a || k == b || k == c {
			continue
		}
		var s float64
		for i, x := range vecs[k] {
			s += x * q[i]
		}
		if s > bestScore {
			best, bestScore = k, s
		}
	}
	return best
}

// demoAnswers returns the first answer on each line of demo output that
// starts with one of the prefixes.
func demoAnswers(out string) map[string]string {
	got := make(map[string]string)
	for _, l := range lines(out) {
		l = strings.TrimSpace(l)
		for _, p := range append(append([]string(nil), demoAnalogies...), demoWords...) {
			rest, found := strings.CutPrefix(l, p+" ")
			if found && (strings.HasPrefix(rest, " ") || !strings.Contains(p, " ")) {
				if f := strings.Fields(rest); len(f) > 0 {
					got[p] = f[0]
				}
			}
		}
	}
	return got
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-word index; skipped with -short")
	}
	keys, vecs := loadSampleByHand(t)
	for _, tc := range []struct{ a, b, c, want string }{
		{"king", "man", "woman", "queen"},
		{"paris", "france", "italy", "rome"},
	} {
		if got := bruteAnalogy(keys, vecs, tc.a, tc.b, tc.c); got != tc.want {
			t.Fatalf("brute force: %s - %s + %s = %s, want %s", tc.a, tc.b, tc.c, got, tc.want)
		}
	}

	db := filepath.Join(t.TempDir(), "demo.db")
	out := ok(t, "--db", db, "demo")
	if ls := lines(out); !strings.Contains(ls[0], "10,000") || !strings.Contains(ls[1], "GloVe") || !strings.Contains(ls[1], "Pennington") {
		t.Errorf("the first lines do not attribute the data:\n%s", out)
	}
	got := demoAnswers(out)
	if got["king - man + woman"] != "queen" || got["paris - france + italy"] != "rome" {
		t.Errorf("analogies: %v\n%s", got, out)
	}
	for _, w := range demoWords {
		if got[w] == "" {
			t.Errorf("no neighbours for %q:\n%s", w, out)
		}
	}
	// The database was kept: query it, and run the demo again over it.
	if n := statsRecords(t, "--db", db); n != sample.Words {
		t.Errorf("records: %d, want %d", n, sample.Words)
	}
	out = ok(t, "--db", db, "analogy", "king - man + woman", "-k", "1")
	if !strings.Contains(out, "queen") {
		t.Errorf("analogy over the demo database:\n%s", out)
	}
	out = ok(t, "--db", db, "demo")
	if !strings.Contains(out, "already in") || demoAnswers(out)["king - man + woman"] != "queen" {
		t.Errorf("second demo:\n%s", out)
	}
}

// TestDemoTemporary checks that without --db the demo leaves nothing
// behind, even when interrupted while indexing (the context is cancelled
// before it starts, so the test does not build a second index).
func TestDemoTemporary(t *testing.T) {
	tmp, cwd := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Chdir(cwd)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := execute(ctx, []string{"demo"}, strings.NewReader(""), &out, &errb)
	if code != exitCanceled {
		t.Errorf("exit %d, want %d; stderr: %s", code, exitCanceled, errb.String())
	}
	if !strings.Contains(out.String(), "Pennington") {
		t.Errorf("no attribution:\n%s", out.String())
	}
	for _, dir := range []string{tmp, cwd} {
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("demo without --db left files in %s: %v", dir, ents)
		}
	}
}
