package index_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

var gloveFile = filepath.Join("..", "..", "shared", "data", "glove-50k-100d.txt.gz")

var (
	gloveOnce sync.Once
	gloveVecs [][]float32
	gloveErr  error
)

// glove returns the first n GloVe vectors, normalised, or skips tb when the
// file is absent.
func glove(tb testing.TB, n int) [][]float32 {
	tb.Helper()
	if _, err := os.Stat(gloveFile); err != nil {
		tb.Skipf("GloVe data not available (%s): %v", gloveFile, err)
	}
	gloveOnce.Do(func() { gloveVecs, gloveErr = loadGlove(gloveFile) })
	if gloveErr != nil {
		tb.Fatal(gloveErr)
	}
	if n > len(gloveVecs) {
		tb.Skipf("GloVe file holds %d vectors, want %d", len(gloveVecs), n)
	}
	return gloveVecs[:n]
}

func loadGlove(path string) ([][]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var out [][]float32
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		v := make([]float32, len(fields)-1)
		for i, s := range fields[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				return nil, err
			}
			v[i] = float32(x)
		}
		normalize(v)
		out = append(out, v)
	}
	return out, sc.Err()
}

// TestRecallGloVe builds over the first 20,000 GloVe words and queries with
// the next 200 (held out), cosine.
func TestRecallGloVe(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("GloVe recall test skipped under -short and -race")
	}
	const n, nq = 20000, 200
	all := glove(t, n+nq)
	base, queries := all[:n], all[n:]
	g, err := index.New(100, index.Cosine, index.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := g.AddBatch(context.Background(), base, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, g)
	byID := make(map[uint32][]float32, n)
	for i, id := range ids {
		byID[id] = base[i]
	}
	want := truth(index.Cosine, byID, queries, 10)
	for _, ef := range []int{10, 20, 40, 64, 100, 200} {
		r := recallVs(g, queries, want, 10, ef)
		t.Logf("GloVe 20k 100d cosine, ef=%d: recall@10 = %.4f", ef, r)
		if ef == 64 && r < 0.95 {
			t.Errorf("recall@10 at ef=64 = %.4f, want >= 0.95", r)
		}
	}
}
