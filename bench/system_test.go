package bench_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/bench"
)

// halfSystem wraps an exact system and drops every other result: recall
// must come out at about one half, whatever ef says.
type halfSystem struct{ *bench.BruteForce }

func (h halfSystem) Search(q []float32, k, ef int) ([]int, error) {
	res, err := h.BruteForce.Search(q, k, ef)
	var out []int
	for i, id := range res {
		if i%2 == 0 {
			out = append(out, id)
		}
	}
	return out, err
}

// heldOutDataset is a synthetic data set of n rows of dim components
// (seed), q of them held out as queries, with their exact top-10 truth
// under metric.
func heldOutDataset(t *testing.T, n, dim int, seed uint64, q int, metric bench.Metric) bench.Dataset {
	t.Helper()
	data, _ := bench.Synthetic(bench.SynthOptions{N: n, Dim: dim, Seed: seed})
	split, err := bench.HoldOut(data, q, 42)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := bench.GroundTruth(context.Background(), split.Base, split.Queries, metric, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	return bench.Dataset{Name: "synthetic", Metric: metric, Base: split.Base, Queries: split.Queries, Truth: tr}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	ds := heldOutDataset(t, 800, 12, 5, 40, bench.Cosine)

	bf := bench.NewBruteForce(bench.Cosine)
	defer bf.Close()
	rows, err := bench.Run(ctx, bf, ds, bench.RunOptions{K: 10, Efs: []int{10, 20}, SearchThreads: 2, BuildThreads: 1, Runs: 2,
		Template: bench.Row{System: "bruteforce", Version: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if r.Recall != 1 || r.Ef != []int{10, 20}[i] || r.System != "bruteforce" || r.Version != "test" || r.Dataset != "synthetic" ||
			r.N != 760 || r.Dim != 12 || r.Queries != 40 || r.K != 10 || r.Threads != 2 || r.BuildThreads != 1 || r.Runs != 2 {
			t.Errorf("row %d: %+v", i, r)
		}
		if r.QPSSingle <= 0 || r.QPSMulti <= 0 || r.P50Micros > r.P95Micros || r.P95Micros > r.P99Micros {
			t.Errorf("row %d timings: %+v", i, r)
		}
		if r.DistancesPerQuery != 760 {
			t.Errorf("row %d distances per query %v, want 760", i, r.DistancesPerQuery)
		}
	}

	half := halfSystem{bench.NewBruteForce(bench.Cosine)}
	rows, err = bench.Run(ctx, half, ds, bench.RunOptions{K: 10, Efs: []int{5}})
	if err != nil || rows[0].Recall != 0.5 {
		t.Fatalf("half system: %v %v", rows, err)
	}
	if _, err := bench.Run(ctx, bf, ds, bench.RunOptions{K: 11}); !errors.Is(err, bench.ErrShape) {
		t.Errorf("k deeper than truth: %v", err)
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, tc := range []struct{ p, want float64 }{{50, 5}, {95, 10}, {99, 10}, {10, 1}, {0, 1}, {100, 10}} {
		if got := bench.Percentile(xs, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if bench.Percentile(nil, 50) != 0 {
		t.Error("empty")
	}
}

// sleepySystem answers exactly but sleeps first: time that costs the wall
// clock and no CPU.
type sleepySystem struct {
	*bench.BruteForce
	nap time.Duration
}

func (s sleepySystem) Search(q []float32, k, ef int) ([]int, error) {
	time.Sleep(s.nap)
	return s.BruteForce.Search(q, k, ef)
}

// TestRunThreadClock checks that RunOptions.ThreadClock times passes by
// the thread's CPU time: a search that sleeps 3 ms costs at least 3 ms of
// wall clock (at most 333 QPS), but little CPU, so the thread clock counts
// it far faster, with the same recall.
func TestRunThreadClock(t *testing.T) {
	ctx := context.Background()
	ds := heldOutDataset(t, 200, 8, 3, 20, bench.L2)
	sys := sleepySystem{bench.NewBruteForce(bench.L2), 3 * time.Millisecond}
	defer sys.Close()
	wall, err := bench.Run(ctx, sys, ds, bench.RunOptions{K: 10, Efs: []int{10}})
	if err != nil {
		t.Fatal(err)
	}
	thread, err := bench.Run(ctx, sys, ds, bench.RunOptions{K: 10, Efs: []int{10}, ThreadClock: true})
	if runtime.GOOS != "linux" {
		if !errors.Is(err, bench.ErrBadArgument) {
			t.Fatalf("thread clock on %s: %v, want ErrBadArgument", runtime.GOOS, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if wall[0].QPSSingle > 1000/3.0 {
		t.Errorf("wall clock: %.0f QPS for searches sleeping 3 ms each", wall[0].QPSSingle)
	}
	// A 3 ms nap costs the thread microseconds of CPU (the timer
	// syscall); even 100x slower than that is still 10x the wall QPS.
	if thread[0].QPSSingle < 10*wall[0].QPSSingle {
		t.Errorf("thread clock: %.0f QPS against %.0f on the wall clock: sleep was counted", thread[0].QPSSingle, wall[0].QPSSingle)
	}
	if thread[0].Recall != 1 || wall[0].Recall != 1 || thread[0].P50Micros > thread[0].P99Micros {
		t.Errorf("rows: %+v / %+v", wall[0], thread[0])
	}
}
