package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/bench"
)

type benchPlotOptions struct {
	*globalOptions
	Files    []string // positional: result files
	Out      []string
	Title    string
	Multi    bool
	Markdown bool
}

func newBenchPlotCommand(g *globalOptions) *cobra.Command {
	opts := &benchPlotOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "plot RESULT.json... --out curve.png",
		Short: "Overlay benchmark results as recall/QPS curves",
		Long: `Draw recall (x) against queries per second (log y), ann-benchmarks style, one
curve per system and build configuration found in the result files (written by
'vecbolt bench' or the hnswlib and FAISS runners in bench/). The extension of
--out picks PNG or SVG; give --out more than once for both.

Then print, per curve, the single-thread QPS at recall 0.90, 0.95 and 0.99
(interpolated on the curve's Pareto frontier) with its ratio to the hnswlib
curve when there is one, and the build, open and memory figures.`,
		Example: `  vecbolt bench plot hnswlib.json faiss.json vecbolt.json --out glove.png --out glove.svg
  vecbolt bench plot --markdown --title "GloVe 50k" results/*.json --out docs/glove-recall-qps.svg`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return runBenchPlot(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringSliceVarP(&opts.Out, "out", "o", nil, "image to write, .png or .svg (repeatable; required)")
	fs.StringVar(&opts.Title, "title", "", "plot title (default: the data sets and the query mode)")
	fs.BoolVar(&opts.Multi, "multi", false, "plot the multi-thread QPS instead of one thread, one query per call")
	fs.BoolVar(&opts.Markdown, "markdown", false, "print the tables as Markdown")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runBenchPlot(_ context.Context, opts *benchPlotOptions, out io.Writer) error {
	for _, o := range opts.Out {
		if !strings.HasSuffix(strings.ToLower(o), ".png") && !strings.HasSuffix(strings.ToLower(o), ".svg") {
			return usageErr(fmt.Errorf("--out %s: want a .png or .svg file", o))
		}
	}
	if err := checkOutputs(opts.Out, ""); err != nil {
		return err
	}
	var (
		rows     []bench.Row
		datasets []string
		machine  bench.Machine
	)
	for i, f := range opts.Files {
		d, err := bench.ReadResultFile(f)
		if err != nil {
			if errors.Is(err, bench.ErrUnknownFormat) {
				return invalidErr(err)
			}
			return err
		}
		if i == 0 {
			machine = d.Machine
		}
		for _, r := range d.Rows {
			if !slices.Contains(datasets, r.Dataset) {
				datasets = append(datasets, r.Dataset)
			}
		}
		rows = append(rows, d.Rows...)
	}
	title := opts.Title
	if title == "" {
		title = strings.Join(datasets, ", ")
		if len(rows) > 0 {
			title += fmt.Sprintf(" (%s, k=%d", rows[0].Metric, rows[0].K)
		}
		if opts.Multi {
			title += ", multi-thread)"
		} else {
			title += ", one thread, one query per call)"
		}
	}
	series := bench.SeriesFromRows(rows, opts.Multi)
	for _, o := range opts.Out {
		if err := bench.PlotFile(o, title, series); err != nil {
			if errors.Is(err, bench.ErrEmpty) {
				return invalidErr(fmt.Errorf("%s: %w", strings.Join(opts.Files, ", "), err))
			}
			return err
		}
		fmt.Fprintf(opts.stderr, "wrote %s\n", o)
	}
	if len(datasets) > 1 {
		fmt.Fprintf(out, "warning: the files hold %d data sets (%s): curves from different data are not comparable\n", len(datasets), strings.Join(datasets, ", "))
	}
	if machine.CPUModel != "" {
		fmt.Fprintf(out, "machine (first file): %s, %d cores", machine.CPUModel, machine.Cores)
		if machine.LoadAverage != "" {
			fmt.Fprintf(out, ", load average %s", machine.LoadAverage)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)
	return bench.WriteSummary(out, bench.Summarize(rows), opts.Markdown)
}
