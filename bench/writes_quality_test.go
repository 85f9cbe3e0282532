package bench_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

// TestMeasureWriteQuality builds the three curves on a small set: every
// curve reaches the recall brute force allows at a large ef (the graph
// after single inserts and churn finds what a fresh build finds).
func TestMeasureWriteQuality(t *testing.T) {
	ctx := context.Background()
	m, err := bench.Synthetic(bench.SynthOptions{N: 900, Dim: 8, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	all, queries := m.Slice(0, 800), m.Slice(800, 900)
	truth, err := bench.GroundTruth(ctx, all, queries, bench.L2, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	o := bench.QualityOptions{Dir: t.TempDir(), Metric: bench.L2, M: 8, EfConstruction: 64, All: all, N: 600,
		Queries: queries, Truth: truth, Writers: 4, Churn: 0.3, ChurnBatch: 50, Controls: 1, Seed: 7,
		Run: bench.RunOptions{K: 10, Efs: []int{10, 200}}}
	rep, err := bench.MeasureWriteQuality(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rep.Rows {
		got[r.Config]++
		if r.Ef == 200 && r.Recall < 0.99 {
			t.Errorf("%s: recall %.4f at ef 200 over 800 points", r.Config, r.Recall)
		}
		if r.DistancesPerQuery <= 0 {
			t.Errorf("%s ef %d: no distance count", r.Config, r.Ef)
		}
	}
	if got["fresh-bulk"] != 2 || got["single-inserts"] != 2 || got["churned"] != 2 {
		t.Errorf("curves: %v", got)
	}
	// The interleaved sweep at the end: the same three curves, fresh
	// first, with the recall each had when swept right after its build
	// (the same graph, searched again).
	if len(rep.Interleaved) != 8 {
		t.Fatalf("%d interleaved rows, want 8", len(rep.Interleaved))
	}
	for i, r := range rep.Interleaved {
		if r.Ef == 200 && r.Recall < 0.99 {
			t.Errorf("interleaved %s: recall %.4f at ef 200 over 800 points", r.Config, r.Recall)
		}
		if want := []string{"fresh-bulk", "fresh-bulk-seed8", "single-inserts", "churned"}[i/2]; r.Config != want || r.Ef != []int{10, 200}[i%2] {
			t.Errorf("interleaved row %d: %s ef %d", i, r.Config, r.Ef)
		}
		for _, s := range rep.Rows {
			if s.Config == r.Config && s.Ef == r.Ef && s.Recall != r.Recall {
				t.Errorf("%s ef %d: recall %.4f interleaved, %.4f after its build", r.Config, r.Ef, r.Recall, s.Recall)
			}
		}
	}
	if rep.InsertSeconds <= 0 || rep.ChurnSeconds <= 0 {
		t.Errorf("report: %+v", rep)
	}

	for _, bad := range []func(*bench.QualityOptions){
		func(o *bench.QualityOptions) { o.Dir = "" },
		func(o *bench.QualityOptions) { o.N = 800 },
		func(o *bench.QualityOptions) { o.Truth = nil },
		func(o *bench.QualityOptions) { o.Churn = 1.5 },
		func(o *bench.QualityOptions) { o.Controls = -1 },
	} {
		b := o
		bad(&b)
		if _, err := bench.MeasureWriteQuality(ctx, b); !errors.Is(err, bench.ErrBadArgument) {
			t.Errorf("bad options: %v", err)
		}
	}
}
