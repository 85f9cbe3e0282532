package bench_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

// refDist is the distance written out in float64, scalar, no SIMD.
func refDist(m bench.Metric, a, b []float32) float64 {
	var dot, na, nb, l2 float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		l2 += (x - y) * (x - y)
	}
	switch m {
	case bench.Cosine:
		if na == 0 || nb == 0 {
			return 1
		}
		return 1 - dot/math.Sqrt(na*nb)
	case bench.Dot:
		return -dot
	}
	return l2
}

// naiveTruth sorts every base row for every query: single-threaded,
// float64, ties by lower index.
func naiveTruth(base, queries *bench.Matrix, m bench.Metric, k int) ([][]int, [][]float64) {
	ids := make([][]int, queries.Rows)
	ds := make([][]float64, queries.Rows)
	for q := 0; q < queries.Rows; q++ {
		idx := make([]int, base.Rows)
		d := make([]float64, base.Rows)
		for i := range idx {
			idx[i] = i
			d[i] = refDist(m, queries.Row(q), base.Row(i))
		}
		sort.SliceStable(idx, func(a, b int) bool { return d[idx[a]] < d[idx[b]] })
		ids[q] = idx[:k]
		for _, i := range idx[:k] {
			ds[q] = append(ds[q], d[i])
		}
	}
	return ids, ds
}

