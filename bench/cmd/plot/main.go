// Command plot overlays benchmark result files (JSON documents written by
// the bench runners) as recall/QPS curves, ann-benchmarks style, and
// prints the QPS each curve reaches at recall 0.90, 0.95 and 0.99.
//
//	go run ./bench/cmd/plot -o glove.svg results/hnswlib.json results/faiss.json
//
// The output format follows the extension of -o: .png or .svg. With -csv
// the rows of every input are also written as one CSV file.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/vecbolt/vecbolt/bench"
)

func main() {
	out := flag.String("o", "recall-qps.svg", "output image (.png or .svg)")
	title := flag.String("title", "", "plot title (default: the data set name)")
	multi := flag.Bool("multi", false, "plot qps_multi instead of qps_single")
	csvOut := flag.String("csv", "", "also write all rows to this CSV file")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: plot [-o out.svg] [-title T] [-multi] [-csv all.csv] result.json...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *title, *multi, *csvOut, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(out, title string, multi bool, csvOut string, inputs []string) error {
	var rows []bench.Row
	datasets := map[string]bool{}
	for _, in := range inputs {
		d, err := bench.ReadResultFile(in)
		if err != nil {
			return err
		}
		for _, r := range d.Rows {
			datasets[r.Dataset] = true
		}
		rows = append(rows, d.Rows...)
	}
	if title == "" {
		var names []string
		for n := range datasets {
			names = append(names, n)
		}
		title = strings.Join(names, ", ")
		if multi {
			title += " (multi-thread)"
		} else {
			title += " (one thread, one query per call)"
		}
	}
	series := bench.SeriesFromRows(rows, multi)
	if err := bench.PlotFile(out, title, series); err != nil {
		return err
	}
	if csvOut != "" {
		doc := bench.Document{Rows: rows}
		if err := doc.WriteFile(csvOut); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "curve\tQPS@0.90\tQPS@0.95\tQPS@0.99\tmax recall\t")
	for _, s := range series {
		fmt.Fprintf(tw, "%s\t", s.Label)
		best := 0.0
		for _, p := range s.Points {
			best = max(best, p.Recall)
		}
		for _, target := range []float64{0.90, 0.95, 0.99} {
			if q, ok := bench.QPSAtRecall(s.Points, target); ok {
				fmt.Fprintf(tw, "%.0f\t", q)
			} else {
				fmt.Fprint(tw, "not reached\t")
			}
		}
		fmt.Fprintf(tw, "%.4f\t\n", best)
	}
	tw.Flush()
	fmt.Fprintln(os.Stderr, "wrote", out)
	return nil
}
