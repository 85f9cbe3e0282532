package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// SummaryTargets are the recall levels a Summary reads QPS at.
var SummaryTargets = []float64{0.90, 0.95, 0.99}

// ReferenceSystem is the system other curves are compared with.
const ReferenceSystem = "hnswlib"

// Summary condenses one curve (one system and build configuration) into
// the figures a README table shows.
type Summary struct {
	Label  string // Row.Label of the curve
	System string
	// QPS[i] is the single-thread QPS at recall SummaryTargets[i]
	// (QPSAtRecall); 0 when the curve does not reach it.
	QPS []float64
	// Ratio[i] is QPS[i] over the reference curve's; 0 when either is
	// missing or there is no reference.
	Ratio     []float64
	MaxRecall float64
	// Build and load figures, from the curve's first row (they are the same
	// on every row of a configuration).
	BuildSeconds   float64
	BuildThreads   int
	ImportSeconds  float64
	OpenSeconds    float64
	RSSAfterBuild  int64
	RSSAfterOpen   int64
	FileBytes      int64
	BytesPerVector float64
	InsertsPerSec  float64
}

// Summarize returns one Summary per curve of rows (grouped as
// SeriesFromRows groups them, in order of first appearance), with QPS
// ratios to the first curve whose system is ReferenceSystem, if any.
func Summarize(rows []Row) []Summary {
	var out []Summary
	at := map[string]int{}
	var points [][]Point
	for _, r := range rows {
		l := r.Label()
		i, ok := at[l]
		if !ok {
			i = len(out)
			at[l] = i
			out = append(out, Summary{Label: l, System: r.System, BuildSeconds: r.BuildSeconds, BuildThreads: r.BuildThreads,
				ImportSeconds: r.ImportSeconds, OpenSeconds: r.OpenSeconds, RSSAfterBuild: r.RSSAfterBuild,
				RSSAfterOpen: r.RSSAfterOpen, FileBytes: r.FileBytes, BytesPerVector: r.BytesPerVector, InsertsPerSec: r.InsertsPerSecond})
			points = append(points, nil)
		}
		out[i].MaxRecall = max(out[i].MaxRecall, r.Recall)
		if r.QPSSingle > 0 {
			points[i] = append(points[i], Point{Recall: r.Recall, QPS: r.QPSSingle, Ef: r.Ef})
		}
	}
	ref := -1
	for i := range out {
		out[i].QPS = make([]float64, len(SummaryTargets))
		out[i].Ratio = make([]float64, len(SummaryTargets))
		for j, t := range SummaryTargets {
			out[i].QPS[j], _ = QPSAtRecall(points[i], t)
		}
		if ref < 0 && out[i].System == ReferenceSystem {
			ref = i
		}
	}
	if ref >= 0 {
		for i := range out {
			for j := range SummaryTargets {
				if out[ref].QPS[j] > 0 && out[i].QPS[j] > 0 {
					out[i].Ratio[j] = out[i].QPS[j] / out[ref].QPS[j]
				}
			}
		}
	}
	return out
}

// WriteSummary prints the summaries as two aligned tables (QPS at the
// target recalls with ratios to the reference; build, open and memory), or
// as Markdown tables when markdown is set. Missing figures print as "-".
func WriteSummary(w io.Writer, ss []Summary, markdown bool) error {
	qpsHead := []string{"curve"}
	for _, t := range SummaryTargets {
		qpsHead = append(qpsHead, fmt.Sprintf("QPS@%.2f", t))
	}
	qpsHead = append(qpsHead, "max recall")
	var qps [][]string
	for _, s := range ss {
		line := []string{s.Label}
		for j := range SummaryTargets {
			cell := "not reached"
			if s.QPS[j] > 0 {
				cell = fmt.Sprintf("%.0f", s.QPS[j])
				if s.Ratio[j] > 0 && s.System != ReferenceSystem {
					cell += fmt.Sprintf(" (%.2f×)", s.Ratio[j])
				}
			}
			line = append(line, cell)
		}
		qps = append(qps, append(line, fmt.Sprintf("%.4f", s.MaxRecall)))
	}
	costHead := []string{"curve", "build s (threads)", "import s", "open s", "RSS after build", "RSS after open", "file", "bytes/vector", "inserts/s"}
	var cost [][]string
	for _, s := range ss {
		build := dash(s.BuildSeconds, "%.2f")
		if s.BuildThreads > 0 && s.BuildSeconds > 0 {
			build += fmt.Sprintf(" (%d)", s.BuildThreads)
		}
		cost = append(cost, []string{s.Label, build, dash(s.ImportSeconds, "%.2f"), dash(s.OpenSeconds, "%.3f"),
			mib(s.RSSAfterBuild), mib(s.RSSAfterOpen), mib(s.FileBytes), dash(s.BytesPerVector, "%.0f"), dash(s.InsertsPerSec, "%.0f")})
	}
	if err := writeTable(w, qpsHead, qps, markdown); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return writeTable(w, costHead, cost, markdown)
}

func dash(v float64, f string) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf(f, v)
}

func mib(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func writeTable(w io.Writer, head []string, rows [][]string, markdown bool) error {
	if markdown {
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" --- |", len(head)))
		for _, r := range rows {
			if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | ")); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
