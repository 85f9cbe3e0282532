package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/query"
)

// probeResult is what 'vecbolt bench probe-open' prints.
type probeResult struct {
	OpenSeconds float64 `json:"open_seconds"`          // open + collection load + one search
	RSS         int64   `json:"rss_bytes_after_open"`  // VmRSS after the query
	RSSFile     int64   `json:"rss_file_bytes"`        // of which pages of mapped files (RssFile): the database's, when the graph views it
	Heap        int64   `json:"heap_bytes_after_open"` // Go heap in use after a GC, database still open
	Results     int     `json:"results"`               // neighbours the query returned
}

type benchProbeOptions struct {
	*globalOptions
	Query string // comma-separated components
	K, Ef int
}

// newBenchProbeCommand is the hidden helper that vecbolt bench runs in a
// fresh process to time the open of the finished database, as the hnswlib
// runner's --load mode does.
func newBenchProbeCommand(g *globalOptions) *cobra.Command {
	opts := &benchProbeOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:    "probe-open --db FILE -c NAME --query V1,V2,...",
		Short:  "Open a database, answer one query and print the time and memory as JSON (used by vecbolt bench)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchProbe(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Query, "query", "", "the query vector, comma-separated")
	fs.IntVarP(&opts.K, "k", "k", 10, "neighbours")
	fs.IntVar(&opts.Ef, "ef", 0, "search ef (0: the collection's)")
	return cmd
}

// runBenchProbe times query.Open (read-only), the load of the collection
// and one search, then reads the process's memory.
func runBenchProbe(ctx context.Context, opts *benchProbeOptions, out io.Writer) error {
	q, err := parseVectorList(opts.Query)
	if err != nil {
		return usageErr(fmt.Errorf("--query: %w", err))
	}
	if _, err := os.Stat(opts.DB); err != nil {
		return err
	}
	t0 := time.Now()
	db, err := query.Open(opts.DB, query.Options{ReadOnly: true, Timeout: opts.LockTimeout})
	if err != nil {
		return fmt.Errorf("open %s: %w", opts.DB, err)
	}
	defer db.Close()
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	res, err := c.Search(ctx, q, opts.K, query.SearchOptions{Ef: opts.Ef})
	if err != nil {
		return err
	}
	r := probeResult{OpenSeconds: time.Since(t0).Seconds(), RSS: bench.ProcessRSS(), RSSFile: bench.ProcessRSSFile(), Results: len(res)}
	r.Heap = bench.HeapInUse()
	runtime.KeepAlive(c)
	return json.NewEncoder(out).Encode(r)
}

func parseVectorList(s string) ([]float32, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty vector")
	}
	parts := strings.Split(s, ",")
	v := make([]float32, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil {
			return nil, fmt.Errorf("component %d: %w", i, err)
		}
		v[i] = float32(f)
	}
	return v, nil
}

// probeOpen runs 'vecbolt bench probe-open' on the database in a fresh
// process (this executable) and returns its figures. The database must be
// closed by this process first.
func probeOpen(ctx context.Context, db, collection string, q []float32, k, ef int) (probeResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return probeResult{}, err
	}
	comps := make([]string, len(q))
	for i, x := range q {
		comps[i] = strconv.FormatFloat(float64(x), 'g', -1, 32)
	}
	cmd := exec.CommandContext(ctx, exe, "--db", db, "-c", collection, "bench", "probe-open",
		"-k", strconv.Itoa(k), "--ef", strconv.Itoa(ef), "--query", strings.Join(comps, ","))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return probeResult{}, fmt.Errorf("%s bench probe-open: %w: %s", exe, err, strings.TrimSpace(stderr.String()))
	}
	var r probeResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return probeResult{}, fmt.Errorf("bench probe-open printed %q: %w", stdout.String(), err)
	}
	if r.Results == 0 {
		return r, fmt.Errorf("bench probe-open: the first query found nothing")
	}
	return r, nil
}
