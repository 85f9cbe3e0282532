package query_test

import (
	"errors"
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// cos64 is the reference cosine similarity, in float64.
func cos64(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestKeyedVectorsMetrics checks the gensim questions under every metric
// against cosine similarities computed here: they are cosine whatever the
// collection's metric.
func TestKeyedVectorsMetrics(t *testing.T) {
	recs := keyedRecords(150, 6, 4)
	vec := map[string][]float32{}
	for _, r := range recs {
		vec[r.Key] = r.Vector
	}
	for _, m := range []query.Metric{query.Cosine, query.Dot, query.L2} {
		t.Run(string(m), func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 6, Metric: m})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
				t.Fatal(err)
			}
			a, b := recs[3].Key, recs[9].Key
			s, err := c.Similarity(ctx, a, b)
			if err != nil || math.Abs(float64(s)-cos64(vec[a], vec[b])) > 1e-6 {
				t.Errorf("Similarity = %v, %v; want %v", s, err, cos64(vec[a], vec[b]))
			}
			d, _ := c.Distance(ctx, a, b)
			if math.Abs(float64(d)-(1-cos64(vec[a], vec[b]))) > 1e-6 {
				t.Errorf("Distance = %v", d)
			}
			// n_similarity uses the means of the raw vectors.
			mean := func(keys ...string) []float32 {
				out := make([]float32, 6)
				for _, k := range keys {
					for j, x := range vec[k] {
						out[j] += x / float32(len(keys))
					}
				}
				return out
			}
			ns, err := c.NSimilarity(ctx, []string{a, recs[4].Key}, []string{b, recs[5].Key, recs[6].Key})
			if want := cos64(mean(a, recs[4].Key), mean(b, recs[5].Key, recs[6].Key)); err != nil || math.Abs(float64(ns)-want) > 1e-6 {
				t.Errorf("NSimilarity = %v, %v; want %v", ns, err, want)
			}
			// Rank and CloserThan against a full ranking, in insertion order.
			var closer []string
			lim := 1 - cos64(vec[a], vec[b])
			for _, r := range recs {
				if r.Key != a && 1-cos64(vec[a], r.Vector) < lim {
					closer = append(closer, r.Key)
				}
			}
			got, err := c.CloserThan(ctx, a, b)
			if err != nil || !slices.Equal(got, closer) {
				t.Errorf("CloserThan = %v, %v; want %v", got, err, closer)
			}
			if r, _ := c.Rank(ctx, a, b); r != len(closer)+1 {
				t.Errorf("Rank = %d, want %d", r, len(closer)+1)
			}
			if r, _ := c.Rank(ctx, a, a); r != 1 {
				t.Errorf("Rank(a, a) = %d, want 1", r)
			}
			// Distances to every record, in insertion order.
			all, err := c.Distances(ctx, a, nil)
			if err != nil || len(all) != len(recs) {
				t.Fatalf("Distances(a, nil): %d, %v", len(all), err)
			}
			for i, r := range all {
				if r.Key != recs[i].Key || math.Abs(float64(r.Score)-(1-cos64(vec[a], recs[i].Vector))) > 1e-6 {
					t.Fatalf("Distances[%d] = %+v", i, r)
				}
			}
			// MostSimilar, exact: the mean of unit vectors, query keys out.
			pos, neg := []string{a, recs[7].Key}, []string{recs[8].Key}
			q := make([]float64, 6)
			for i, k := range append(append([]string(nil), pos...), neg...) {
				w := 1.0
				if i >= len(pos) {
					w = -1
				}
				var s float64
				for _, x := range vec[k] {
					s += float64(x) * float64(x)
				}
				for j, x := range vec[k] {
					q[j] += w * float64(x) / math.Sqrt(s)
				}
			}
			qv := make([]float32, 6)
			for j, x := range q {
				qv[j] = float32(x)
			}
			type ks struct {
				k string
				s float64
			}
			var want []ks
			for _, r := range recs {
				if !slices.Contains(pos, r.Key) && !slices.Contains(neg, r.Key) {
					want = append(want, ks{r.Key, cos64(qv, r.Vector)})
				}
			}
			sort.Slice(want, func(i, j int) bool { return want[i].s > want[j].s })
			res, err := c.MostSimilar(ctx, pos, neg, 5, query.SimilarOptions{Exact: true})
			if err != nil || len(res) != 5 {
				t.Fatalf("MostSimilar: %v, %v", res, err)
			}
			for i := range res {
				if res[i].Key != want[i].k || math.Abs(float64(res[i].Score)-want[i].s) > 1e-5 {
					t.Errorf("MostSimilar %d: %+v, want %+v", i, res[i], want[i])
				}
			}
			// SimilarByVector excludes nothing: a stored vector finds itself.
			res, err = c.SimilarByVector(ctx, vec[a], 1, query.SimilarOptions{Exact: true})
			if err != nil || res[0].Key != a || math.Abs(float64(res[0].Score)-1) > 1e-5 {
				t.Errorf("SimilarByVector(vec a) = %v, %v", res, err)
			}
			// MostSimilarToGiven: the first best.
			cands := []string{recs[10].Key, recs[11].Key, recs[12].Key, recs[11].Key}
			best, bi := "", -2.0
			for _, k := range cands {
				if s := cos64(vec[a], vec[k]); s > bi {
					best, bi = k, s
				}
			}
			if got, err := c.MostSimilarToGiven(ctx, a, cands); err != nil || got != best {
				t.Errorf("MostSimilarToGiven = %q, %v; want %q", got, err, best)
			}
		})
	}
}

