package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server"
)

// TestRemoteOversample: search --oversample runs against a server and
// answers exactly as it does on the file, for single and batch searches;
// the values differ in what they find (oversample 1 misses neighbours that
// 40 finds on this narrow beam), so the flag demonstrably reaches the
// server's search. Bad values are refused: by the flag check before any
// request (negative, NaN, infinite), by the server beyond its limit.
func TestRemoteOversample(t *testing.T) {
	const dim = 8
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCollection(context.Background(), "default", query.CollectionConfig{Dim: dim, M: 4, EfConstruction: 16, Seed: 1, Quantize: "int8"})
	if err != nil {
		t.Fatal(err)
	}
	recs := randomRecords(2000, dim, 31)
	var batch []query.Record
	for _, r := range recs {
		batch = append(batch, query.Record{Key: r.key, Vector: r.vec})
	}
	if err := c.UpsertBatch(context.Background(), batch, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	url := serveInProcess(t, copyDB(t, path), server.Options{})
	t.Setenv(apiKeyEnv, "")

	var lines []byte
	for i := 0; i < 2000; i += 50 {
		lines = append(lines, recs[i].key+"\n"...)
	}
	batchFile := writeFile(t, dir, "queries.txt", lines)
	differ := 0
	for _, qi := range []int{3, 77, 500, 901, 1234, 1999} {
		byOver := map[string]string{}
		for _, over := range []string{"1", "40"} {
			args := []string{"search", "--vector", vecString(recs[qi].vec), "-k", "10", "--ef", "10", "--oversample", over, "--json"}
			local := ok(t, append([]string{"--db", path}, args...)...)
			if remote := ok(t, append([]string{"--server", url}, args...)...); remote != local {
				t.Errorf("query %d, --oversample %s: over the server\n%s\non the file\n%s", qi, over, remote, local)
			}
			byOver[over] = local
		}
		if byOver["1"] != byOver["40"] {
			differ++
		}
	}
	if differ == 0 {
		t.Error("--oversample 1 and 40 answered alike for every query: the test cannot tell whether the flag reaches the search")
	}
	byOver := map[string]string{}
	for _, over := range []string{"1", "40"} {
		args := []string{"search", "--batch", batchFile, "-k", "10", "--ef", "10", "--oversample", over, "--json"}
		local := ok(t, append([]string{"--db", path}, args...)...)
		if remote := ok(t, append([]string{"--server", url}, args...)...); remote != local {
			t.Errorf("batch, --oversample %s: over the server\n%s\non the file\n%s", over, remote, local)
		}
		byOver[over] = local
	}
	if byOver["1"] == byOver["40"] {
		t.Error("batch: --oversample 1 and 40 answered alike for 40 keys")
	}

	for _, bad := range []string{"-1", "NaN", "+Inf"} {
		fails(t, exitUsage, []string{"--server", url, "search", "--key", "w001", "--oversample", bad}, "--oversample is ")
	}
	fails(t, exitUsage, []string{"--server", url, "search", "--key", "w001", "--oversample", "101"}, "limit_exceeded", "oversample is 101, it must be in [0, 100]")
}
