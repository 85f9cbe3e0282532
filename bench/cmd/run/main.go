// Command run measures an in-process Go system on a prepared data set
// (see bench/cmd/prepare) and writes a result document in the same schema
// as the hnswlib and FAISS runners.
//
//	go run ./bench/cmd/run -data bench/out/glove -system bruteforce -efs 10 -o bruteforce.json
//
// Systems are registered in systems: bruteforce, vecbolt-index (the
// in-memory graph alone) and vecbolt (through package query, on a
// temporary database file). 'vecbolt bench' measures vecbolt with every
// figure (import, open in a fresh process, single inserts).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/vecbolt/vecbolt/bench"
)

// config is what a system constructor gets from the command line.
type config struct {
	Metric         bench.Metric
	M, EfConstruct int
}

// systems maps a -system name to a constructor and the row template that
// labels its results.
var systems = map[string]func(c config) (bench.System, bench.Row, error){
	"bruteforce": func(c config) (bench.System, bench.Row, error) {
		return bench.NewBruteForce(c.Metric), bench.Row{System: "bruteforce"}, nil
	},
}

func main() {
	data := flag.String("data", "bench/out/glove", "directory written by bench/cmd/prepare")
	system := flag.String("system", "bruteforce", "system to measure: "+strings.Join(names(), ", "))
	out := flag.String("o", "", "result file (.json or .csv; default: standard output as JSON)")
	k := flag.Int("k", 10, "neighbours per query and recall depth")
	efs := flag.String("efs", "10,16,24,32,48,64,96,128,192,256,384,512", "ef sweep")
	m := flag.Int("M", 16, "HNSW M")
	efc := flag.Int("efc", 200, "HNSW efConstruction")
	buildThreads := flag.Int("build-threads", 2, "threads for the build")
	searchThreads := flag.Int("search-threads", 2, "threads for the qps_multi pass (<= 1 skips it)")
	runs := flag.Int("runs", 3, "timed passes per ef; the fastest is reported")
	commit := flag.String("commit", "", "vecbolt commit to record (default: the binary's VCS stamp)")
	flag.Parse()
	if err := run(*data, *system, *out, *k, *efs, *m, *efc, *buildThreads, *searchThreads, *runs, *commit); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

func names() []string {
	var n []string
	for k := range systems {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func run(data, system, out string, k int, efList string, m, efc, buildThreads, searchThreads, runs int, commit string) error {
	ctor, ok := systems[system]
	if !ok {
		return fmt.Errorf("unknown system %q (have %s)", system, strings.Join(names(), ", "))
	}
	var meta struct {
		Dataset string `json:"dataset"`
		Metric  string `json:"metric"`
	}
	b, err := os.ReadFile(filepath.Join(data, "meta.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return fmt.Errorf("%s/meta.json: %w", data, err)
	}
	metric, err := bench.ParseMetric(meta.Metric)
	if err != nil {
		return err
	}
	var efs []int
	for _, s := range strings.Split(efList, ",") {
		e, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || e <= 0 {
			return fmt.Errorf("bad ef %q", s)
		}
		efs = append(efs, e)
	}
	base, err := bench.ReadFvecs(filepath.Join(data, "base.fvecs"))
	if err != nil {
		return err
	}
	queries, err := bench.ReadFvecs(filepath.Join(data, "queries.fvecs"))
	if err != nil {
		return err
	}
	ids, err := bench.ReadIvecs(filepath.Join(data, "truth.ivecs"))
	if err != nil {
		return err
	}
	sys, tmpl, err := ctor(config{Metric: metric, M: m, EfConstruct: efc})
	if err != nil {
		return err
	}
	defer sys.Close()
	ds := bench.Dataset{Name: meta.Dataset, Metric: metric, Base: base, Queries: queries,
		Truth: &bench.Truth{Metric: metric, K: ids.Dim, IDs: ids}}
	rows, err := bench.Run(context.Background(), sys, ds, bench.RunOptions{K: k, Efs: efs,
		BuildThreads: buildThreads, SearchThreads: searchThreads, Runs: runs, Template: tmpl})
	if err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(os.Stderr, "%s: ef %4d recall %.4f qps %8.0f p50 %6.1fus qps_multi %8.0f\n",
			r.System, r.Ef, r.Recall, r.QPSSingle, r.P50Micros, r.QPSMulti)
	}
	doc := bench.NewDocument(bench.CollectMachine(commit), rows...)
	if out == "" {
		return doc.WriteJSON(os.Stdout)
	}
	return doc.WriteFile(out)
}