func TestKeyedVectorsBadInput(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range keyedRecords(20, 3, 5) {
		if err := c.Upsert(ctx, r.Key, r.Vector, nil); err != nil {
			t.Fatal(err)
		}
	}
	k := keyedRecords(20, 3, 5)[0].Key
	missing := func(name string, err error) {
		t.Helper()
		var ke *query.KeyError
		if !errors.As(err, &ke) || ke.Key != "nosuch" || !errors.Is(err, query.ErrKeyNotFound) {
			t.Errorf("%s: %v, want a KeyError for nosuch", name, err)
		}
	}
	_, err = c.Similarity(ctx, k, "nosuch")
	missing("Similarity", err)
	_, err = c.Distance(ctx, "nosuch", k)
	missing("Distance", err)
	_, err = c.NSimilarity(ctx, []string{k}, []string{"nosuch"})
	missing("NSimilarity", err)
	_, err = c.Distances(ctx, k, []string{k, "nosuch"})
	missing("Distances", err)
	_, err = c.Rank(ctx, k, "nosuch")
	missing("Rank", err)
	_, err = c.CloserThan(ctx, "nosuch", k)
	missing("CloserThan", err)
	_, err = c.MostSimilar(ctx, []string{k}, []string{"nosuch"}, 3, query.SimilarOptions{})
	missing("MostSimilar", err)
	_, err = c.MostSimilarCosmul(ctx, []string{"nosuch"}, nil, 3, query.SimilarOptions{})
	missing("MostSimilarCosmul", err)
	_, err = c.MostSimilarToGiven(ctx, k, []string{"nosuch"})
	missing("MostSimilarToGiven", err)
	_, err = c.RelativeCosineSimilarity(ctx, k, "nosuch", 5)
	missing("RelativeCosineSimilarity", err)

	empty := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, query.ErrEmptyQuery) {
			t.Errorf("%s: %v, want ErrEmptyQuery", name, err)
		}
	}
	_, err = c.NSimilarity(ctx, nil, []string{k})
	empty("NSimilarity", err)
	_, err = c.MostSimilar(ctx, nil, nil, 3, query.SimilarOptions{})
	empty("MostSimilar", err)
	_, err = c.MostSimilarCosmul(ctx, nil, []string{k}, 3, query.SimilarOptions{})
	empty("MostSimilarCosmul with only a negative key", err)
	_, err = c.MostSimilarToGiven(ctx, k, nil)
	empty("MostSimilarToGiven", err)
	if _, err := c.MostSimilar(ctx, []string{k}, nil, 0, query.SimilarOptions{}); !errors.Is(err, query.ErrInvalidK) {
		t.Errorf("topn 0: %v", err)
	}
	if _, err := c.SimilarByVector(ctx, []float32{1, 2}, 3, query.SimilarOptions{}); !errors.Is(err, query.ErrDimension) {
		t.Errorf("SimilarByVector wrong dimension: %v", err)
	}
	if _, err := c.SimilarByVector(ctx, []float32{0, 0, 0}, 3, query.SimilarOptions{}); !errors.Is(err, query.ErrZeroVector) {
		t.Errorf("SimilarByVector zero vector: %v", err)
	}
	// Negative keys only: most_similar allows it (gensim does too).
	if res, err := c.MostSimilar(ctx, nil, []string{k}, 3, query.SimilarOptions{Exact: true}); err != nil || len(res) != 3 {
		t.Errorf("MostSimilar with only a negative key: %v, %v", res, err)
	}
	db.Close()
	if _, err := c.Similarity(ctx, k, k); !errors.Is(err, query.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if _, err := c.Rank(ctx, k, k); !errors.Is(err, query.ErrClosed) {
		t.Errorf("Rank after Close: %v", err)
	}
}
