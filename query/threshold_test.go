package query_test

import (
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

func TestSearchWithin(t *testing.T) {
	n, nq, dim := 1500, 10, 8
	if testing.Short() || raceEnabled {
		n, nq = 600, 5
	}
	vecs := clustered(31, n, dim)
	queries := clustered(32, nq, dim)
	for _, tc := range []struct {
		metric    query.Metric
		threshold float32
		minRecall float64 // HNSW under dot (inner product) is the weakest
	}{{query.Cosine, 0.8, 0.95}, {query.Cosine, 0.5, 0.95}, {query.Dot, 60, 0.8}, {query.L2, 4.5, 0.95}} {
		t.Run(string(tc.metric), func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "t", query.CollectionConfig{Dim: dim, Metric: tc.metric, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			keys := fill(t, c, vecs)
			passes := func(s float32) bool {
				if tc.metric == query.L2 {
					return s <= tc.threshold
				}
				return s >= tc.threshold
			}
			var sumRecall float64
			var counted, total int
			for qi, q := range queries {
				all := bruteForce(tc.metric, keys, vecs, q, n, nil)
				var want []query.Result
				for _, r := range all {
					if passes(r.Score) {
						want = append(want, r)
					}
				}
				exact, err := c.SearchWithin(ctx, q, tc.threshold, 0, query.SearchOptions{Exact: true})
				if err != nil {
					t.Fatal(err)
				}
				// Allow a record right at the threshold to fall either way.
				if d := len(exact) - len(want); d < -1 || d > 1 {
					t.Fatalf("query %d: exact gives %d records, brute force %d", qi, len(exact), len(want))
				}
				for i := range min(len(exact), len(want)) - 1 {
					if exact[i].Key != want[i].Key {
						t.Fatalf("query %d: exact rank %d = %s, want %s", qi, i, exact[i].Key, want[i].Key)
					}
				}
				approx, err := c.SearchWithin(ctx, q, tc.threshold, 0, query.SearchOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range approx {
					if !passes(r.Score) {
						t.Fatalf("query %d: %s scores %v, fails the threshold", qi, r.Key, r.Score)
					}
				}
				if len(want) > 0 {
					sumRecall += float64(len(approx)) / float64(len(want))
					total += len(want)
					counted++
				}
				capped, err := c.SearchWithin(ctx, q, tc.threshold, 3, query.SearchOptions{Exact: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(capped) != min(3, len(exact)) {
					t.Fatalf("query %d: cap 3 gives %d records of %d", qi, len(capped), len(exact))
				}
			}
			if counted > 0 {
				r := sumRecall / float64(counted)
				t.Logf("%d queries with results, %.1f on average: approximate returns %.3f of the exact set", counted, float64(total)/float64(counted), r)
				if r < tc.minRecall {
					t.Errorf("approximate threshold search returns %.3f of the exact set", r)
				}
			}
		})
	}
}

func TestSearchKeyWithinExcludesKey(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "t", query.CollectionConfig{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, c, [][]float32{{1, 0}, {1, 0.01}, {0, 1}})
	for _, exact := range []bool{false, true} {
		got, err := c.SearchKeyWithin(ctx, "k0", 0.99, 0, query.SearchOptions{Exact: exact})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Key != "k1" {
			t.Fatalf("exact=%v: %v, want only k1", exact, got)
		}
	}
	if _, err := c.SearchWithin(ctx, []float32{1, 0}, 0.5, -1, query.SearchOptions{}); err == nil {
		t.Error("negative limit accepted")
	}
}
