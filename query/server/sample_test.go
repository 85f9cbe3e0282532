package server_test

import (
	"bufio"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/sample"
)

// sampleDB opens a database holding the first n words of the shipped GloVe
// sample (100 dimensions, cosine) in collection "words".
func sampleDB(t testing.TB, n int) (*query.DB, []query.Record) {
	return sampleDBWith(t, n)
}

// sampleDBWith is sampleDB with the words of extra added, wherever they
// are in the sample: a small vocabulary that still holds the words a test
// names keeps the graph build short (the race detector slows it tenfold).
func sampleDBWith(t testing.TB, n int, extra ...string) (*query.DB, []query.Record) {
	want := map[string]bool{}
	for _, w := range extra {
		want[w] = true
	}
	sc := bufio.NewScanner(sample.GloVe())
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var recs []query.Record
	for (len(recs) < n || len(want) > 0) && sc.Scan() {
		line := sc.Text()
		word, _, _ := strings.Cut(line, " ")
		if len(recs) >= n && !want[word] {
			continue
		}
		delete(want, word)
		f := strings.Fields(line)
		v := make([]float32, len(f)-1)
		for i, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = float32(x)
		}
		recs = append(recs, query.Record{Key: f[0], Vector: v})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	db, err := query.Open(filepath.Join(t.TempDir(), "words.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	c, err := db.CreateCollection(t.Context(), "words", query.CollectionConfig{Dim: len(recs[0].Vector), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertBatch(t.Context(), recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return db, recs
}
