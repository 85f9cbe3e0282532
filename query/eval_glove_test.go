package query_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// sharedData is the team's data directory, relative to this package.
const sharedData = "../../shared/data"

type glove50k struct {
	keys []string
	vecs [][]float32
	db   *query.DB
	c    *query.Collection
}

var (
	g50kOnce sync.Once
	g50k     glove50k
	g50kErr  error
)

// loadGloVe50k builds (once per test binary) a collection of the shared
// GloVe 50k sample in insertion order, each record with the metadata
// {"bucket": (i*7919) % 1000} so that filters of any selectivity can be
// written. It skips when the data is missing, under -short and under the
// race detector.
func loadGloVe50k(t testing.TB) *glove50k {
	path := filepath.Join(sharedData, "glove-50k-100d.txt.gz")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no shared data: %v", err)
	}
	if testing.Short() || raceEnabled {
		t.Skip("builds a 50k-word database: skipped with -short and -race")
	}
	g50kOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			g50kErr = err
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			g50kErr = err
			return
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var recs []query.Record
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			v := make([]float32, len(fs)-1)
			for i, s := range fs[1:] {
				x, err := strconv.ParseFloat(s, 32)
				if err != nil {
					g50kErr = fmt.Errorf("line %d: %v", len(recs)+1, err)
					return
				}
				v[i] = float32(x)
			}
			g50k.keys = append(g50k.keys, fs[0])
			g50k.vecs = append(g50k.vecs, v)
			meta, _ := json.Marshal(map[string]int{"bucket": (len(recs) * 7919) % 1000})
			recs = append(recs, query.Record{Key: fs[0], Vector: v, Metadata: meta})
		}
		if g50kErr = sc.Err(); g50kErr != nil {
			return
		}
		db, err := query.Open(filepath.Join(testDir, "glove50k.db"), query.Options{NoSync: true})
		if err != nil {
			g50kErr = err
			return
		}
		c, err := db.CreateCollection(ctx, "glove", query.CollectionConfig{Dim: len(g50k.vecs[0])})
		if err != nil {
			g50kErr = err
			return
		}
		start := time.Now()
		if g50kErr = c.UpsertBatch(ctx, recs, query.BatchOptions{}); g50kErr != nil {
			return
		}
		t.Logf("built the GloVe 50k collection in %v", time.Since(start))
		g50k.db, g50k.c = db, c
	})
	if g50kErr != nil {
		t.Fatal(g50kErr)
	}
	return &g50k
}

func readShared(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join(sharedData, name))
	if err != nil {
		t.Skipf("no shared data: %v", err)
	}
	return string(b)
}

