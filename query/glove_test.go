package query_test

import (
	"bufio"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/sample"
)

type gloveData struct {
	keys []string
	vecs [][]float32
	db   *query.DB
	c    *query.Collection
}

var (
	gloveOnce sync.Once
	glove     gloveData
	gloveErr  error
)

// readSample parses the embedded GloVe sample with a parser of its own,
// independent of package format.
func readSample(t testing.TB) ([]string, [][]float32) {
	sc := bufio.NewScanner(sample.GloVe())
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var keys []string
	var vecs [][]float32
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		v := make([]float32, len(f)-1)
		for i, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = float32(x)
		}
		keys = append(keys, f[0])
		vecs = append(vecs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return keys, vecs
}

func loadGloVe(t *testing.T) *gloveData {
	if testing.Short() {
		t.Skip("builds a 10k-word database; skipped with -short")
	}
	gloveOnce.Do(func() {
		keys, vecs := readSample(t)
		db, err := query.Open(filepath.Join(testDir, "glove.db"), query.Options{NoSync: true})
		if err != nil {
			gloveErr = err
			return
		}
		c, err := db.CreateCollection(ctx, "glove", query.CollectionConfig{Dim: sample.Dim})
		if err != nil {
			gloveErr = err
			return
		}
		recs := make([]query.Record, len(keys))
		for i := range keys {
			recs[i] = query.Record{Key: keys[i], Vector: vecs[i]}
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
			gloveErr = err
			return
		}
		glove = gloveData{keys: keys, vecs: vecs, db: db, c: c}
	})
	if gloveErr != nil {
		t.Fatal(gloveErr)
	}
	return &glove
}

// analogyReference is gensim's most_similar written out in float64: the mean
// of the unit vectors of the positives and the negated negatives, normalised,
// ranked by cosine against every unit vector, the input words excluded.
func analogyReference(keys []string, vecs [][]float32, pos, neg []string, k int) []string {
	idx := map[string]int{}
	for i, w := range keys {
		idx[w] = i
	}
	unit := unit64
	mean := make([]float64, len(vecs[0]))
	skip := map[string]bool{}
	for _, w := range pos {
		for i, x := range unit(vecs[idx[w]]) {
			mean[i] += x
		}
		skip[w] = true
	}
	for _, w := range neg {
		for i, x := range unit(vecs[idx[w]]) {
			mean[i] -= x
		}
		skip[w] = true
	}
	type scored struct {
		w string
		s float64
	}
	var all []scored
	for i, v := range vecs {
		if skip[keys[i]] {
			continue
		}
		var s float64
		for j, x := range unit(v) {
			s += x * mean[j]
		}
		all = append(all, scored{keys[i], s})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	out := make([]string, k)
	for i := range out {
		out[i] = all[i].w
	}
	return out
}

func TestGloVeAnalogies(t *testing.T) {
	g := loadGloVe(t)
	tests := []struct {
		expr   string
		pos    []string
		neg    []string
		answer string
	}{
		{"king - man + woman", []string{"king", "woman"}, []string{"man"}, "queen"},
		{"paris - france + italy", []string{"paris", "italy"}, []string{"france"}, "rome"},
	}
	for _, tt := range tests {
		want := analogyReference(g.keys, g.vecs, tt.pos, tt.neg, 5)
		if want[0] != tt.answer {
			t.Fatalf("reference computation answers %s to %s, expected %s", want[0], tt.expr, tt.answer)
		}
		e, err := query.ParseExpr(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, exact := range []bool{true, false} {
			got, err := g.c.Analogy(ctx, e, 5, query.AnalogyOptions{Exact: exact})
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Key != tt.answer {
				t.Fatalf("%s (exact=%v) = %v, want %s first", tt.expr, exact, got, tt.answer)
			}
			if exact {
				for i := range want {
					if got[i].Key != want[i] {
						t.Fatalf("%s exact rank %d = %s, reference %s", tt.expr, i, got[i].Key, want[i])
					}
				}
			}
		}
	}
}

func TestGloVeNeighbours(t *testing.T) {
	g := loadGloVe(t)
	idx := map[string]int{}
	for i, w := range g.keys {
		idx[w] = i
	}
	for _, w := range []string{"king", "france", "computer", "coffee", "good"} {
		want := bruteForce(query.Cosine, g.keys, g.vecs, g.vecs[idx[w]], 10, map[string]bool{w: true})
		exact, err := g.c.SearchKey(ctx, w, 10, query.SearchOptions{Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if exact[i].Key != want[i].Key {
				t.Fatalf("neighbours of %s: exact rank %d = %s, reference %s", w, i, exact[i].Key, want[i].Key)
			}
		}
		approx, err := g.c.SearchKey(ctx, w, 10, query.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r := recall(approx, want); r < 0.9 {
			t.Fatalf("neighbours of %s: HNSW recall %.2f: %v vs %v", w, r, approx, want)
		}
	}
}
