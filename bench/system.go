package bench

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/viterin/vek/vek32"
)

// System is an index under test: vecbolt through the query package, or
// any in-process index, wrapped in an adapter.
//
// Build is called once, before any Search, with the base vectors (row i
// is id i); it may use up to threads goroutines (0 = its own default) and
// must not keep base beyond the call unless it documents so (the caller
// does not modify it). Search returns up to k base row indices, closest
// first, with ef as the search-time candidate list (systems without one
// ignore it); it must be safe for concurrent use once Build returned.
// Under Cosine the vectors are passed as they are: normalising is the
// system's job. Close releases everything; it is called once, last.
type System interface {
	Build(ctx context.Context, base *Matrix, threads int) error
	Search(q []float32, k, ef int) ([]int, error)
	Close() error
}

// DistanceCounter is implemented by systems that count distance
// computations; Run reports the count per query when available.
type DistanceCounter interface {
	DistanceComputations() int64 // total since Build started; safe for concurrent use
}

// BuildReporter is implemented by systems that know more about their build
// than its wall clock. Run calls ReportBuild once, after Build, with a row
// whose BuildSeconds is Build's wall clock; the system may replace it with
// its own figure (the part of Build that indexes and persists, without
// setup such as creating an empty file) and fill fields only it knows
// (FileBytes, BytesPerVector, InsertsPerSecond...).
type BuildReporter interface {
	ReportBuild(r *Row)
}

// Dataset is what Run measures a system on.
type Dataset struct {
	Name    string
	Metric  Metric
	Base    *Matrix
	Queries *Matrix
	Truth   *Truth // depth at least RunOptions.K
}

// RunOptions configures Run. Zero fields take the defaults noted.
type RunOptions struct {
	K             int   // neighbours per query and recall depth; 0 = 10
	Efs           []int // the ef sweep; nil = {10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}
	BuildThreads  int   // passed to Build and recorded; 0 = GOMAXPROCS as the system sees fit
	SearchThreads int   // threads for the qps_multi pass; 0 or 1 = no multi-thread pass
	// Runs repeats each timed pass and keeps the fastest, as ann-benchmarks
	// does (its default is 5): on a shared machine the slow runs measure
	// the neighbours. 0 = 1.
	Runs int
	// Template supplies the descriptive fields of every row (System,
	// Version, Commit, Config, M, EfConstruction); Run fills the rest.
	Template Row
	// AfterEf, if set, is called on Run's goroutine with each row as soon
	// as its ef is measured (for progress displays).
	AfterEf func(r Row)
	// ThreadClock times the single-thread passes (QPSSingle and the
	// latencies) by the CPU time of the OS thread they run on, locked for
	// the pass (CLOCK_THREAD_CPUTIME_ID, Linux only; ErrBadArgument
	// elsewhere), instead of the wall clock: time spent waiting for a core
	// that other processes hold is then not counted. For comparisons on a
	// loaded machine, only with figures timed the same way (the hnswlib
	// runner's --clock thread). The multi-thread pass stays on the wall clock.
	ThreadClock bool
}

// DefaultEfs is the ef sweep used when RunOptions.Efs is nil.
var DefaultEfs = []int{10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}