// TestGloVe50kWordPairs checks evaluate_word_pairs on the shared sets
// against the independent computation in TestEvaluateWordPairs's style.
func TestGloVe50kWordPairs(t *testing.T) {
	g := loadGloVe50k(t)
	idx := map[string]int{}
	for i := len(g.keys) - 1; i >= 0; i-- {
		idx[strings.ToUpper(g.keys[i])] = i
	}
	for _, name := range []string{"wordsim353.tsv", "simlex999.txt"} {
		file := readShared(t, name)
		var gold, model []float64
		oov := 0
		for _, line := range strings.Split(file, "\n") {
			f := strings.Split(line, "\t")
			if strings.HasPrefix(line, "#") || len(f) != 3 {
				continue
			}
			s, err := strconv.ParseFloat(strings.TrimSpace(f[2]), 64)
			if err != nil {
				continue
			}
			a, okA := idx[strings.ToUpper(f[0])]
			b, okB := idx[strings.ToUpper(f[1])]
			if !okA || !okB {
				oov++
				continue
			}
			gold = append(gold, s)
			model = append(model, dot64(unit64(g.vecs[a]), unit64(g.vecs[b])))
		}
		rep, err := g.c.EvaluateWordPairs(ctx, strings.NewReader(file), query.PairsEvalOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wp, ws := pearsonRef(gold, model), pearsonRef(rankRef(gold), rankRef(model))
		t.Logf("%s: Pearson %.4f, Spearman %.4f, %d pairs, OOV %d (%.1f%%)", name, rep.Pearson, rep.Spearman, rep.Pairs, rep.OOV, 100*rep.OOVShare())
		if rep.Pairs != len(gold) || rep.OOV != oov || math.Abs(float64(rep.Pearson)-wp) > 1e-5 || math.Abs(float64(rep.Spearman)-ws) > 1e-5 {
			t.Errorf("%s: got %+v; reference pairs %d, oov %d, Pearson %.6f, Spearman %.6f", name, rep, len(gold), oov, wp, ws)
		}
	}
}

// TestGloVe50kAnalogies runs every 25th question of questions-words.txt
// (sections kept) exactly and compares with gensim's protocol written out
// in the test, then checks HNSW against exact on the same questions.
func TestGloVe50kAnalogies(t *testing.T) {
	g := loadGloVe50k(t)
	full := readShared(t, "questions-words.txt")
	var b strings.Builder
	n := 0
	for _, line := range strings.Split(full, "\n") {
		if strings.HasPrefix(line, ": ") {
			b.WriteString(line + "\n")
		} else if n++; n%25 == 0 {
			b.WriteString(line + "\n")
		}
	}
	file := b.String()
	wantSec, wantQ, wantOOV := gensimAnalogies(g.keys, g.vecs, file, 300000)
	exact, err := g.c.EvaluateAnalogies(ctx, strings.NewReader(file), query.AnalogyEvalOptions{Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if exact.Questions != wantQ || exact.Skipped != wantOOV {
		t.Fatalf("%d questions, %d skipped; reference %d, %d", exact.Questions, exact.Skipped, wantQ, wantOOV)
	}
	// float32 kernels against the float64 reference: allow a near tie to
	// flip one answer in a section.
	for i, s := range exact.Sections {
		w := wantSec[i]
		if s.Name != w.Name || s.Total != w.Total || s.Correct < w.Correct-1 || s.Correct > w.Correct+1 {
			t.Errorf("section %s: %d/%d, reference %s %d/%d", s.Name, s.Correct, s.Total, w.Name, w.Correct, w.Total)
		}
	}
	for _, m := range []query.Method{query.CosAdd, query.CosMul} {
		ex, err := g.c.EvaluateAnalogies(ctx, strings.NewReader(file), query.AnalogyEvalOptions{Method: m, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		ap, err := g.c.EvaluateAnalogies(ctx, strings.NewReader(file), query.AnalogyEvalOptions{Method: m})
		if err != nil {
			t.Fatal(err)
		}
		d := 100 * (ap.Total.Accuracy() - ex.Total.Accuracy())
		t.Logf("3Cos%s on %d questions: exact %.2f%%, HNSW %.2f%% (%+.2f points)", m, ex.Total.Total, 100*ex.Total.Accuracy(), 100*ap.Total.Accuracy(), d)
		if math.Abs(d) > 1 {
			t.Errorf("3Cos%s: HNSW %.2f points from exact", m, d)
		}
	}
}

// TestGloVe50kDoesntMatch checks gensim's documented example and a second
// group against the mean of unit vectors computed here.
func TestGloVe50kDoesntMatch(t *testing.T) {
	g := loadGloVe50k(t)
	idx := map[string]int{}
	for i, k := range g.keys {
		idx[k] = i
	}
	for _, group := range [][]string{{"breakfast", "cereal", "dinner", "lunch"}, {"paris", "berlin", "london", "apple"}} {
		mean := make([]float64, len(g.vecs[0]))
		for _, w := range group {
			for i, x := range unit64(g.vecs[idx[w]]) {
				mean[i] += x
			}
		}
		want, best := "", math.Inf(1)
		for _, w := range group {
			if s := dot64(unit64(g.vecs[idx[w]]), mean); s < best {
				want, best = w, s
			}
		}
		got, err := g.c.DoesntMatch(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("doesnt_match(%v) = %s", group, got)
		if got != want {
			t.Errorf("DoesntMatch(%v) = %s, reference %s", group, got, want)
		}
	}
}
