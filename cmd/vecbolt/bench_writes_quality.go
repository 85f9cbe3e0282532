package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/vecbolt/vecbolt/bench"
)

// qualityQueries is the number of held-out query rows of the quality mode.
const qualityQueries = 1000

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
	if len(opts.Efs) == 0 {
		return usageErr(fmt.Errorf("--ef needs at least one value"))
	}
	for _, ef := range opts.Efs {
		if ef < 10 {
			return usageErr(fmt.Errorf("--ef values must be at least k=10, got %d", ef))
		}
	}
	n, dim, err := parseSynthetic(opts.Synthetic)
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(opts.stderr, "bench writes: "+format+"\n", args...) }
	// The base rows are those of the plain writes mode (the same clusters
	// and stream), so that its --db file serves as the prebuilt base; the
	// inserted rows and the queries follow the writes mode's extra rows.
	clusters := max(1, int(math.Sqrt(float64(n+benchWritesExtra))/4))
	m, err := bench.Synthetic(bench.SynthOptions{N: n + benchWritesExtra + opts.Quality + qualityQueries, Dim: dim, Seed: opts.Seed, Clusters: clusters})
	if err != nil {
		return usageErr(err)
	}
	all := bench.NewMatrix(n+opts.Quality, dim)
	copy(all.Data, m.Slice(0, n).Data)
	copy(all.Data[n*dim:], m.Slice(n+benchWritesExtra, n+benchWritesExtra+opts.Quality).Data)
	queries := m.Slice(n+benchWritesExtra+opts.Quality, m.Rows)
	logf("ground truth of %d queries over %d rows", queries.Rows, all.Rows)
	truth, err := bench.GroundTruth(ctx, all, queries, metric, 10, opts.Threads)
	if err != nil {
		return err
	}
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
		All: all, N: n, Queries: queries, Truth: truth, Writers: opts.Writers, Churn: opts.Churn, Keep: opts.Keep,
		Run:          bench.RunOptions{K: 10, Efs: opts.Efs, Runs: opts.Runs, Template: bench.Row{System: "vecbolt", M: opts.M, EfConstruction: opts.EfConstruction}},
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
		}{fmt.Sprintf("synthetic-%dx%d-seed%d+%d", n, dim, opts.Seed, opts.Quality), bench.CollectMachine(bench.VCSRevision()), rep}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(opts.Out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return writeQualityTable(out, n, opts.Quality, rep)
}

// writeQualityTable prints recall and QPS per ef for each curve beside the
// fresh build's, and QPS at recall 0.95 with its ratio.
func writeQualityTable(out io.Writer, n, k int, rep *bench.QualityReport) error {
	curves := map[string][]bench.Row{}
	var order []string
	for _, r := range rep.Rows {
		if _, ok := curves[r.Config]; !ok {
			order = append(order, r.Config)
		}
		curves[r.Config] = append(curves[r.Config], r)
	}
	fresh := curves["fresh-bulk"]
	fmt.Fprintf(out, "%d base rows + %d single inserts (%.1f s); churn %.1f s\n", n, k, rep.InsertSeconds, rep.ChurnSeconds)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "curve\tef\trecall@10\t- fresh\tQPS\t÷ fresh\tdistances/query\t÷ fresh\t\n")
	for _, name := range order {
		for i, r := range curves[name] {
			d, q, dq := 0.0, 0.0, 0.0
			if i < len(fresh) && fresh[i].Ef == r.Ef {
				d, q, dq = r.Recall-fresh[i].Recall, ratio(r.QPSSingle, fresh[i].QPSSingle), ratio(r.DistancesPerQuery, fresh[i].DistancesPerQuery)
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
	f, fd := at(fresh), atDist(fresh)
	for _, name := range order {
		q, d := at(curves[name]), atDist(curves[name])
		fmt.Fprintf(out, "at recall 0.95: %s %.0f QPS (%.3f× fresh), %.0f distances/query (%.3f× fresh)\n", name, q, ratio(q, f), d, ratio(d, fd))
	}
	if rep.Restored > 0 {
		fmt.Fprintf(out, "(%d base records of --db had other vectors, from earlier update runs, and were restored first)\n", rep.Restored)
	}
	return nil
}
