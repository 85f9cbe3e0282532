package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/query"
)

// TestBenchProbeSeries: probe-open --queries measures the memory after the
// open and after each --at count of queries, with and without lean reads,
// and refuses bad counts and query files with clear errors.
func TestBenchProbeSeries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.db")
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := db.CreateCollection(ctx, "v", query.CollectionConfig{Dim: 4, Metric: query.L2, Quantize: "int8"})
	if err != nil {
		t.Fatal(err)
	}
	qs := bench.NewMatrix(5, 4)
	recs := make([]query.Record, 200)
	for i := range recs {
		v := []float32{float32(i % 7), float32(i % 11), float32(i % 13), float32(i)}
		recs[i] = query.Record{Key: fmt.Sprint(i), Vector: v}
		if i < qs.Rows {
			copy(qs.Row(i), v)
		}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	qpath := filepath.Join(dir, "q.fvecs")
	if err := bench.WriteFvecs(qpath, qs); err != nil {
		t.Fatal(err)
	}
	for _, lean := range []string{"--lean-reads=false", "--lean-reads"} {
		stdout := ok(t, "--db", path, "-c", "v", "bench", "probe-open", "--queries", qpath, "--at", "1,3,12", "-k", "3", lean)
		var r probeResult
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		if r.Results != 3 || r.OpenSeconds <= 0 || len(r.Points) != 4 {
			t.Fatalf("%s: probe %+v", lean, r)
		}
		for i, want := range []int{0, 1, 3, 12} {
			p := r.Points[i]
			if p.Queries != want || p.Heap <= 0 {
				t.Errorf("%s: point %d: %+v, want %d queries", lean, i, p, want)
			}
			if runtime.GOOS == "linux" && (p.RSS <= 0 || p.RSSAnon <= 0 || p.RSSFile <= 0 || p.Exe <= 0 || p.DBMapped+p.Exe > p.RSSFile+1<<20 || p.RSSAnon+p.RSSFile > p.RSS+p.RSS/8) {
				t.Errorf("%s: point %d: %+v: RSS parts that do not add up", lean, i, p)
			}
		}
	}
	empty := filepath.Join(dir, "empty.fvecs")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wide := filepath.Join(dir, "wide.fvecs")
	if err := bench.WriteFvecs(wide, bench.NewMatrix(1, 5)); err != nil {
		t.Fatal(err)
	}
	probe := func(extra ...string) []string {
		return append([]string{"--db", path, "-c", "v", "bench", "probe-open", "--queries", qpath}, extra...)
	}
	fails(t, exitUsage, probe("--at", "0"), "--at", "increasing")
	fails(t, exitUsage, probe("--at", "5,2"), "--at", "increasing")
	fails(t, exitUsage, probe("--at", "1,x"), "--at")
	fails(t, exitNotFound, []string{"--db", path, "-c", "v", "bench", "probe-open", "--queries", filepath.Join(dir, "none.fvecs")}, "none.fvecs")
	fails(t, exitUsage, []string{"--db", path, "-c", "v", "bench", "probe-open", "--queries", empty}, "holds no vector")
	fails(t, exitInvalid, []string{"--db", path, "-c", "v", "bench", "probe-open", "--queries", wide}, "dimension")
}