func TestGroundTruthMatchesNaive(t *testing.T) {
	data, err := bench.Synthetic(bench.SynthOptions{N: 1200, Dim: 24, Clusters: 8, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	base, queries := data.Slice(0, 1100), data.Slice(1100, 1200)
	const k = 20
	for _, m := range []bench.Metric{bench.Cosine, bench.Dot, bench.L2} {
		t.Run(string(m), func(t *testing.T) {
			tr, err := bench.GroundTruth(context.Background(), base, queries, m, k, 3)
			if err != nil {
				t.Fatal(err)
			}
			if tr.K != k || tr.IDs.Rows != queries.Rows || tr.IDs.Dim != k || tr.Dists.Dim != k {
				t.Fatalf("shape %d×%d", tr.IDs.Rows, tr.IDs.Dim)
			}
			wantIDs, wantD := naiveTruth(base, queries, m, k)
			for q := 0; q < queries.Rows; q++ {
				for r := 0; r < k; r++ {
					got := int(tr.IDs.Row(q)[r])
					gd := refDist(m, queries.Row(q), base.Row(got))
					// Float32 SIMD and float64 scalar may order near-ties
					// differently: a different id must be as close.
					tol := 1e-5 * math.Max(1, math.Abs(wantD[q][r]))
					if got != wantIDs[q][r] && math.Abs(gd-wantD[q][r]) > tol {
						t.Fatalf("query %d rank %d: id %d (dist %g), want %d (dist %g)", q, r, got, gd, wantIDs[q][r], wantD[q][r])
					}
					if d := float64(tr.Dists.Row(q)[r]); math.Abs(d-gd) > tol {
						t.Fatalf("query %d rank %d: stored distance %g, reference %g", q, r, d, gd)
					}
				}
			}
		})
	}
}

func TestGroundTruthTiesByLowerIndex(t *testing.T) {
	// Small integers: every kernel computes these exactly, so equal
	// distances are really equal.
	base := &bench.Matrix{Rows: 6, Dim: 2, Data: []float32{
		3, 0, // 0
		1, 0, // 1 duplicate of 4
		0, 5, // 2
		2, 0, // 3
		1, 0, // 4
		0, 1, // 5
	}}
	q := &bench.Matrix{Rows: 1, Dim: 2, Data: []float32{1, 0}}
	tests := []struct {
		m    bench.Metric
		want []int32
	}{
		{bench.L2, []int32{1, 4, 3, 5, 0}},     // 0,0,1,2,4
		{bench.Cosine, []int32{0, 1, 3, 4, 2}}, // the four on the x axis tie at 0
		{bench.Dot, []int32{0, 3, 1, 4, 2}},    // -3,-2,-1,-1,0
	}
	for _, tc := range tests {
		tr, err := bench.GroundTruth(context.Background(), base, q, tc.m, 5, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tr.IDs.Row(0), tc.want) {
			t.Errorf("%s: ids %v, want %v", tc.m, tr.IDs.Row(0), tc.want)
		}
	}
	// k larger than the base is capped.
	tr, err := bench.GroundTruth(context.Background(), base, q, bench.L2, 100, 0)
	if err != nil || tr.K != 6 {
		t.Fatalf("k cap: %v %v", tr, err)
	}
}

func TestGroundTruthErrors(t *testing.T) {
	ctx := context.Background()
	a := bench.NewMatrix(3, 2)
	if _, err := bench.GroundTruth(ctx, a, bench.NewMatrix(1, 3), bench.L2, 1, 1); !errors.Is(err, bench.ErrShape) {
		t.Errorf("dim mismatch: %v", err)
	}
	if _, err := bench.GroundTruth(ctx, a, bench.NewMatrix(1, 2), bench.L2, 0, 1); !errors.Is(err, bench.ErrBadArgument) {
		t.Errorf("k=0: %v", err)
	}
	if _, err := bench.GroundTruth(ctx, a, bench.NewMatrix(1, 2), "hamming", 1, 1); !errors.Is(err, bench.ErrUnknownMetric) {
		t.Errorf("metric: %v", err)
	}
	if _, err := bench.GroundTruth(ctx, a, bench.NewMatrix(0, 2), bench.L2, 1, 1); !errors.Is(err, bench.ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := bench.GroundTruth(cctx, a, bench.NewMatrix(1, 2), bench.L2, 1, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestParseMetric(t *testing.T) {
	for in, want := range map[string]bench.Metric{"cosine": bench.Cosine, "Angular": bench.Cosine, "ip": bench.Dot, "dot": bench.Dot, "euclidean": bench.L2, "l2": bench.L2} {
		if got, err := bench.ParseMetric(in); err != nil || got != want {
			t.Errorf("ParseMetric(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := bench.ParseMetric("hamming"); !errors.Is(err, bench.ErrUnknownMetric) {
		t.Errorf("hamming: %v", err)
	}
}

func TestCachedGroundTruth(t *testing.T) {
	ctx := context.Background()
	data, _ := bench.Synthetic(bench.SynthOptions{N: 600, Dim: 8, Seed: 3})
	base, queries := data.Slice(0, 550), data.Slice(550, 600)
	path := filepath.Join(t.TempDir(), "truth.ivecs")

	fresh, hit, err := bench.CachedGroundTruth(ctx, path, base, queries, bench.Cosine, 10, 2)
	if err != nil || hit {
		t.Fatalf("first call: hit=%v err=%v", hit, err)
	}
	for _, f := range []string{path, filepath.Join(filepath.Dir(path), "truth.dist.fvecs"), filepath.Join(filepath.Dir(path), "truth.json")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("cache file missing: %v", err)
		}
	}
	cached, hit, err := bench.CachedGroundTruth(ctx, path, base, queries, bench.Cosine, 10, 2)
	if err != nil || !hit {
		t.Fatalf("second call: hit=%v err=%v", hit, err)
	}
	recomputed, _ := bench.GroundTruth(ctx, base, queries, bench.Cosine, 10, 1)
	for _, tr := range []*bench.Truth{fresh, cached} {
		if !slices.Equal(tr.IDs.Data, recomputed.IDs.Data) || !slices.Equal(tr.Dists.Data, recomputed.Dists.Data) || tr.K != 10 || tr.Metric != bench.Cosine {
			t.Fatal("cached truth differs from a fresh computation")
		}
	}

	// Any changed input misses the cache and rewrites it.
	changed := base.Clone()
	changed.Data[17] += 0.5
	variants := []struct {
		name          string
		base, queries *bench.Matrix
		metric        bench.Metric
		k             int
	}{
		{"base value", changed, queries, bench.Cosine, 10},
		{"fewer queries", base, queries.Slice(0, 49), bench.Cosine, 10},
		{"metric", base, queries, bench.L2, 10},
		{"k", base, queries, bench.Cosine, 11},
	}
	for _, v := range variants {
		tr, hit, err := bench.CachedGroundTruth(ctx, path, v.base, v.queries, v.metric, v.k, 2)
		if err != nil || hit {
			t.Fatalf("%s: hit=%v err=%v", v.name, hit, err)
		}
		want, _ := bench.GroundTruth(ctx, v.base, v.queries, v.metric, v.k, 2)
		if !slices.Equal(tr.IDs.Data, want.IDs.Data) {
			t.Fatalf("%s: truth differs from a fresh computation", v.name)
		}
		// Back to the original inputs: the cache now holds the variant.
		if _, hit, _ := bench.CachedGroundTruth(ctx, path, base, queries, bench.Cosine, 10, 2); hit {
			t.Fatalf("%s: stale cache reported as a hit", v.name)
		}
	}

	// A damaged ids file is recomputed, not trusted.
	if err := os.WriteFile(path, []byte{1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	if tr, hit, err := bench.CachedGroundTruth(ctx, path, base, queries, bench.Cosine, 10, 2); err != nil || hit || !slices.Equal(tr.IDs.Data, recomputed.IDs.Data) {
		t.Fatalf("damaged cache: hit=%v err=%v", hit, err)
	}
}

func TestTruthKey(t *testing.T) {
	a := &bench.Matrix{Rows: 2, Dim: 2, Data: []float32{1, 2, 3, 4}}
	b := &bench.Matrix{Rows: 1, Dim: 4, Data: []float32{1, 2, 3, 4}} // same bits, other shape
	q := &bench.Matrix{Rows: 1, Dim: 2, Data: []float32{0, 1}}
	k1 := bench.TruthKey(a, q, bench.L2, 1)
	if len(k1) != 64 || k1 != bench.TruthKey(a.Clone(), q, bench.L2, 1) {
		t.Fatalf("key not stable: %s", k1)
	}
	if k1 == bench.TruthKey(b, q, bench.L2, 1) || k1 == bench.TruthKey(a, q, bench.Dot, 1) || k1 == bench.TruthKey(a, q, bench.L2, 2) {
		t.Fatal("different inputs share a key")
	}
}
