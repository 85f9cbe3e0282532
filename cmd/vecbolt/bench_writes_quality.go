package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/vecbolt/vecbolt/bench"
)

// runBenchWritesQuality is bench writes --quality K: the graph after K
// single inserts into the --db collection (and after --churn), against a
// fresh bulk build of the same rows, swept over --ef.
func runBenchWritesQuality(ctx context.Context, opts *benchWritesOptions, metric bench.Metric, out io.Writer) error {
	if opts.Synthetic == "" {
		return usageErr(fmt.Errorf("--quality needs --synthetic"))
	}
	if opts.Churn < 0 || opts.Churn > 1 {
		return usageErr(fmt.Errorf("--churn must be within [0, 1], got %v", opts.Churn))
	}
	if err := checkEfs(opts.Efs); err != nil {
		return err
	}
	if opts.Queries <= 0 || opts.Controls < 0 {
		return usageErr(fmt.Errorf("--queries must be positive and --controls not negative, got %d and %d", opts.Queries, opts.Controls))
	}
	d, err := qualityData(ctx, opts, metric)
	if err != nil {
		return err
	}
	n, dim, all, queries, truth := d.n, d.dim, d.all, d.queries, d.truth
	logf := d.logf
	prebuilt, dir := "", ""
	if opts.dbExplicit && opts.DB != "" {
		if _, err := os.Stat(opts.DB); err == nil {
			prebuilt = opts.DB
		}
		dir = filepath.Dir(opts.DB)
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vecbolt-bench-quality-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	rep, err := bench.MeasureWriteQuality(ctx, bench.QualityOptions{
		Prebuilt: prebuilt, Dir: dir, Metric: metric, M: opts.M, EfConstruction: opts.EfConstruction, Seed: int64(opts.Seed),
		All: all, N: n, Queries: queries, Truth: truth, Writers: opts.Writers, Churn: opts.Churn, Keep: opts.Keep, Controls: opts.Controls,
		Run: bench.RunOptions{K: 10, Efs: opts.Efs, Runs: opts.Runs, ThreadClock: opts.Clock == "thread",
			Template: bench.Row{System: "vecbolt", M: opts.M, EfConstruction: opts.EfConstruction}},
		BuildThreads: opts.Threads, Logf: logf,
	})
	if err != nil {
		return err
	}
	if opts.Out != "" {
		b, err := json.MarshalIndent(struct {
			Dataset string               `json:"dataset"`
			Machine bench.Machine        `json:"machine"`
			Report  *bench.QualityReport `json:"report"`
		}{qualityName(n, dim, opts), bench.CollectMachine(bench.VCSRevision()), rep}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(opts.Out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if err := writeQualityTable(out, n, opts.Quality, rep); err != nil {
		return err
	}
	if len(rep.Interleaved) > 0 {
		fmt.Fprintf(out, "\nthe same databases swept again, all open at once, passes interleaved (fastest of %d%s):\n", max(opts.Runs, 1), clockNote(opts))
		if err := writeCurves(out, rep.Interleaved, "fresh-bulk"); err != nil {
			return err
		}
		return writePaired(out, rep.Paired)
	}
	return nil
}

// qualitySet is the data of the quality mode and of --sweep: every row
// (the base and the inserted ones), the held-out queries and their truth.
type qualitySet struct {
	n, dim       int
	all, queries *bench.Matrix
	truth        *bench.Truth
	logf         func(format string, args ...any)
}

// qualityData derives the quality mode's rows, queries and ground truth
// from --synthetic, --quality and --seed. Cost: generating the rows and
// brute-force truth, O(queries × rows × dim).
func qualityData(ctx context.Context, opts *benchWritesOptions, metric bench.Metric) (*qualitySet, error) {
	n, dim, err := parseSynthetic(opts.Synthetic)
	if err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(opts.stderr, "bench writes: "+format+"\n", args...) }
	// The base rows are those of the plain writes mode (the same clusters
	// and stream), so that its --db file serves as the prebuilt base; the
	// inserted rows and the queries follow the writes mode's extra rows.
	clusters := max(1, int(math.Sqrt(float64(n+benchWritesExtra))/4))
	m, err := bench.Synthetic(bench.SynthOptions{N: n + benchWritesExtra + opts.Quality + opts.Queries, Dim: dim, Seed: opts.Seed, Clusters: clusters})
	if err != nil {
		return nil, usageErr(err)
	}
	all := bench.NewMatrix(n+opts.Quality, dim)
	copy(all.Data, m.Slice(0, n).Data)
	copy(all.Data[n*dim:], m.Slice(n+benchWritesExtra, n+benchWritesExtra+opts.Quality).Data)
	queries := m.Slice(n+benchWritesExtra+opts.Quality, m.Rows)
	logf("ground truth of %d queries over %d rows", queries.Rows, all.Rows)
	truth, err := bench.GroundTruth(ctx, all, queries, metric, 10, opts.Threads)
	if err != nil {
		return nil, err
	}
	return &qualitySet{n: n, dim: dim, all: all, queries: queries, truth: truth, logf: logf}, nil
}

// runBenchWritesSweep is bench writes --sweep A,B,...: the quality mode's
// queries swept over existing databases, interleaved, with ratios to the
// first.
func runBenchWritesSweep(ctx context.Context, opts *benchWritesOptions, metric bench.Metric, out io.Writer) error {
	if opts.Synthetic == "" {
		return usageErr(fmt.Errorf("--sweep needs --synthetic (and the --quality of the run that built the databases)"))
	}
	if err := checkEfs(opts.Efs); err != nil {
		return err
	}
	if opts.Queries <= 0 {
		return usageErr(fmt.Errorf("--queries must be positive, got %d", opts.Queries))
	}
	for _, p := range opts.Sweep {
		if p == "" {
			return usageErr(fmt.Errorf("--sweep: empty database path"))
		}
	}
	n, dim, err := parseSynthetic(opts.Synthetic)
	if err != nil {
		return err
	}
	collection := "bench"
	if opts.collectionSet {
		collection = opts.Collection
	}
	// Open (and check) the databases before the minute the truth takes
	// at 1M.
	sw, err := bench.OpenSweep(ctx, bench.SweepOptions{Paths: opts.Sweep, Collection: collection, Rows: n + opts.Quality, Dim: dim, Metric: metric})
	if errors.Is(err, bench.ErrShape) || errors.Is(err, bench.ErrBadArgument) {
		return invalidErr(err)
	} else if err != nil {
		return err
	}
	defer sw.Close()
	d, err := qualityData(ctx, opts, metric)
	if err != nil {
		return err
	}
	name := qualityName(d.n, d.dim, opts)
	fmt.Fprintf(out, "%s: %d databases, all open at once, passes interleaved (fastest of %d%s); load average %s\n", name, len(opts.Sweep), max(opts.Runs, 1), clockNote(opts), loadAvg())
	rows, err := sw.Run(ctx, bench.Dataset{Name: name, Metric: metric, Base: d.all, Queries: d.queries, Truth: d.truth},
		bench.RunOptions{K: 10, Efs: opts.Efs, Runs: opts.Runs, ThreadClock: opts.Clock == "thread", Template: bench.Row{System: "vecbolt"}}, d.logf)
	if err != nil {
		return err
	}
	if opts.Out != "" {
		b, err := json.MarshalIndent(struct {
			Dataset   string              `json:"dataset"`
			Databases []string            `json:"databases"`
			Clock     string              `json:"clock"`
			Machine   bench.Machine       `json:"machine"`
			Rows      []bench.Row         `json:"rows"`
			Paired    []bench.PairedRatio `json:"paired"`
		}{name, opts.Sweep, opts.Clock, bench.CollectMachine(bench.VCSRevision()), rows, sw.Paired()}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(opts.Out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if err := writeCurves(out, rows, rows[0].Config); err != nil {
		return err
	}
	if err := writePaired(out, sw.Paired()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "load average after: %s\n", loadAvg())
	return err
}

// clockNote says, for a run under --clock thread, that its QPS are the
// searching thread's CPU time; "" on the wall clock.
func clockNote(opts *benchWritesOptions) string {
	if opts.Clock == "thread" {
		return ", QPS from the searching thread's CPU time"
	}
	return ""
}

// loadAvg returns the first three fields of /proc/loadavg, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// qualityName names the quality mode's data set: the base, the inserted
// rows and the number of queries.
func qualityName(n, dim int, opts *benchWritesOptions) string {
	return fmt.Sprintf("synthetic-%dx%d-seed%d+%d-q%d", n, dim, opts.Seed, opts.Quality, opts.Queries)
}

// checkEfs validates --ef for the quality mode and --sweep.
func checkEfs(efs []int) error {
	if len(efs) == 0 {
		return usageErr(fmt.Errorf("--ef needs at least one value"))
	}
	for _, ef := range efs {
		if ef < 10 {
			return usageErr(fmt.Errorf("--ef values must be at least k=10, got %d", ef))
		}
	}
	return nil
}

// writeQualityTable prints recall and QPS per ef for each curve beside the
// fresh build's, and QPS at recall 0.95 with its ratio.
func writeQualityTable(out io.Writer, n, k int, rep *bench.QualityReport) error {
	fmt.Fprintf(out, "%d base rows + %d single inserts (%.1f s); churn %.1f s\n", n, k, rep.InsertSeconds, rep.ChurnSeconds)
	if err := writeCurves(out, rep.Rows, "fresh-bulk"); err != nil {
		return err
	}
	if rep.Restored > 0 {
		fmt.Fprintf(out, "(%d base records of --db had other vectors, from earlier update runs, and were restored first)\n", rep.Restored)
	}
	return nil
}

// writePaired prints each database's QPS against the first's as the
// median (and quartiles) of ratios of passes run one after the other.
func writePaired(out io.Writer, paired []bench.PairedRatio) error {
	if len(paired) < 2 {
		return nil
	}
	for _, p := range paired[1:] {
		if _, err := fmt.Fprintf(out, "paired passes: %s QPS %.3f× %s (median of %d same-ef ratios; quartiles %.3f–%.3f)\n",
			p.Label, p.Median, paired[0].Label, p.Pairs, p.Q1, p.Q3); err != nil {
			return err
		}
	}
	return nil
}

// writeCurves prints recall, QPS and distance computations per ef for each
// curve (rows grouped by Config) beside those of the curve ref, and QPS
// and distances per query at recall 0.95 (bench.QPSAtRecall) with their
// ratios to ref's.
func writeCurves(out io.Writer, rows []bench.Row, ref string) error {
	curves := map[string][]bench.Row{}
	var order []string
	for _, r := range rows {
		if _, ok := curves[r.Config]; !ok {
			order = append(order, r.Config)
		}
		curves[r.Config] = append(curves[r.Config], r)
	}
	base := curves[ref]
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "curve\tef\trecall@10\t- %s\tQPS\t÷ %s\tdistances/query\t÷ %s\t\n", ref, ref, ref)
	for _, name := range order {
		for i, r := range curves[name] {
			d, q, dq := 0.0, 0.0, 0.0
			if i < len(base) && base[i].Ef == r.Ef {
				d, q, dq = r.Recall-base[i].Recall, ratio(r.QPSSingle, base[i].QPSSingle), ratio(r.DistancesPerQuery, base[i].DistancesPerQuery)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.4f\t%+.4f\t%.0f\t%.2f\t%.0f\t%.3f\t\n", name, r.Ef, r.Recall, d, r.QPSSingle, q, r.DistancesPerQuery, dq)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	at := func(rows []bench.Row) float64 {
		var pts []bench.Point
		for _, r := range rows {
			pts = append(pts, bench.Point{Recall: r.Recall, QPS: r.QPSSingle, Ef: r.Ef})
		}
		q, _ := bench.QPSAtRecall(pts, 0.95)
		return q
	}
	// Distances per query at recall 0.95: the load-independent twin of
	// QPS (interpolated like QPS, on 1/distances).
	atDist := func(rows []bench.Row) float64 {
		var pts []bench.Point
		for _, r := range rows {
			if r.DistancesPerQuery > 0 {
				pts = append(pts, bench.Point{Recall: r.Recall, QPS: 1 / r.DistancesPerQuery, Ef: r.Ef})
			}
		}
		q, _ := bench.QPSAtRecall(pts, 0.95)
		if q == 0 {
			return 0
		}
		return 1 / q
	}
	f, fd := at(base), atDist(base)
	for _, name := range order {
		q, d := at(curves[name]), atDist(curves[name])
		fmt.Fprintf(out, "at recall 0.95: %s %.0f QPS (%.3f× %s), %.0f distances/query (%.3f× %s)\n", name, q, ratio(q, f), ref, d, ratio(d, fd), ref)
	}
	return nil
}
