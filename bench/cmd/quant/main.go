// Command quant measures vecbolt's HNSW graph (package index, in memory,
// no store) in several variants of one build side by side: node orders
// (index.Graph.Reorder) and vector encodings (FP32, FP16, INT8 with exact
// rescoring). It builds the graph once on a prepared split (see
// bench/cmd/prepare), copies it per variant through the index codec, and
// sweeps ef with the variants interleaved: for each ef, each run, each
// variant one timed pass over the queries (one thread, one query per
// call), the fastest of -runs kept, so that a neighbour's load on a shared
// machine hits every variant alike. It writes a result document in the
// schema of package bench ("vecbolt-bench/1"), one curve per variant, for
// 'vecbolt bench plot' beside hnswlib's.
//
//	go run ./bench/cmd/quant -data bench/out/synthetic-200000x128-l2 \
//	    -variants none,none/bfs,int8/bfs -o quant.json
//
// A variant is ENCODING[/ORDER][@OVERSAMPLE]: encoding none (FP32), fp16
// or int8; order none, bfs, rcm or gorder (index.Graph.Reorder, which also
// moves the graph onto transparent huge pages on Linux: "none" measures
// that alone; no ORDER keeps the graph as built; a suffix +4k reorders onto
// default pages, VECBOLT_HUGEPAGES=off); oversample the rescoring factor of
// an encoded graph (default index.DefaultOversample). Copies are made
// through index.Restore, which advises the level-0 lists onto huge pages
// (as an open does) but not the vectors. -insert shuffle
// inserts the base rows in a seeded random order instead of file order
// (the insertion-order study); results are reported as base rows either
// way.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/index"
)

type config struct {
	data, out, variants, insert, efs, commit string
	m, efc, threads, runs, k                 int
	seed                                     int64
	graphSeed                                int64
	cpuProfile                               string
	bestOf                                   bool
	clock                                    string
	waitFile                                 string
}

