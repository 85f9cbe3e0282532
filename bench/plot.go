package bench

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Point is one position on a recall/QPS curve.
type Point struct {
	Recall float64
	QPS    float64
	Ef     int
}

// Series is one curve: one system and build configuration over an ef sweep.
type Series struct {
	Label  string
	Points []Point
}

// SeriesFromRows groups rows into curves by Row.Label (system and build
// configuration), each sorted by ef, in order of first appearance. With
// multi set the QPS is QPSMulti, otherwise QPSSingle; rows whose chosen QPS
// is not positive are skipped.
func SeriesFromRows(rows []Row, multi bool) []Series {
	var out []Series
	at := map[string]int{}
	for _, r := range rows {
		q := r.QPSSingle
		if multi {
			q = r.QPSMulti
		}
		if !(q > 0) {
			continue
		}
		l := r.Label()
		i, ok := at[l]
		if !ok {
			i = len(out)
			at[l] = i
			out = append(out, Series{Label: l})
		}
		out[i].Points = append(out[i].Points, Point{Recall: r.Recall, QPS: q, Ef: r.Ef})
	}
	for i := range out {
		slices.SortStableFunc(out[i].Points, func(a, b Point) int { return cmp.Compare(a.Ef, b.Ef) })
	}
	return out
}

// PlotFile draws the series ann-benchmarks style (recall on x, QPS on a
// logarithmic y axis, one line with points per series, a legend) to path,
// as PNG or SVG by its extension; another extension gives ErrUnknownFormat.
func PlotFile(path, title string, series []Series) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	return writeFile(path, func(w io.Writer) error { return Plot(w, format, title, series) })
}

// Plot is PlotFile writing to w; format is "png" or "svg".
func Plot(w io.Writer, format, title string, series []Series) error {
	if format != "png" && format != "svg" {
		return fmt.Errorf("%w: plot format %q (want png or svg)", ErrUnknownFormat, format)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "Recall"
	p.Y.Label.Text = "Queries per second (1/s)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = false
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	minR := 1.0
	n := 0
	for i, s := range series {
		xys := make(plotter.XYs, 0, len(s.Points))
		for _, pt := range s.Points {
			if pt.QPS > 0 && !math.IsInf(pt.QPS, 0) && !math.IsNaN(pt.Recall) {
				xys = append(xys, plotter.XY{X: pt.Recall, Y: pt.QPS})
				lo, hi = min(lo, pt.QPS), max(hi, pt.QPS)
				minR = min(minR, pt.Recall)
			}
		}
		if len(xys) == 0 {
			continue
		}
		n++
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return fmt.Errorf("bench: plot %s: %w", s.Label, err)
		}
		c := plotutil.Color(i)
		line.Color = c
		line.Width = vg.Points(1.5)
		points.Color = c
		points.Shape = plotutil.Shape(i)
		points.Radius = vg.Points(3)
		p.Add(line, points)
		p.Legend.Add(s.Label, line, points)
	}
	if n == 0 {
		return fmt.Errorf("%w: nothing to plot (no point with positive QPS)", ErrEmpty)
	}
	// Log axes need a positive range with some width.
	p.Y.Min, p.Y.Max = lo/1.5, hi*1.5
	p.X.Min, p.X.Max = max(0, math.Floor(minR*20)/20-0.05), 1.0
	wt, err := p.WriterTo(16*vg.Centimeter, 11*vg.Centimeter, format)
	if err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	_, err = wt.WriteTo(w)
	return err
}

// ParetoFrontier returns the points not dominated by another (one with
// recall and QPS both at least as high, one strictly), sorted by recall
// ascending; along it QPS is non-increasing.
func ParetoFrontier(points []Point) []Point {
	s := slices.Clone(points)
	// Highest recall first; for equal recall, highest QPS first.
	slices.SortFunc(s, func(a, b Point) int {
		if c := cmp.Compare(b.Recall, a.Recall); c != 0 {
			return c
		}
		return cmp.Compare(b.QPS, a.QPS)
	})
	var out []Point
	best := math.Inf(-1)
	for _, p := range s {
		if p.QPS > best {
			out = append(out, p)
			best = p.QPS
		}
	}
	slices.Reverse(out)
	return out
}

// QPSAtRecall estimates the QPS a curve reaches at a target recall (0.90,
// 0.95, 0.99...). It works on the Pareto frontier of points: between the
// two frontier points that surround the target it interpolates QPS linearly
// in recall. When the lowest-recall frontier point already exceeds the
// target, that point's QPS is returned (the fastest configuration measured
// that meets the target; the true figure may be higher). reached is false,
// and qps 0, when no point gets to the target.
func QPSAtRecall(points []Point, target float64) (qps float64, reached bool) {
	f := ParetoFrontier(points)
	if len(f) == 0 || f[len(f)-1].Recall < target {
		return 0, false
	}
	if f[0].Recall >= target {
		return f[0].QPS, true
	}
	for i := 1; i < len(f); i++ {
		a, b := f[i-1], f[i]
		if b.Recall >= target {
			t := (target - a.Recall) / (b.Recall - a.Recall)
			return a.QPS + t*(b.QPS-a.QPS), true
		}
	}
	return 0, false // unreachable: the last point reaches the target
}
