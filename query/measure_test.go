//go:build linux

package query_test

import (
	"math"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// TestMeasureFilteredSearch prints filtered-search QPS and recall@10
// against exact filtered search on the GloVe 50k sample, for the automatic
// plan and for each plan forced, at selectivities from 50% to 0.1%, and
// fails when recall falls below 0.98 for the plan chosen or 0.95 for the
// graph forced. It runs only with VECBOLT_MEASURE=1.
//
//	VECBOLT_MEASURE=1 go test -run TestMeasureFilteredSearch -v ./query
func TestMeasureFilteredSearch(t *testing.T) {
	if os.Getenv("VECBOLT_MEASURE") == "" {
		t.Skip("set VECBOLT_MEASURE=1 to measure")
	}
	g := loadGloVe50k(t)
	// Queries per second of CPU time of the one thread running them: the
	// machines are shared and wall time is noise.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const k, nq = 10, 1000
	queries := make([][]float32, nq)
	for i := range queries {
		queries[i] = g.vecs[(i*37)%len(g.vecs)]
	}
	run := func(flt query.Filter, below func(n, ef int) int, opts query.SearchOptions) ([][]query.Result, float64) {
		if below != nil {
			defer query.SetScanBelow(below)()
		}
		opts.Filter = flt
		out := make([][]query.Result, nq)
		start := threadCPU()
		for i, q := range queries {
			r, err := g.c.Search(ctx, q, k, opts)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = r
		}
		return out, float64(nq) / (threadCPU() - start).Seconds()
	}
	graph := func(int, int) int { return -1 }
	scan := func(int, int) int { return math.MaxInt }
	_, base := run(query.Filter{}, nil, query.SearchOptions{})
	_, baseExact := run(query.Filter{}, nil, query.SearchOptions{Exact: true})
	t.Logf("no filter: HNSW %.0f QPS, exact %.0f QPS (per CPU second of 1 thread, ef 64, k %d, %d records)", base, baseExact, k, len(g.keys))
	t.Logf("%-6s %7s | %9s %7s | %9s %7s | %9s | %s", "pass", "records", "graph QPS", "recall", "auto QPS", "recall", "scan QPS", "auto plan")
	for _, perMille := range []float64{500, 200, 100, 50, 20, 10, 5, 1} {
		flt := query.Lt("bucket", perMille)
		want, scanQPS := run(flt, scan, query.SearchOptions{})
		gr, graphQPS := run(flt, graph, query.SearchOptions{})
		au, autoQPS := run(flt, nil, query.SearchOptions{})
		rec := func(got [][]query.Result) float64 {
			var s float64
			for i := range got {
				if len(got[i]) != len(want[i]) {
					t.Errorf("query %d: %d results, exact %d", i, len(got[i]), len(want[i]))
				}
				s += recall(got[i], want[i])
			}
			return s / float64(len(got))
		}
		allowed := int(float64(len(g.keys)) * perMille / 1000)
		plan := "graph"
		if allowed <= query.ScanBelow(len(g.keys), 64) {
			plan = "scan"
		}
		graphRecall, autoRecall := rec(gr), rec(au)
		t.Logf("%5.1f%% %7d | %9.0f %7.4f | %9.0f %7.4f | %9.0f | %s", perMille/10, allowed, graphQPS, graphRecall, autoQPS, autoRecall, scanQPS, plan)
		// Recall against the exact filtered answer: the plan chosen must
		// keep the unfiltered graph's quality (0.986 at ef 64 on this
		// data), and forcing the graph must not fall apart either.
		if autoRecall < 0.98 {
			t.Errorf("%.1f%% passing: recall@%d of the chosen plan (%s) is %.4f, want >= 0.98", perMille/10, k, plan, autoRecall)
		}
		if graphRecall < 0.95 {
			t.Errorf("%.1f%% passing: recall@%d of the graph plan is %.4f, want >= 0.95", perMille/10, k, graphRecall)
		}
	}
}

// threadCPU returns the CPU time (user and system) the calling OS thread
// has used. The caller has locked itself to its thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