func main() {
	var c config
	flag.StringVar(&c.data, "data", "bench/out/synthetic-200000x128-l2", "directory written by bench/cmd/prepare")
	flag.StringVar(&c.out, "o", "", "result file (.json or .csv; default: none, the table only)")
	flag.StringVar(&c.variants, "variants", "none,none/bfs", "comma-separated ENCODING[/ORDER][@OVERSAMPLE]")
	flag.StringVar(&c.insert, "insert", "file", "insertion order of the base rows: file or shuffle")
	flag.Int64Var(&c.seed, "seed", 1, "seed of -insert shuffle")
	flag.Int64Var(&c.graphSeed, "graph-seed", 0, "seed of the graph's level generator")
	flag.StringVar(&c.efs, "efs", "16,24,32,48,64,96,128,192,256,384", "ef sweep")
	flag.IntVar(&c.m, "M", 16, "HNSW M")
	flag.IntVar(&c.efc, "efc", 200, "HNSW efConstruction")
	flag.IntVar(&c.threads, "threads", 2, "build threads")
	flag.IntVar(&c.runs, "runs", 3, "timed passes per ef and variant; the fastest is reported")
	flag.IntVar(&c.k, "k", 10, "neighbours per query and recall depth")
	flag.StringVar(&c.commit, "commit", "", "vecbolt commit to record (default: the binary's VCS stamp)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the sweep (not the build) to this file")
	flag.StringVar(&c.clock, "clock", "wall", "what a pass's time is: wall (QPS as published) or thread (the sweeping thread's CPU time, for A/B comparisons on a loaded machine; Linux)")
	flag.StringVar(&c.waitFile, "wait-file", "", "build and prepare, then wait until this file exists before sweeping (to build at low priority ahead of a measuring slot)")
	flag.BoolVar(&c.bestOf, "best-of", false, "merge the result files given as arguments (repeated sweeps of one index) into -o, keeping the fastest pass per ef")
	flag.Parse()
	if c.bestOf {
		if err := bestOf(flag.Args(), c.out); err != nil {
			fmt.Fprintln(os.Stderr, "quant:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "quant:", err)
		os.Exit(1)
	}
}

// variant is one curve: a copy of the built graph, reordered and encoded.
type variant struct {
	enc        string
	order      index.Order
	reorder    bool // Reorder(order) was asked for (ORDER given, "none" included)
	small      bool // Reorder onto default (4 KiB) pages: VECBOLT_HUGEPAGES=off
	oversample float64
	label      string

	g          *index.Graph
	rowOf      []int // graph id -> base row
	heap       int64 // Go heap after preparing this variant, minus the one before
	buildSec   float64
	buildDists uint64
	prep       float64
	exact      index.ExactSource // exact vectors for rescoring; nil: none (FP32)

	best    []float64 // per ef: fastest pass, seconds
	lat     [][]float64
	recall  []float64
	dists   []float64
	results [][]int
}

func parseVariant(s string) (*variant, error) {
	v := &variant{enc: "none"}
	s = strings.TrimSpace(s)
	if a, ok := strings.CutSuffix(s, "+4k"); ok {
		v.small, s = true, a
	}
	if a, b, ok := strings.Cut(s, "@"); ok {
		f, err := strconv.ParseFloat(b, 64)
		if err != nil || f < 1 {
			return nil, fmt.Errorf("variant %q: oversample %q, want a number >= 1", s, b)
		}
		v.oversample, s = f, a
	}
	enc, ord, _ := strings.Cut(s, "/")
	switch enc {
	case "none", "fp32", "":
		v.enc = "none"
	case "fp16", "int8":
		v.enc = enc
	default:
		return nil, fmt.Errorf("variant %q: encoding %q, want none, fp16 or int8", s, enc)
	}
	if ord != "" {
		o, err := index.ParseOrder(ord)
		if err != nil {
			return nil, fmt.Errorf("variant %q: %w", s, err)
		}
		v.order, v.reorder = o, true
	}
	return v, nil
}

func (v *variant) name() string {
	enc := map[string]string{"none": "fp32", "fp16": "fp16", "int8": "int8"}[v.enc]
	s := enc
	if v.reorder {
		s += " order=" + v.order.String()
		if v.small {
			s += " 4k-pages"
		}
	}
	if v.enc != "none" && v.oversample > 0 {
		s += fmt.Sprintf(" oversample=%g", v.oversample)
	}
	return s
}

func run(ctx context.Context, c config) error {
	var vs []*variant
	for _, s := range strings.Split(c.variants, ",") {
		v, err := parseVariant(s)
		if err != nil {
			return err
		}
		vs = append(vs, v)
	}
	for _, mode := range strings.Split(c.insert, ",") {
		if mode != "file" && mode != "shuffle" {
			return fmt.Errorf("-insert %q: want file, shuffle or both (file,shuffle)", mode)
		}
	}
	if c.clock == "" {
		c.clock = "wall"
	}
	if c.clock != "wall" && c.clock != "thread" {
		return fmt.Errorf("-clock %q: want wall or thread", c.clock)
	}
	if _, ok := threadCPU(); c.clock == "thread" && !ok {
		return fmt.Errorf("-clock thread: no thread CPU clock on this system")
	}
	var efs []int
	for _, s := range strings.Split(c.efs, ",") {
		ef, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || ef <= 0 {
			return fmt.Errorf("-efs: %q is not a positive integer", s)
		}
		efs = append(efs, ef)
	}
	var meta struct {
		Dataset string `json:"dataset"`
		Metric  string `json:"metric"`
	}
	b, err := os.ReadFile(filepath.Join(c.data, "meta.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return fmt.Errorf("%s/meta.json: %w", c.data, err)
	}
	metric, err := bench.ParseMetric(meta.Metric)
	if err != nil {
		return err
	}
	base, err := bench.ReadFvecs(filepath.Join(c.data, "base.fvecs"))
	if err != nil {
		return err
	}
	queries, err := bench.ReadFvecs(filepath.Join(c.data, "queries.fvecs"))
	if err != nil {
		return err
	}
	truth, err := bench.ReadIvecs(filepath.Join(c.data, "truth.ivecs"))
	if err != nil {
		return err
	}
	if metric == bench.Cosine {
		base, queries = bench.Normalize(base), bench.Normalize(queries)
	}
	im, err := index.ParseMetric(string(metric))
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s quant: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}

	// One build per insertion order, copied per variant.
	var all []*variant
	for _, mode := range strings.Split(c.insert, ",") {
		built, err := buildVariants(ctx, c, mode, vs, base, im, meta.Dataset, logf)
		if err != nil {
			return err
		}
		all = append(all, built...)
	}
	vs = all
	runtime.GC()
	debug.FreeOSMemory()

	if c.waitFile != "" {
		logf("ready; waiting for %s before sweeping", c.waitFile)
		for {
			if _, err := os.Stat(c.waitFile); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
		logf("sweeping (load average %s)", loadAverage())
	}

	// The interleaved sweep.
	nq := queries.Rows
	for _, v := range vs {
		v.best = make([]float64, len(efs))
		v.lat = make([][]float64, len(efs))
		v.recall = make([]float64, len(efs))
		v.dists = make([]float64, len(efs))
		v.results = make([][]int, nq)
	}
	lat := make([]float64, nq)
	dst := make([]index.Neighbor, 0, c.k)
	now := func() int64 { return time.Now().UnixNano() }
	if c.clock == "thread" {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		now = func() int64 { t, _ := threadCPU(); return t }
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	for ei, ef := range efs {
		for r := 0; r < c.runs; r++ {
			for _, v := range vs {
				d0 := v.g.DistanceComputations()
				start := now()
				for q := 0; q < nq; q++ {
					s := now()
					dst = v.search(dst, queries.Row(q), c.k, ef)
					if r == 0 {
						res := make([]int, len(dst))
						for j, n := range dst {
							res[j] = v.rowOf[n.ID]
						}
						v.results[q] = res
					}
					lat[q] = float64(now()-s) / 1e3
				}
				sec := float64(now()-start) / 1e9
				if r == 0 {
					v.dists[ei] = float64(v.g.DistanceComputations()-d0) / float64(nq)
					if v.recall[ei], err = bench.Recall(truth, v.results, c.k); err != nil {
						return err
					}
				}
				if r == 0 || sec < v.best[ei] {
					v.best[ei] = sec
					v.lat[ei] = slices.Clone(lat)
				}
			}
		}
		line := fmt.Sprintf("ef %4d", ef)
		for _, v := range vs {
			line += fmt.Sprintf(" | %s %.4f %6.0f", v.label, v.recall[ei], float64(nq)/v.best[ei])
		}
		logf("%s", line)
	}

	// Encoded variants against FP32 on the same graph and order: recall at
	// equal ef.
	for _, v := range vs {
		for _, ref := range vs {
			if ref.enc != "none" || v.enc == "none" || ref.order != v.order || ref.reorder != v.reorder || ref.small != v.small {
				continue
			}
			worst, at := 0.0, efs[0]
			for ei := range efs {
				if d := v.recall[ei] - ref.recall[ei]; math.Abs(d) > math.Abs(worst) {
					worst, at = d, efs[ei]
				}
			}
			logf("%s vs %s: recall at equal ef differs by %+.4f at most (ef %d)", v.label, ref.label, worst, at)
			break
		}
	}

	commit := c.commit
	if commit == "" {
		commit = bench.VCSRevision()
	}
	var out []bench.Row
	for _, v := range vs {
		for ei, ef := range efs {
			l := slices.Clone(v.lat[ei])
			slices.Sort(l)
			out = append(out, bench.Row{System: "vecbolt-index", Commit: commit, Config: v.label, Dataset: meta.Dataset,
				Metric: metric, N: base.Rows, Dim: base.Dim, Queries: nq, K: c.k, M: c.m, EfConstruction: c.efc, Ef: ef,
				Recall: v.recall[ei], QPSSingle: float64(nq) / v.best[ei], Runs: c.runs,
				P50Micros: pct(l, 50), P95Micros: pct(l, 95), P99Micros: pct(l, 99),
				BuildSeconds: v.buildSec, BuildThreads: c.threads, DistancesPerQuery: v.dists[ei], HeapAfterBuild: v.heap})
		}
	}
	doc := bench.NewDocument(bench.CollectMachine(commit), out...)
	doc.Notes = []string{
		"vecbolt-index: package index's graph alone, in memory (no store, no keys): one build, copied per variant through the index codec; variants measured interleaved per ef (each run, each variant one pass), fastest of the runs",
		"heap_bytes_after_build: Go heap growth from preparing the variant (its copy of the graph, reordered and encoded), after a GC",
		"build_seconds: the AddBatch build the variants of one insertion order share",
	}
	noted := map[float64]bool{}
	for _, v := range vs {
		if !noted[v.buildSec] {
			noted[v.buildSec] = true
			doc.Notes = append(doc.Notes, fmt.Sprintf("the build of %s computed %d distances (%.0f per insert)", v.label, v.buildDists, float64(v.buildDists)/float64(base.Rows)))
		}
	}
	if c.clock == "thread" {
		doc.Notes = append(doc.Notes, "qps_single and latencies from the sweeping thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall clock: for comparisons on a loaded machine, only with results timed the same way")
	}
	if c.out != "" {
		if err := doc.WriteFile(c.out); err != nil {
			return err
		}
		logf("wrote %s", c.out)
	}
	return nil
}

// pct is the p-th percentile of sorted xs, nearest rank.
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	r := int(float64(len(xs))*p/100+0.999999) - 1
	return xs[max(0, min(r, len(xs)-1))]
}

// cloneGraph copies g through the index codec (MarshalMeta, MarshalNode,
// Restore): the same graph, ids and vectors.
func cloneGraph(g *index.Graph) (*index.Graph, error) {
	r, err := index.Restore(g.Dim(), g.Metric(), g.Options(), g.MarshalMeta(), g.MaxID())
	if err != nil {
		return nil, err
	}
	var buf []byte
	for id := uint32(0); id < g.MaxID(); id++ {
		buf = g.MarshalNode(id, buf[:0])
		if buf == nil {
			continue
		}
		if err := r.Node(id, g.Vector(id), buf); err != nil {
			return nil, err
		}
	}
	return r.Finish()
}

// prepare reorders and encodes v's graph, remapping rowOf.
func prepare(v *variant, base *bench.Matrix) error {
	if v.reorder {
		if v.small {
			os.Setenv("VECBOLT_HUGEPAGES", "off")
		}
		perm, err := v.g.Reorder(v.order)
		os.Unsetenv("VECBOLT_HUGEPAGES")
		if err != nil {
			return err
		}
		rowOf := make([]int, v.g.MaxID())
		for old, nu := range perm {
			if nu != index.NoID {
				rowOf[nu] = v.rowOf[old]
			}
		}
		v.rowOf = rowOf
	}
	return encode(v, base)
}

// hugePagesInUse returns the process's AnonHugePages from
// /proc/self/smaps_rollup ("?" where it cannot be read).
func hugePagesInUse() string {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// buildVariants builds the graph once with the base rows inserted in
// order mode (file or shuffle), then makes one prepared copy per template
// in vs.
func buildVariants(ctx context.Context, c config, mode string, vs []*variant, base *bench.Matrix, im index.Metric, dataset string, logf func(string, ...any)) ([]*variant, error) {
	rows := make([]int, base.Rows) // insertion position -> base row
	for i := range rows {
		rows[i] = i
	}
	insertLabel := ""
	if c.graphSeed != 0 {
		insertLabel = fmt.Sprintf(" graph-seed=%d", c.graphSeed)
	}
	if mode == "shuffle" {
		rand.New(rand.NewSource(c.seed)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		insertLabel += fmt.Sprintf(" insert=shuffle(%d)", c.seed)
	}
	g, err := index.New(base.Dim, im, index.Options{M: c.m, EfConstruction: c.efc, Seed: c.graphSeed})
	if err != nil {
		return nil, err
	}
	vecs := make([][]float32, base.Rows)
	for i, r := range rows {
		vecs[i] = base.Row(r)
	}
	logf("%s: building %d×%d %s, M=%d efC=%d, %d threads, insert %s", dataset, base.Rows, base.Dim, im, c.m, c.efc, c.threads, mode)
	t0 := time.Now()
	g.Reserve(base.Rows)
	ids, err := g.AddBatch(ctx, vecs, c.threads, nil)
	if err != nil {
		return nil, err
	}
	buildSec := time.Since(t0).Seconds()
	buildDists := g.DistanceComputations()
	logf("built in %.2f s, %d distance computations (%.0f per insert)", buildSec, buildDists, float64(buildDists)/float64(base.Rows))
	rowOf := make([]int, g.MaxID())
	for i, id := range ids {
		rowOf[id] = rows[i]
	}
	var out []*variant
	for _, tmpl := range vs {
		v := &variant{enc: tmpl.enc, order: tmpl.order, reorder: tmpl.reorder, small: tmpl.small, oversample: tmpl.oversample,
			buildSec: buildSec, buildDists: buildDists}
		runtime.GC()
		heap0 := bench.HeapInUse()
		t := time.Now()
		vg, err := cloneGraph(g)
		if err != nil {
			return nil, err
		}
		v.g, v.rowOf = vg, slices.Clone(rowOf)
		if err := prepare(v, base); err != nil {
			return nil, err
		}
		v.prep = time.Since(t).Seconds()
		runtime.GC()
		v.heap = bench.HeapInUse() - heap0
		v.label = v.name() + insertLabel
		logf("%s ready in %.2f s (heap +%.1f MiB; process AnonHugePages %s)", v.label, v.prep, float64(v.heap)/(1<<20), hugePagesInUse())
		out = append(out, v)
	}
	return out, nil
}

// loadAverage returns the first three fields of /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