// Run builds sys over ds.Base, then for every ef searches every query
// once on one goroutine, one query per call (recall, QPS, latency
// percentiles), and, with SearchThreads > 1, once more spread over that
// many goroutines (QPSMulti). With Runs > 1 each pass is repeated and the
// fastest kept (its latencies too); recall comes from the first pass.
// RSSAfterBuild and HeapAfterBuild include the caller's copies of the base
// and query matrices (held in ds), unlike the C++ runner, which frees its
// base copy first: compare them with that in mind. It returns one row per ef. It does not Close
// sys. Timings include the adapter's own overhead, as a user would see it.
func Run(ctx context.Context, sys System, ds Dataset, o RunOptions) ([]Row, error) {
	if o.K <= 0 {
		o.K = 10
	}
	if o.Efs == nil {
		o.Efs = DefaultEfs
	}
	if ds.Truth == nil || ds.Truth.IDs.Rows != ds.Queries.Rows || ds.Truth.K < o.K {
		return nil, fmt.Errorf("%w: the truth must cover every query to depth k=%d", ErrShape, o.K)
	}
	start := time.Now()
	if err := sys.Build(ctx, ds.Base, o.BuildThreads); err != nil {
		return nil, fmt.Errorf("bench: build: %w", err)
	}
	buildSec := time.Since(start).Seconds()
	base := o.Template
	base.Dataset, base.Metric = ds.Name, ds.Metric
	base.N, base.Dim, base.Queries, base.K = ds.Base.Rows, ds.Base.Dim, ds.Queries.Rows, o.K
	base.BuildSeconds, base.BuildThreads = buildSec, o.BuildThreads
	base.Runs = max(o.Runs, 1)
	base.HeapAfterBuild = HeapInUse()
	base.RSSAfterBuild = ProcessRSS()
	if br, ok := sys.(BuildReporter); ok {
		br.ReportBuild(&base)
	}
	dc, counts := sys.(DistanceCounter)
	now := func() int64 { return time.Now().UnixNano() }
	if o.ThreadClock {
		if _, ok := threadCPU(); !ok {
			return nil, errNoThreadClock
		}
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		now = func() int64 { t, _ := threadCPU(); return t }
	}

	var rows []Row
	nq := ds.Queries.Rows
	results := make([][]int, nq)
	lat := make([]float64, nq)
	for _, ef := range o.Efs {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		row := base
		row.Ef = ef
		var best float64 // seconds of the fastest single-thread pass
		for run := 0; run < max(o.Runs, 1); run++ {
			var before int64
			if counts {
				before = dc.DistanceComputations()
			}
			t0 := now()
			for q := 0; q < nq; q++ {
				s := now()
				res, err := sys.Search(ds.Queries.Row(q), o.K, ef)
				lat[q] = float64(now()-s) / 1e3
				if err != nil {
					return rows, fmt.Errorf("bench: search query %d ef %d: %w", q, ef, err)
				}
				if run == 0 {
					results[q] = res
				}
			}
			total := float64(now()-t0) / 1e9
			if run == 0 {
				if counts {
					row.DistancesPerQuery = float64(dc.DistanceComputations()-before) / float64(nq)
				}
				r, err := Recall(ds.Truth.IDs, results, o.K)
				if err != nil {
					return rows, err
				}
				row.Recall = r
			}
			if run == 0 || total < best {
				best = total
				row.QPSSingle = float64(nq) / total
				row.P50Micros, row.P95Micros, row.P99Micros = Percentile(lat, 50), Percentile(lat, 95), Percentile(lat, 99)
			}
		}
		if o.SearchThreads > 1 {
			for run := 0; run < max(o.Runs, 1); run++ {
				qps, err := multiSearch(sys, ds.Queries, o.K, ef, o.SearchThreads)
				if err != nil {
					return rows, err
				}
				row.QPSMulti, row.Threads = max(row.QPSMulti, qps), o.SearchThreads
			}
		}
		rows = append(rows, row)
		if o.AfterEf != nil {
			o.AfterEf(row)
		}
	}
	return rows, nil
}

func multiSearch(sys System, queries *Matrix, k, ef, threads int) (float64, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	t0 := time.Now()
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				q := int(next.Add(1) - 1)
				if q >= queries.Rows {
					return
				}
				if _, err := sys.Search(queries.Row(q), k, ef); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("bench: search query %d ef %d: %w", q, ef, err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(queries.Rows) / time.Since(t0).Seconds(), firstErr
}

// Percentile returns the p-th percentile (0..100) of xs by the
// nearest-rank method on a sorted copy; 0 for an empty slice.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// BruteForce is an exact System: a linear scan with vek32 kernels. It is
// the reference point of a benchmark (recall 1 at every ef) and a test
// double for Run. Safe for concurrent Search after Build.
type BruteForce struct {
	metric Metric
	base   *Matrix      // normalised under Cosine; owned
	dists  atomic.Int64 // distance computations
}

// NewBruteForce returns an exact system for metric.
func NewBruteForce(metric Metric) *BruteForce { return &BruteForce{metric: metric} }

// Build copies base (normalised under Cosine).
func (b *BruteForce) Build(_ context.Context, base *Matrix, _ int) error {
	if b.metric == Cosine {
		b.base = Normalize(base)
	} else {
		b.base = base.Clone()
	}
	return nil
}

// Search scans every row; ef is ignored. Ties go to the lower index.
func (b *BruteForce) Search(q []float32, k, _ int) ([]int, error) {
	if b.base == nil {
		return nil, fmt.Errorf("%w: search before build", ErrBadArgument)
	}
	if len(q) != b.base.Dim {
		return nil, fmt.Errorf("%w: query dimension %d, index %d", ErrShape, len(q), b.base.Dim)
	}
	k = min(k, b.base.Rows)
	if b.metric == Cosine {
		q = slices.Clone(q)
		if n := vek32.Norm(q); n > 0 {
			vek32.MulNumber_Inplace(q, 1/n)
		}
	}
	h := make(topK, 0, k)
	diff := make([]float32, len(q))
	for i := 0; i < b.base.Rows; i++ {
		h.push(k, distance(b.metric, q, b.base.Row(i), diff), int32(i))
	}
	b.dists.Add(int64(b.base.Rows))
	ids := make([]int32, len(h))
	ds := make([]float32, len(h))
	h.sortInto(ids, ds)
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out, nil
}

// DistanceComputations implements DistanceCounter.
func (b *BruteForce) DistanceComputations() int64 { return b.dists.Load() }

// Close drops the copy of the base set.
func (b *BruteForce) Close() error { b.base = nil; return nil }

// distance is the Truth convention: smaller is closer; a and b are unit
// vectors under Cosine; scratch has len(a).
func distance(m Metric, a, b, scratch []float32) float32 {
	switch m {
	case Cosine:
		return 1 - vek32.Dot(a, b)
	case Dot:
		return -vek32.Dot(a, b)
	default:
		vek32.Sub_Into(scratch, a, b)
		return vek32.Dot(scratch, scratch)
	}
}
