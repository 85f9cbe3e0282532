package query_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// TestHugeK drives every entry point that takes a result count with k far
// beyond the collection (2^63-1 panicked with "makeslice: cap out of
// range", 10^11 ran out of memory, and 3CosMul's 10*k overflowed to 100
// results). Each must return every eligible record exactly once.
func TestHugeK(t *testing.T) {
	const n, dim = 150, 8
	ks := []int{math.MaxInt, math.MaxInt/10 + 1, 1e11, n + 1}
	for _, metric := range []query.Metric{query.Cosine, query.Dot, query.L2} {
		t.Run(string(metric), func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: metric, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			vecs := clustered(9, n, dim)
			keys := fill(t, c, vecs)
			// all reports whether rs holds each key not in skip exactly once.
			all := func(rs []query.Result, skip ...string) error {
				seen := map[string]bool{}
				for _, s := range skip {
					seen[s] = true
				}
				for _, r := range rs {
					if seen[r.Key] {
						return fmt.Errorf("key %q twice or excluded", r.Key)
					}
					seen[r.Key] = true
				}
				if len(seen) != n {
					return fmt.Errorf("%d results, want %d", len(rs), n-len(skip))
				}
				return nil
			}
			ex, err := query.ParseExpr("k1 - k2 + k3")
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range ks {
				for _, exact := range []bool{false, true} {
					for _, ef := range []int{0, math.MaxInt} {
						name := fmt.Sprintf("k=%d exact=%t ef=%d", k, exact, ef)
						so := query.SearchOptions{Exact: exact, Ef: ef}
						rs, err := c.Search(ctx, vecs[0], k, so)
						if err == nil {
							err = all(rs)
						}
						if err != nil {
							t.Errorf("Search %s: %v", name, err)
						}
						rs, err = c.SearchKey(ctx, keys[0], k, so)
						if err == nil {
							err = all(rs, keys[0])
						}
						if err != nil {
							t.Errorf("SearchKey %s: %v", name, err)
						}
						batch, err := c.SearchBatch(ctx, vecs[:3], k, so)
						for i := 0; err == nil && i < len(batch); i++ {
							err = all(batch[i])
						}
						if err != nil {
							t.Errorf("SearchBatch %s: %v", name, err)
						}
						lim := float32(math.Inf(-1))
						if metric == query.L2 {
							lim = float32(math.Inf(1))
						}
						rs, err = c.SearchWithin(ctx, vecs[0], lim, k, so)
						if err == nil {
							err = all(rs)
						}
						if err != nil {
							t.Errorf("SearchWithin limit %s: %v", name, err)
						}
						for _, m := range []query.Method{query.CosAdd, query.CosMul} {
							for _, cand := range []int{0, k} {
								ao := query.AnalogyOptions{Method: m, Exact: exact, Ef: ef, Candidates: cand}
								rs, err = c.Analogy(ctx, ex, k, ao)
								if err == nil {
									err = all(rs, "k1", "k2", "k3")
								}
								if err != nil {
									t.Errorf("Analogy %v candidates=%d %s: %v", m, cand, name, err)
								}
							}
						}
					}
				}
			}
			// Evaluation with huge 3CosMul candidate counts: the answers
			// must be those of an exact evaluation.
			var sb strings.Builder
			sb.WriteString(": s\n")
			for i := 0; i+3 < 40; i += 4 {
				fmt.Fprintf(&sb, "%s %s %s %s\n", keys[i], keys[i+1], keys[i+2], keys[i+3])
			}
			want, err := c.EvaluateAnalogies(ctx, strings.NewReader(sb.String()), query.AnalogyEvalOptions{Method: query.CosMul, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, cand := range ks {
				got, err := c.EvaluateAnalogies(ctx, strings.NewReader(sb.String()), query.AnalogyEvalOptions{Method: query.CosMul, Candidates: cand, Ef: math.MaxInt})
				if err != nil {
					t.Errorf("EvaluateAnalogies candidates=%d: %v", cand, err)
					continue
				}
				if metric == query.Cosine && got.Total != want.Total {
					t.Errorf("EvaluateAnalogies candidates=%d: %+v, exact %+v", cand, got.Total, want.Total)
				}
			}
		})
	}
}

// TestRefuseOverflowingVectors: one record with components of 1e19 made
// every l2 search return NaN distances (and dot +Inf); such records and
// queries are now refused with a *store.NormError, and what is accepted
// gives finite scores.
func TestRefuseOverflowingVectors(t *testing.T) {
	const dim = 100
	big := make([]float32, dim)
	tiny := make([]float32, dim)
	ok := make([]float32, dim)
	for i := range big {
		big[i], tiny[i], ok[i] = 1e19, 1e-45, float32(i%7)-3
	}
	for _, metric := range []query.Metric{query.Cosine, query.Dot, query.L2} {
		t.Run(string(metric), func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: metric})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Upsert(ctx, "ok", ok, nil); err != nil {
				t.Fatal(err)
			}
			for name, v := range map[string][]float32{"1e19": big, "1e-45": tiny} {
				var ne *store.NormError
				err := c.Upsert(ctx, name, v, nil)
				if !errors.Is(err, query.ErrInvalidVector) || !errors.As(err, &ne) {
					t.Errorf("Upsert %s: %v, want a *store.NormError", name, err)
				}
				err = c.UpsertBatch(ctx, []query.Record{{Key: "x", Vector: ok}, {Key: name, Vector: v}}, query.BatchOptions{})
				if !errors.As(err, &ne) {
					t.Errorf("UpsertBatch %s: %v, want a *store.NormError", name, err)
				}
				if _, err := c.Search(ctx, v, 1, query.SearchOptions{}); !errors.As(err, &ne) {
					t.Errorf("Search with a %s query: %v, want a *store.NormError", name, err)
				}
			}
			if c.Len() != 1 {
				t.Errorf("%d records after refused writes, want 1", c.Len())
			}
			for _, exact := range []bool{false, true} {
				rs, err := c.Search(ctx, ok, 1, query.SearchOptions{Exact: exact})
				if err != nil || len(rs) != 1 || math.IsNaN(float64(rs[0].Score)) || math.IsInf(float64(rs[0].Score), 0) {
					t.Errorf("Search exact=%t: %v %v", exact, rs, err)
				}
			}
			if err := db.Check(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}
