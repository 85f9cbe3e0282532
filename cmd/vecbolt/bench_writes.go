package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/bench"
)

// benchWritesExtra is the number of synthetic rows generated beyond N, for
// new keys and new vectors.
const benchWritesExtra = 20_000

// benchWritesOptions are the flags of vecbolt bench writes.
type benchWritesOptions struct {
	*globalOptions
	Synthetic         string // "N,DIM"
	Dataset, Format   string
	Seed              uint64
	Metric            string
	M, EfConstruction int
	Ops, Writers      int
	Budget            time.Duration
	Threads           int
	Out               string
	Freelist          bool
	Quality           int      // --quality K: the graph-quality mode
	Churn             float64  // fraction deleted and re-inserted in the quality mode
	Keep              bool     // keep the quality mode's databases beside --db
	Sweep             []string // --sweep A,B,...: sweep existing databases, interleaved
	Queries           int      // held-out queries of the quality mode and --sweep
	Controls          int      // extra fresh builds with other seeds in the quality mode
	collectionSet     bool     // --collection was given: the collection --sweep reads (else "bench")
	Efs               []int
	Runs              int
	Clock             string // --clock wall|thread for the quality mode's and --sweep's passes
	Phases            []string
}

func newBenchWritesCommand(g *globalOptions) *cobra.Command {
	opts := &benchWritesOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "writes (--synthetic N,DIM | --dataset FILE) [--db FILE] [flags]",
		Short: "Measure durable single writes and group commit against a collection of N records",
		Long: `Measure what single writes cost as a collection grows, side by side in one run:
the machine's ceiling (a raw bbolt loop of one-key durable commits in a scratch
file beside the database), then single-writer inserts of new keys, updates of
existing keys to new vectors, metadata-only changes (SetMetadata), re-upserts of
identical vectors, deletes, and inserts from --writers goroutines at once (group
commit). Every write is one call, durable when it returns. Reported per phase:
writes per second, bytes the process wrote per write (/proc/self/io), commits
and graph nodes written per write.

With --db naming a file that does not exist, the collection is built there
first and kept, so that a large collection (1M records) is built once and
measured again later; an existing file is reused. The records the benchmark
inserts are deleted again. Without --db the database lives in a temporary
directory and is removed.

--quality K instead compares the graph after K single inserts into the --db
collection (and after --churn) with a fresh bulk build of the same rows, and
--sweep A,B,... sweeps databases such a run kept (--keep) again, all open
read-only at once, their passes interleaved so that the machine's drift hits
them alike: recall@10, QPS and distance computations per ef, and at recall
0.95, each as a difference or ratio to the first database.`,
		Example: `  vecbolt bench writes --synthetic 100000,100 --db /tmp/w100k.db --ops 300
  vecbolt bench writes --synthetic 1000000,100 --db /tmp/w1m.db --writers 16 --out w1m.json
  vecbolt bench writes --dataset ../shared/data/glove-50k-100d.txt.gz --db /tmp/glove50k.db
  vecbolt bench writes --synthetic 100000,100 --db /tmp/w100k.db --quality 10000 --keep
  vecbolt bench writes --synthetic 100000,100 --quality 10000 --sweep /tmp/quality-fresh.db,/tmp/quality-single.db,/tmp/quality-incremental.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.collectionSet = cmd.Flags().Changed("collection")
			return runBenchWrites(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Synthetic, "synthetic", "", "N,DIM: seeded clustered Gaussian data")
	fs.StringVar(&opts.Dataset, "dataset", "", "a file in any import format")
	fs.StringVarP(&opts.Format, "format", "f", "", "format of --dataset (default: from the file name)")
	fs.Uint64Var(&opts.Seed, "seed", 42, "seed of the synthetic data and of the keys picked")
	fs.StringVar(&opts.Metric, "metric", "cosine", "distance of a collection the benchmark builds: cosine, dot or l2")
	fs.IntVar(&opts.M, "m", 16, "HNSW links per node (M) of a collection the benchmark builds")
	fs.IntVar(&opts.EfConstruction, "ef-construction", 200, "HNSW build beam width of a collection the benchmark builds")
	fs.IntVar(&opts.Ops, "ops", 300, "writes per phase (each phase stops after --budget)")
	fs.DurationVar(&opts.Budget, "budget", 20*time.Second, "time limit of each phase")
	fs.IntVar(&opts.Writers, "writers", 16, "goroutines of the group-commit phase")
	fs.IntVar(&opts.Threads, "threads", runtime.NumCPU(), "build threads")
	fs.StringVarP(&opts.Out, "out", "o", "", "write the report as JSON to this file")
	fs.BoolVar(&opts.Freelist, "freelist", false, "also compare bbolt's freelist settings (commits and open) on a copy of the database")
	fs.IntVar(&opts.Quality, "quality", 0, "instead of timing writes: insert this many new rows one Upsert each (--writers goroutines, no fsync) into the --db collection and compare recall and QPS with a fresh bulk build of the same rows")
	fs.Float64Var(&opts.Churn, "churn", 0.3, "with --quality: then delete and re-insert this fraction of all rows in batches of 10,000, for a third curve (0 skips)")
	fs.BoolVar(&opts.Keep, "keep", false, "with --quality: keep the databases it builds (quality-*.db beside --db) for later sweeps")
	fs.StringSliceVar(&opts.Sweep, "sweep", nil, `instead of timing writes: sweep these existing databases (comma-separated; the first is the reference) with the --quality mode's queries (from --synthetic, --quality and --seed), all open read-only at once, their passes interleaved; the collection read is "bench" unless --collection is given`)
	fs.IntVar(&opts.Queries, "queries", 1000, "with --quality or --sweep: held-out queries (recall's sampling error shrinks as 1/sqrt of it)")
	fs.IntVar(&opts.Controls, "controls", 0, "with --quality: also bulk-build the same rows this many more times with other seeds (--seed+1, ...), swept with the others: how far two fresh graphs differ")
	fs.IntSliceVar(&opts.Efs, "ef", []int{10, 16, 24, 32, 48, 64, 96, 128, 192}, "with --quality or --sweep: search ef sweep")
	fs.IntVar(&opts.Runs, "runs", 3, "with --quality or --sweep: timed passes per ef (the fastest is kept)")
	fs.StringVar(&opts.Clock, "clock", "wall", "with --quality or --sweep: what a search pass's time is: wall, or thread (the searching thread's CPU time, Linux: time spent waiting for a core other processes hold is not counted; for ratios on a loaded machine)")
	fs.StringSliceVar(&opts.Phases, "phases", nil, "time only these phases: insert, update, metadata, noop, delete, group-insert (default all; the raw bbolt ceiling always runs)")
	cmd.MarkFlagsMutuallyExclusive("synthetic", "dataset")
	return cmd
}

