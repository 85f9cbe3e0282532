package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/format"
)

// benchOptions are the flags of vecbolt bench.
type benchOptions struct {
	*globalOptions

	// One of three inputs: files (Base, Queries, optional Truth), a file in
	// an import format split with HoldOut (Dataset), or synthetic data.
	Base, Queries, Truth string
	Dataset, Format      string
	Synthetic            string // "N,DIM"
	Holdout              int
	Seed                 uint64
	Name                 string

	Metric            string
	M, EfConstruction int
	Quantize          string
	Order             string // --order: query.StageOptions.Order of the build
	Oversample        float64
	Efs               []int
	K                 int
	Threads           int
	SearchThreads     int
	Runs              int
	Inserts           int
	Import            bool

	Out     []string
	WorkDir string
	KeepDB  bool
	Commit  string
}

func newBenchCommand(g *globalOptions) *cobra.Command {
	opts := &benchOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "bench (--base B --queries Q [--truth T] | --dataset FILE | --synthetic N,DIM) [flags]",
		Short: "Measure recall, speed, build, open and memory, ann-benchmarks style",
		Long: `Measure vecbolt the way ann-benchmarks measures: build a database on disk from
the base vectors, then for every ef of the sweep search every query once on one
thread, one query per call (recall@k against exact ground truth, queries per
second, latency percentiles), and once more spread over --search-threads
threads. Each figure is the fastest of --runs passes.

Also measured: the build (staged, as 'vecbolt import' builds a new collection:
one UpsertBatch on --threads cores, then the commit, which renumbers the graph
for locality as --order says), single-record inserts, the end-to-end import of the input file into a
new database (as 'vecbolt import' does it), the open of the finished database
and a first query in a fresh process, resident memory, the file size and the
distance computations per query.

Inputs:
  --base B --queries Q [--truth T]   fvecs, bvecs or .npy files; without --truth the
                                     exact top-100 is computed and cached beside B
  --dataset FILE                     any import format (GloVe text, word2vec, fvecs,
                                     jsonl, csv); --holdout rows are removed as queries
  --synthetic N,DIM                  seeded clustered Gaussian data, N base rows plus
                                     --holdout queries

Results go to --out (.json or .csv, by extension; repeatable) in the schema of
package bench, and a table to standard output. See docs/benchmarks.md.`,
		Example: `  vecbolt bench --base base.fvecs --queries queries.fvecs --truth truth.ivecs \
      --metric cosine --m 16 --ef-construction 200 --ef 10,16,24,32,48,64,96,128,192,256,384,512 \
      --out results.json
  vecbolt bench --dataset glove.6B.100d.txt.gz --holdout 1000 --seed 42 --out glove.json
  vecbolt bench --synthetic 200000,128 --metric l2 --threads 2 --out synth.json --out synth.csv
  vecbolt bench plot hnswlib.json faiss.json vecbolt.json --out curve.png --out curve.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Base, "base", "", "base vectors (.fvecs, .bvecs or .npy)")
	fs.StringVar(&opts.Queries, "queries", "", "query vectors (.fvecs, .bvecs or .npy), with --base")
	fs.StringVar(&opts.Truth, "truth", "", "exact neighbours of each query as base rows (.ivecs); default: computed and cached beside --base")
	fs.StringVar(&opts.Dataset, "dataset", "", "a file in any import format; --holdout rows become the queries")
	fs.StringVarP(&opts.Format, "format", "f", "", "format of --dataset (default: from the file name)")
	fs.StringVar(&opts.Synthetic, "synthetic", "", "N,DIM: seeded clustered Gaussian data")
	fs.IntVar(&opts.Holdout, "holdout", 1000, "queries held out of --dataset or --synthetic")
	fs.Uint64Var(&opts.Seed, "seed", 42, "seed of the held-out sample and the synthetic data")
	fs.StringVar(&opts.Name, "name", "", "data set name in the results (default: from meta.json beside --base, or the file name)")
	fs.StringVar(&opts.Metric, "metric", "cosine", "distance: cosine, dot or l2")
	fs.IntVar(&opts.M, "m", 16, "HNSW links per node (M)")
	fs.IntVar(&opts.EfConstruction, "ef-construction", 200, "HNSW build beam width")
	fs.StringVar(&opts.Quantize, "quantize", "none", "vectors in memory: none (float32), fp16 or int8 (searches re-rank with the exact vectors); each encoding is its own curve in 'bench plot'")
	fs.StringVar(&opts.Order, "order", "", "renumber the built graph for search speed, as import does: none, bfs, rcm or gorder (default: import's: from 50,000 records rcm in float32, gorder in int8, else none)")
	fs.Float64Var(&opts.Oversample, "oversample", 0, fmt.Sprintf("re-rank ceil(k×oversample) candidates on a quantized collection (0: the default, %g)", index.DefaultOversample))
	fs.IntSliceVar(&opts.Efs, "ef", bench.DefaultEfs, "search ef sweep")
	fs.IntVarP(&opts.K, "k", "k", 10, "neighbours per query and recall depth (at most the truth's depth, 100 when computed)")
	fs.IntVar(&opts.Threads, "threads", runtime.NumCPU(), "build threads")
	fs.IntVar(&opts.SearchThreads, "search-threads", runtime.NumCPU(), "threads of the multi-thread search pass (1 skips it)")
	fs.IntVar(&opts.Runs, "runs", 3, "timed passes per figure; the fastest is reported")
	fs.IntVar(&opts.Inserts, "inserts", 1000, "single-record inserts to time, at most 5 s (0 skips)")
	fs.BoolVar(&opts.Import, "import", true, "also time importing the input file into a new database (fvecs --base or --dataset)")
	fs.StringSliceVarP(&opts.Out, "out", "o", nil, "result file, .json or .csv (repeatable)")
	fs.StringVar(&opts.WorkDir, "work-dir", "", "directory for the benchmark's databases (default: the system's temporary directory)")
	fs.BoolVar(&opts.KeepDB, "keep-db", false, "keep the benchmark's databases (printed at the end)")
	fs.StringVar(&opts.Commit, "commit", "", "vecbolt commit to record (default: the binary's VCS stamp)")
	_ = cmd.RegisterFlagCompletionFunc("metric", completeValues("cosine", "dot", "l2"))
	_ = cmd.RegisterFlagCompletionFunc("quantize", completeValues("none", "fp16", "int8"))
	_ = cmd.RegisterFlagCompletionFunc("format", completeValues(formatNames...))
	cmd.MarkFlagsMutuallyExclusive("base", "dataset", "synthetic")
	cmd.AddCommand(newBenchPlotCommand(g), newBenchProbeCommand(g), newBenchWritesCommand(g))
	return cmd
}

// benchData is the loaded input of a benchmark.
type benchData struct {
	ds         bench.Dataset
	importFile string // the input file when it is in an import format
	importFmt  string
}

func runBench(ctx context.Context, opts *benchOptions, out io.Writer) (err error) {
	metric, err := bench.ParseMetric(opts.Metric)
	if err != nil {
		return usageErr(fmt.Errorf("--metric: %w", err))
	}
	if err := opts.check(); err != nil {
		return err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(opts.stderr, "bench: "+format+"\n", args...) }
	data, err := opts.load(ctx, metric, logf)
	if err != nil {
		return err
	}
	ds := data.ds
	if opts.K > ds.Truth.K {
		return usageErr(fmt.Errorf("-k %d is deeper than the ground truth (%d neighbours per query)", opts.K, ds.Truth.K))
	}
	logf("%s: %d base vectors, %d queries, dim %d, %s, truth top-%d", ds.Name, ds.Base.Rows, ds.Queries.Rows, ds.Base.Dim, ds.Metric, ds.Truth.K)

	dir, err := os.MkdirTemp(opts.WorkDir, "vecbolt-bench-")
	if err != nil {
		return err
	}
	if opts.KeepDB {
		defer logf("databases kept in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	// Build and sweep.
	buildBar := newCountBar(opts.progress, opts.stderr, ds.Base.Rows, "building")
	sys := bench.NewVecbolt(bench.VecboltOptions{Path: filepath.Join(dir, "bench.db"), Metric: metric,
		M: opts.M, EfConstruction: opts.EfConstruction, Quantize: opts.Quantize, Oversample: opts.Oversample,
		Order: opts.Order, Progress: barProgress(buildBar)})
	defer sys.Close()
	var (
		sweepBar *progressbar.ProgressBar
		swept    bool
	)
	afterEf := func(r bench.Row) {
		if !swept {
			swept = true
			finishBar(buildBar)
			logf("built in %.2f s on %d threads", r.BuildSeconds, r.BuildThreads)
			sweepBar = newStepBar(opts.progress, opts.stderr, len(opts.Efs))
		}
		if sweepBar != nil {
			sweepBar.Describe(fmt.Sprintf("ef %-4d recall %.4f", r.Ef, r.Recall))
			_ = sweepBar.Add(1)
		} else {
			logf("ef %4d: recall %.4f, %.0f QPS, p50 %.1f µs", r.Ef, r.Recall, r.QPSSingle, r.P50Micros)
		}
	}
	if !opts.progress {
		logf("building (%d threads)", opts.Threads)
	}
	commit := opts.Commit
	if commit == "" {
		commit = bench.VCSRevision()
	}
	rows, err := bench.Run(ctx, sys, ds, bench.RunOptions{K: opts.K, Efs: opts.Efs, BuildThreads: opts.Threads,
		SearchThreads: opts.SearchThreads, Runs: opts.Runs, AfterEf: afterEf,
		Template: bench.Row{System: "vecbolt", Commit: commit, M: opts.M, EfConstruction: opts.EfConstruction, Config: opts.config()}})
	finishBar(buildBar)
	finishBar(sweepBar)
	if err != nil {
		return err
	}

	// Single-record inserts, then the open in a fresh process.
	var insertRate float64
	if opts.Inserts > 0 {
		if insertRate, err = sys.MeasureInserts(ctx, ds.Queries, opts.Inserts, 5*time.Second); err != nil {
			return err
		}
	}
	if err := sys.Close(); err != nil {
		return err
	}
	probe, err := probeOpen(ctx, sys.Path(), sys.Collection(), ds.Queries.Row(0), opts.K, opts.Efs[0])
	if err != nil {
		return fmt.Errorf("open in a fresh process: %w", err)
	}
	logf("opened with a first query in %.3f s (fresh process), RSS %.1f MiB", probe.OpenSeconds, float64(probe.RSS)/(1<<20))

	// The import of the input file, as 'vecbolt import' runs it.
	var importSec float64
	if opts.Import && data.importFile != "" {
		if importSec, err = opts.timeImport(ctx, data, filepath.Join(dir, "import.db"), logf); err != nil {
			return err
		}
		logf("imported %s in %.2f s", data.importFile, importSec)
	}

	for i := range rows {
		rows[i].OpenSeconds, rows[i].RSSAfterOpen, rows[i].HeapAfterOpen = probe.OpenSeconds, probe.RSS, probe.Heap
		rows[i].ImportSeconds = importSec
		rows[i].InsertsPerSecond = insertRate
	}
	doc := bench.NewDocument(bench.CollectMachine(commit), rows...)
	doc.Notes = benchNotes(opts, data)
	for _, path := range opts.Out {
		if err := doc.WriteFile(path); err != nil {
			return err
		}
	}
	return writeBenchTable(out, rows)
}

// config labels the curve: the encoding when it is not float32, and the
// oversampling when it is not the default, so that each is its own curve
// in 'bench plot'.
func (opts *benchOptions) config() string {
	var parts []string
	if q := opts.Quantize; q != "" && q != "none" && q != "fp32" {
		parts = append(parts, "quantize="+q)
		if opts.Oversample > 0 {
			parts = append(parts, fmt.Sprintf("oversample=%g", opts.Oversample))
		}
	}
	if opts.Order != query.OrderAuto {
		parts = append(parts, "order="+opts.Order)
	}
	return strings.Join(parts, " ")
}

// check validates the flags that do not need the data.
func (opts *benchOptions) check() error {
	n := 0
	for _, s := range []string{opts.Base, opts.Dataset, opts.Synthetic} {
		if s != "" {
			n++
		}
	}
	switch {
	case n != 1:
		return usageErr(errors.New("give one input: --base with --queries, --dataset, or --synthetic"))
	case opts.Base != "" && opts.Queries == "":
		return usageErr(errors.New("--base needs --queries"))
	case opts.Base == "" && (opts.Queries != "" || opts.Truth != ""):
		return usageErr(errors.New("--queries and --truth go with --base"))
	case opts.K <= 0:
		return usageErr(fmt.Errorf("-k must be positive, got %d", opts.K))
	case opts.M <= 0 || opts.EfConstruction <= 0:
		return usageErr(fmt.Errorf("--m and --ef-construction must be positive, got %d and %d", opts.M, opts.EfConstruction))
	case len(opts.Efs) == 0:
		return usageErr(errors.New("--ef needs at least one value"))
	case opts.Runs <= 0:
		return usageErr(fmt.Errorf("--runs must be positive, got %d", opts.Runs))
	case !slices.Contains([]string{"", "none", "fp32", "fp16", "int8"}, opts.Quantize):
		return usageErr(fmt.Errorf("--quantize %q: want none, fp16 or int8", opts.Quantize))
	case query.ValidateOrder(opts.Order) != nil:
		return usageErr(query.ValidateOrder(opts.Order))
	case opts.Oversample < 0 || math.IsNaN(opts.Oversample) || math.IsInf(opts.Oversample, 0):
		return usageErr(fmt.Errorf("--oversample must be 0 (the default) or a positive number, got %v", opts.Oversample))
	case opts.Threads < 0 || opts.SearchThreads < 0 || opts.Inserts < 0:
		return usageErr(errors.New("--threads, --search-threads and --inserts must not be negative"))
	case opts.Base == "" && opts.Holdout <= 0:
		return usageErr(fmt.Errorf("--holdout must be positive, got %d", opts.Holdout))
	}
	for _, ef := range opts.Efs {
		if ef <= 0 {
			return usageErr(fmt.Errorf("--ef values must be positive, got %d", ef))
		}
	}
	for _, o := range opts.Out {
		if !strings.HasSuffix(o, ".json") && !strings.HasSuffix(o, ".csv") {
			return usageErr(fmt.Errorf("--out %s: want a .json or .csv file", o))
		}
	}
	return checkOutputs(opts.Out, opts.WorkDir)
}

// checkOutputs checks, before a long run, that every file in outs can be
// written (an existing one is replaced) and that workDir, when given, is a
// writable directory, so that no result is lost at the end.
func checkOutputs(outs []string, workDir string) error {
	for _, o := range outs {
		dest, err := resolveOutput(o, "", true)
		if err != nil {
			return err
		}
		if !dest.special {
			if err := probeDir(filepath.Dir(dest.path)); err != nil {
				return fmt.Errorf("--out %s: %w", o, err)
			}
		}
	}
	if workDir != "" {
		if fi, err := os.Stat(workDir); err != nil {
			return pathError("--work-dir "+workDir, err)
		} else if !fi.IsDir() {
			return usageErr(fmt.Errorf("--work-dir %s is not a directory", workDir))
		}
		if err := probeDir(workDir); err != nil {
			return fmt.Errorf("--work-dir %s: %w", workDir, err)
		}
	}
	return nil
}

// probeDir checks that a file can be created in dir.
func probeDir(dir string) error {
	f, err := os.CreateTemp(dir, ".vecbolt-probe-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return &hintError{msg: fmt.Sprintf("cannot write in %s: %v", dir, pe.Err), err: err}
		}
		return err
	}
	_ = f.Close()
	return os.Remove(f.Name())
}

// load reads or generates the data set and its ground truth.
func (opts *benchOptions) load(ctx context.Context, metric bench.Metric, logf func(string, ...any)) (*benchData, error) {
	d := &benchData{ds: bench.Dataset{Name: opts.Name, Metric: metric}}
	var truthCache string // where a computed truth is cached; "" = not cached
	switch {
	case opts.Base != "":
		base, err := bench.ReadMatrix(opts.Base)
		if err != nil {
			return nil, benchInputErr(err)
		}
		queries, err := bench.ReadMatrix(opts.Queries)
		if err != nil {
			return nil, benchInputErr(err)
		}
		if base.Dim != queries.Dim {
			return nil, invalidErr(fmt.Errorf("%s has dimension %d but %s has %d", opts.Base, base.Dim, opts.Queries, queries.Dim))
		}
		d.ds.Base, d.ds.Queries = base, queries
		if d.ds.Name == "" {
			d.ds.Name = datasetName(opts.Base)
		}
		if strings.EqualFold(filepath.Ext(opts.Base), ".fvecs") {
			d.importFile, d.importFmt = opts.Base, "fvecs"
		}
		if opts.Truth != "" {
			ids, err := bench.ReadIvecs(opts.Truth)
			if err != nil {
				return nil, benchInputErr(err)
			}
			if err := checkTruth(ids, base.Rows, queries.Rows, opts.Truth, opts.Queries); err != nil {
				return nil, err
			}
			d.ds.Truth = &bench.Truth{Metric: metric, K: ids.Dim, IDs: ids}
			return d, nil
		}
		stem := strings.TrimSuffix(opts.Base, filepath.Ext(opts.Base))
		truthCache = stem + ".truth-" + string(metric) + ".ivecs"
	case opts.Dataset != "":
		m, err := readDataset(ctx, opts.Dataset, opts.Format)
		if err != nil {
			return nil, err
		}
		split, err := bench.HoldOut(m, opts.Holdout, opts.Seed)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--holdout: %w", err))
		}
		d.ds.Base, d.ds.Queries = split.Base, split.Queries
		if d.ds.Name == "" {
			d.ds.Name = datasetName(opts.Dataset)
		}
		d.importFile, d.importFmt = opts.Dataset, opts.Format
		truthCache = fmt.Sprintf("%s.holdout-%d-%d.truth-%s.ivecs", opts.Dataset, opts.Holdout, opts.Seed, metric)
	default:
		n, dim, err := parseSynthetic(opts.Synthetic)
		if err != nil {
			return nil, err
		}
		m, err := bench.Synthetic(bench.SynthOptions{N: n + opts.Holdout, Dim: dim, Seed: opts.Seed})
		if err != nil {
			return nil, usageErr(err)
		}
		split, err := bench.HoldOut(m, opts.Holdout, opts.Seed)
		if err != nil {
			return nil, usageErr(err)
		}
		d.ds.Base, d.ds.Queries = split.Base, split.Queries
		if d.ds.Name == "" {
			d.ds.Name = fmt.Sprintf("synthetic-%dx%d-seed%d", n, dim, opts.Seed)
		}
	}
	t0 := time.Now()
	if truthCache != "" && !writableDir(filepath.Dir(truthCache)) {
		logf("%s is not writable: the ground truth is computed and not cached", filepath.Dir(truthCache))
		truthCache = ""
	}
	var (
		tr  *bench.Truth
		hit bool
		err error
	)
	if truthCache != "" {
		tr, hit, err = bench.CachedGroundTruth(ctx, truthCache, d.ds.Base, d.ds.Queries, metric, bench.DefaultK, 0)
	} else {
		tr, err = bench.GroundTruth(ctx, d.ds.Base, d.ds.Queries, metric, bench.DefaultK, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("ground truth: %w", err)
	}
	switch {
	case hit:
		logf("ground truth from the cache %s", truthCache)
	case truthCache != "":
		logf("ground truth computed in %.1f s, cached in %s", time.Since(t0).Seconds(), truthCache)
	default:
		logf("ground truth computed in %.1f s", time.Since(t0).Seconds())
	}
	d.ds.Truth = tr
	return d, nil
}

// checkTruth checks that a truth file fits the queries and the base.
func checkTruth(ids *bench.IntMatrix, baseRows, queryRows int, truthFile, queryFile string) error {
	if ids.Rows != queryRows {
		return invalidErr(fmt.Errorf("%s has %d rows but %s has %d queries", truthFile, ids.Rows, queryFile, queryRows))
	}
	for i, id := range ids.Data {
		if id < 0 || int(id) >= baseRows {
			return invalidErr(fmt.Errorf("%s: query %d lists base row %d, outside the %d base rows", truthFile, i/ids.Dim, id, baseRows))
		}
	}
	return nil
}

// benchInputErr gives a reader error of package bench its exit code.
func benchInputErr(err error) error {
	switch {
	case errors.Is(err, bench.ErrUnknownFormat):
		return usageErr(err)
	case errors.Is(err, bench.ErrTruncated), errors.Is(err, bench.ErrMalformed), errors.Is(err, bench.ErrShape), errors.Is(err, bench.ErrEmpty):
		return invalidErr(err)
	}
	return err
}

// datasetName names a data set after the dataset field of a meta.json
// beside path (written by bench/cmd/prepare), else after path's file name.
func datasetName(path string) string {
	var meta struct {
		Dataset string `json:"dataset"`
	}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(path), "meta.json")); err == nil {
		if json.Unmarshal(b, &meta) == nil && meta.Dataset != "" {
			return meta.Dataset
		}
	}
	name := filepath.Base(path)
	for _, ext := range []string{".gz", filepath.Ext(strings.TrimSuffix(name, ".gz"))} {
		name = strings.TrimSuffix(name, ext)
	}
	return name
}

func parseSynthetic(s string) (n, dim int, err error) {
	a, b, ok := strings.Cut(s, ",")
	if ok {
		n, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			dim, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || n <= 0 || dim <= 0 {
		return 0, 0, usageErr(fmt.Errorf("--synthetic %q: want N,DIM with both positive, e.g. 200000,128", s))
	}
	return n, dim, nil
}

func writableDir(dir string) bool {
	f, err := os.CreateTemp(dir, ".vecbolt-bench-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// readDataset reads every record of a file in an import format into a
// matrix (keys dropped). A bad record stops it: the benchmark must not
// silently change its data.
func readDataset(ctx context.Context, path, formatName string) (*bench.Matrix, error) {
	f, err := resolveFormat(formatName, path, "reading")
	if err != nil {
		return nil, err
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	rd, err := format.NewReader(file, f, format.ReaderOptions{Name: path})
	if err != nil {
		return nil, invalidErr(err)
	}
	m := &bench.Matrix{}
	for {
		if m.Rows&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("--dataset: %w", err)
		}
		if m.Dim == 0 {
			m.Dim = len(rec.Vector)
		}
		m.Data = append(m.Data, rec.Vector...)
		m.Rows++
	}
	if m.Rows == 0 {
		return nil, invalidErr(fmt.Errorf("%s: no records", path))
	}
	return m, nil
}

// timeImport imports the input file into a new database at path exactly
// as 'vecbolt import' does (parse, validate, UpsertBatch, commit) and
// returns the wall clock from opening the file to the committed import.
func (opts *benchOptions) timeImport(ctx context.Context, d *benchData, path string, logf func(string, ...any)) (float64, error) {
	if !opts.progress {
		logf("importing %s into a new database", d.importFile)
	}
	g := &globalOptions{DB: path, Collection: "bench", LockTimeout: time.Second, stderr: opts.stderr, progress: opts.progress}
	iopts := &importOptions{globalOptions: g, File: d.importFile, Format: d.importFmt,
		indexFlags: indexFlags{Metric: string(d.ds.Metric), M: opts.M, EfConstruction: opts.EfConstruction, Ef: 64, Quantize: opts.Quantize}, Order: opts.Order}
	t0 := time.Now()
	if err := runImport(ctx, iopts, io.Discard); err != nil {
		return 0, fmt.Errorf("timing the import: %w", err)
	}
	return time.Since(t0).Seconds(), nil
}

func benchNotes(opts *benchOptions, d *benchData) []string {
	notes := []string{
		"vecbolt through package query on a database file with durable (fsync'd) commits; keys are the decimal row numbers and Search results are parsed back to rows, all inside the timed calls",
		"vector encoding in memory: " + quantizeNote(opts),
		fmt.Sprintf("build_seconds: the bulk build 'vecbolt import' makes: a staged collection, one UpsertBatch of all base rows (graph build on %d threads), and the commit that renumbers the graph (--order) and swaps it in; rss/heap_bytes_after_build include the benchmark's own copies of the base, queries and truth", opts.Threads),
		"distance_computations_per_query: vecbolt's graph counter (every distance evaluated on the search path, visited-set hits excluded); hnswlib's and FAISS's counters count differently",
		"open_seconds: a fresh process opens the database read-only, loads the collection (persisted graph, no rebuild) and answers one query; rss/heap_bytes_after_open are that process's",
	}
	if opts.Inserts > 0 {
		notes = append(notes, fmt.Sprintf("inserts_per_second: up to %d single-record Upsert calls (one durable commit each, at most 5 s) into the built collection", opts.Inserts))
	}
	if opts.Import && d.importFile != "" {
		notes = append(notes, "import_seconds: 'vecbolt import' of "+filepath.Base(d.importFile)+" into a new database: parse, validate, UpsertBatch on every core, commit")
	}
	if opts.Dataset != "" || opts.Synthetic != "" {
		notes = append(notes, fmt.Sprintf("queries: %d rows held out with bench.HoldOut, seed %d", opts.Holdout, opts.Seed))
	}
	return notes
}

func quantizeNote(opts *benchOptions) string {
	switch opts.Quantize {
	case "", "none", "fp32":
		return "none (float32)"
	}
	over := fmt.Sprintf("the default oversampling (%g)", index.DefaultOversample)
	if opts.Oversample > 0 {
		over = fmt.Sprintf("oversampling %g", opts.Oversample)
	}
	return fmt.Sprintf("%s codes; searches traverse the codes and re-rank ceil(k×oversample) candidates with the exact vectors from the file, %s", opts.Quantize, over)
}

// writeBenchTable prints the sweep and the build figures.
func writeBenchTable(out io.Writer, rows []bench.Row) error {
	if len(rows) == 0 {
		return nil
	}
	r0 := rows[0]
	config := ""
	if r0.Config != "" {
		config = "  " + r0.Config
	}
	fmt.Fprintf(out, "%s  %s  n=%d dim=%d queries=%d k=%d  M=%d efConstruction=%d%s  fastest of %d runs\n",
		r0.Dataset, r0.Metric, r0.N, r0.Dim, r0.Queries, r0.K, r0.M, r0.EfConstruction, config, r0.Runs)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	multi := "QPS ×" + strconv.Itoa(r0.Threads)
	if r0.Threads == 0 {
		multi = "QPS multi"
	}
	fmt.Fprintf(tw, "ef\trecall@%d\tQPS\t%s\tp50 µs\tp95 µs\tp99 µs\tdist/query\t\n", r0.K, multi)
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%.4f\t%.0f\t%s\t%.1f\t%.1f\t%.1f\t%.0f\t\n", r.Ef, r.Recall, r.QPSSingle, dashed(r.QPSMulti, "%.0f"),
			r.P50Micros, r.P95Micros, r.P99Micros, r.DistancesPerQuery)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "build %.2f s on %d threads (%.0f vectors/s); single inserts %s/s; import %s s; open + first query %.3f s\n",
		r0.BuildSeconds, r0.BuildThreads, float64(r0.N)/r0.BuildSeconds, dashed(r0.InsertsPerSecond, "%.0f"),
		dashed(r0.ImportSeconds, "%.2f"), r0.OpenSeconds)
	_, err := fmt.Fprintf(out, "file %.1f MiB (%.0f bytes/vector); RSS after build %.1f MiB, after open %.1f MiB; Go heap after open %.1f MiB\n",
		float64(r0.FileBytes)/(1<<20), r0.BytesPerVector, float64(r0.RSSAfterBuild)/(1<<20), float64(r0.RSSAfterOpen)/(1<<20),
		float64(r0.HeapAfterOpen)/(1<<20))
	return err
}

func dashed(v float64, f string) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf(f, v)
}

// newStepBar returns a bar over n steps drawn on w, or nil when show is
// false.
func newStepBar(show bool, w io.Writer, n int) *progressbar.ProgressBar {
	if !show {
		return nil
	}
	return progressbar.NewOptions(n,
		progressbar.OptionSetDescription("searching"),
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		progressbar.OptionSetRenderBlankState(true),
	)
}