func runBenchWrites(ctx context.Context, opts *benchWritesOptions, out io.Writer) error {
	metric, err := bench.ParseMetric(opts.Metric)
	if err != nil {
		return usageErr(fmt.Errorf("--metric: %w", err))
	}
	switch {
	case (opts.Synthetic == "") == (opts.Dataset == ""):
		return usageErr(errors.New("give one input: --synthetic N,DIM or --dataset FILE"))
	case opts.Ops <= 0 || opts.Writers <= 0 || opts.Budget <= 0:
		return usageErr(fmt.Errorf("--ops, --writers and --budget must be positive, got %d, %d and %v", opts.Ops, opts.Writers, opts.Budget))
	case opts.Quality < 0:
		return usageErr(fmt.Errorf("--quality must not be negative, got %d", opts.Quality))
	case opts.M <= 0 || opts.EfConstruction <= 0:
		return usageErr(fmt.Errorf("--m and --ef-construction must be positive, got %d and %d", opts.M, opts.EfConstruction))
	case opts.Clock != "wall" && opts.Clock != "thread":
		return usageErr(fmt.Errorf("--clock: want wall or thread, got %q", opts.Clock))
	}
	for _, p := range opts.Phases {
		if !slices.Contains(bench.WritePhases, p) {
			return usageErr(fmt.Errorf("--phases: unknown phase %q (want %s)", p, strings.Join(bench.WritePhases, ", ")))
		}
	}
	if len(opts.Sweep) > 0 {
		return runBenchWritesSweep(ctx, opts, metric, out)
	}
	if opts.Quality > 0 {
		return runBenchWritesQuality(ctx, opts, metric, out)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(opts.stderr, "bench writes: "+format+"\n", args...) }
	extraRows := 3*opts.Ops + max(opts.Ops, 8*opts.Writers)
	if extraRows > benchWritesExtra {
		return usageErr(fmt.Errorf("--ops %d and --writers %d need %d held-out rows, more than %d", opts.Ops, opts.Writers, extraRows, benchWritesExtra))
	}
	var base, extra *bench.Matrix
	var name string
	if opts.Synthetic != "" {
		n, dim, err := parseSynthetic(opts.Synthetic)
		if err != nil {
			return err
		}
		// A fixed number of extra rows keeps the base rows the same
		// whatever --ops is (Synthetic's clusters depend on its N).
		m, err := bench.Synthetic(bench.SynthOptions{N: n + benchWritesExtra, Dim: dim, Seed: opts.Seed})
		if err != nil {
			return usageErr(err)
		}
		base, extra = m.Slice(0, n), m.Slice(n, n+extraRows)
		name = fmt.Sprintf("synthetic-%dx%d-seed%d", n, dim, opts.Seed)
	} else {
		m, err := readDataset(ctx, opts.Dataset, opts.Format)
		if err != nil {
			return err
		}
		if m.Rows <= extraRows {
			return invalidErr(fmt.Errorf("%s has %d records; the benchmark holds %d out as new keys", opts.Dataset, m.Rows, extraRows))
		}
		n := m.Rows - extraRows
		base, extra = m.Slice(0, n), m.Slice(n, m.Rows)
		name = datasetName(opts.Dataset)
	}
	path := opts.DB
	if !opts.dbExplicit || path == "" {
		dir, err := os.MkdirTemp("", "vecbolt-bench-writes-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "writes.db")
	}
	bar := newCountBar(opts.progress, opts.stderr, base.Rows, "building")
	rep, err := bench.MeasureWrites(ctx, bench.WritesOptions{
		Path: path, Metric: metric, M: opts.M, EfConstruction: opts.EfConstruction,
		Base: base, Extra: extra, Ops: opts.Ops, Budget: opts.Budget, Writers: opts.Writers,
		BuildThreads: opts.Threads, Progress: barProgress(bar), Logf: logf, Seed: opts.Seed, Freelist: opts.Freelist,
		Phases: opts.Phases,
	})
	finishBar(bar)
	if err != nil {
		return err
	}
	if opts.Out != "" {
		doc := struct {
			Dataset string              `json:"dataset"`
			Machine bench.Machine       `json:"machine"`
			Report  *bench.WritesReport `json:"report"`
		}{name, bench.CollectMachine(bench.VCSRevision()), rep}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(opts.Out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return writeWritesTable(out, name, rep)
}

// writeWritesTable prints one line per phase with its ratio to the raw
// bbolt ceiling and to the single-writer insert rate.
func writeWritesTable(out io.Writer, name string, rep *bench.WritesReport) error {
	fmt.Fprintf(out, "%s  n=%d dim=%d  file %.1f MiB  open %.2f s\n", name, rep.N, rep.Dim, float64(rep.FileBytes)/(1<<20), rep.OpenSeconds)
	raw, ins := rep.Phase("raw-bbolt").PerSecond, rep.Phase("insert").PerSecond
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "phase\twriters\tops\twrites/s\t÷ raw bbolt\t÷ 1-writer insert\tKiB written/op\tcommits/op\tnodes/op\tms graph/op\tms tx/op\tms commit/op\t\n")
	for _, p := range rep.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.1f\t%.2f\t%.1f\t%.2f\t%.2f\t%.2f\t\n", p.Name, p.Writers, p.Ops, p.PerSecond,
			ratio(p.PerSecond, raw), ratio(p.PerSecond, ins), p.BytesPerOp/1024, p.CommitsPerOp, p.NodesPerOp, p.StageMs, p.WriteMs, p.CommitMs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Freelists) == 0 {
		return nil
	}
	fmt.Fprintln(out, "one-key commits in a copy of the file, by bbolt freelist setting:")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "freelist	commits/s	KiB written/commit	free pages	store open s	open after crash s	\n")
	for _, f := range rep.Freelists {
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%d\t%.3f\t%.3f\t\n", f.Freelist, f.CommitsPerSec, f.BytesPerCommit/1024, f.FreePages, f.OpenSeconds, f.UncleanOpenSeconds)
	}
	return tw.Flush()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
