package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
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

	// With --queries: the memory after the open (0 queries) and after
	// each count of --at queries, the first query included.
	Points []probePoint `json:"points,omitempty"`
}

// probePoint is the process's memory after a number of queries.
type probePoint struct {
	Queries  int   `json:"queries"`
	RSS      int64 `json:"rss_bytes"`        // VmRSS
	RSSAnon  int64 `json:"rss_anon_bytes"`   // RssAnon: the Go heap, stacks, runtime
	RSSFile  int64 `json:"rss_file_bytes"`   // RssFile: pages of mapped files (the binary's and the database's)
	DBMapped int64 `json:"db_mapped_bytes"`  // of which pages of the database file's mapping (smaps)
	Exe      int64 `json:"exe_mapped_bytes"` // of which pages of this executable's mappings (smaps)
	Heap     int64 `json:"heap_bytes"`       // Go heap in use after a GC
}

type benchProbeOptions struct {
	*globalOptions
	Query   string // comma-separated components
	Queries string // an fvecs file of queries (with At)
	At      string // comma-separated query counts to measure after
	Heap    string // write a heap profile here after the last query
	Lean    bool   // open with query.Options.LeanReads
	K, Ef   int
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
	fs.StringVar(&opts.Queries, "queries", "", "an fvecs file of queries: measure the memory after the open and after each count of --at queries")
	fs.BoolVar(&opts.Lean, "lean-reads", false, "open with lean reads (query.Options.LeanReads: exact rows by pread, packed lists)")
	fs.StringVar(&opts.Heap, "heap-profile", "", "with --queries: write a heap profile (pprof) to this file after the last query")
	fs.StringVar(&opts.At, "at", "1,100,1000", "with --queries: comma-separated query counts (queries are reused cyclically)")
	fs.IntVarP(&opts.K, "k", "k", 10, "neighbours")
	fs.IntVar(&opts.Ef, "ef", 0, "search ef (0: the collection's)")
	return cmd
}

// runBenchProbe times query.Open (read-only), the load of the collection
// and one search, then reads the process's memory. With --queries it
// measures a series instead (runBenchProbeSeries).
func runBenchProbe(ctx context.Context, opts *benchProbeOptions, out io.Writer) error {
	if opts.Queries != "" {
		return runBenchProbeSeries(ctx, opts, out)
	}
	q, err := parseVectorList(opts.Query)
	if err != nil {
		return usageErr(fmt.Errorf("--query: %w", err))
	}
	r, err := probeQueries(ctx, opts, func(int) []float32 { return q }, []int{1})
	if err != nil {
		return err
	}
	r.Points = nil // one query: the figures are the top-level fields
	return json.NewEncoder(out).Encode(r)
}

// runBenchProbe with --queries: the memory after the open (before any
// query) and after each count of --at queries of the file (cycled), in
// one process. The queries are read before the open, so their copy (4·dim
// bytes each) is in every point's heap.
func runBenchProbeSeries(ctx context.Context, opts *benchProbeOptions, out io.Writer) error {
	qs, err := bench.ReadFvecs(opts.Queries)
	if err != nil {
		return fmt.Errorf("--queries: %w", err)
	}
	if qs.Rows == 0 {
		return usageErr(fmt.Errorf("--queries: %s holds no vector", opts.Queries))
	}
	var at []int
	for _, f := range strings.Split(opts.At, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || (len(at) > 0 && n <= at[len(at)-1]) {
			return usageErr(fmt.Errorf("--at: want increasing counts of at least 1, got %q", opts.At))
		}
		at = append(at, n)
	}
	r, err := probeQueries(ctx, opts, func(i int) []float32 { return qs.Row(i % qs.Rows) }, at)
	if err != nil {
		return err
	}
	if opts.Heap != "" {
		if err := writeHeapProfile(opts.Heap); err != nil {
			return err
		}
	}
	return json.NewEncoder(out).Encode(r)
}

// probeQueries opens the database read-only, loads the collection, and
// answers next(0), next(1), ... up to the last count of at, reading
// the process's memory after the open and after each count (Points; the
// top-level figures are those after the first query). OpenSeconds is the
// open, the load and the first query, without the measurement between
// them.
func probeQueries(ctx context.Context, opts *benchProbeOptions, next func(int) []float32, at []int) (probeResult, error) {
	var r probeResult
	if _, err := os.Stat(opts.DB); err != nil {
		return r, err
	}
	t0 := time.Now()
	db, err := query.Open(opts.DB, query.Options{ReadOnly: true, Timeout: opts.LockTimeout, LeanReads: opts.Lean})
	if err != nil {
		return r, fmt.Errorf("open %s: %w", opts.DB, err)
	}
	defer db.Close()
	c, err := opts.collection(ctx, db)
	if err != nil {
		return r, err
	}
	opened := time.Since(t0)
	r.Points = []probePoint{probeMemory(0, opts.DB)}
	done := 0
	for _, n := range at {
		for ; done < n; done++ {
			t1 := time.Now()
			res, err := c.Search(ctx, next(done), opts.K, query.SearchOptions{Ef: opts.Ef})
			if err != nil {
				return r, err
			}
			if done == 0 {
				r.OpenSeconds, r.Results = (opened + time.Since(t1)).Seconds(), len(res)
			}
		}
		r.Points = append(r.Points, probeMemory(n, opts.DB))
	}
	r.RSS, r.RSSFile, r.Heap = r.Points[1].RSS, r.Points[1].RSSFile, r.Points[1].Heap
	runtime.KeepAlive(c)
	return r, nil
}

// writeHeapProfile writes the heap profile (after a GC) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("--heap-profile: %w", err)
	}
	return f.Close()
}

// probeMemory reads the process's memory after queries queries: the
// resident set and its parts first, then the Go heap (after a GC).
func probeMemory(queries int, dbPath string) probePoint {
	p := probePoint{Queries: queries, RSS: bench.ProcessRSS(), RSSFile: bench.ProcessRSSFile(), DBMapped: mappedRSS(dbPath)}
	if exe, err := os.Executable(); err == nil {
		p.Exe = mappedRSS(exe)
	}
	p.RSSAnon = procKB("/proc/self/status", "RssAnon:")
	p.Heap = bench.HeapInUse()
	return p
}

// mappedRSS returns the resident bytes of the mappings of the file path
// (from /proc/self/smaps), or 0 where there is no such file.
func mappedRSS(path string) int64 {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0
	}
	var total int64
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			in = f[len(f)-1] == abs
			continue
		}
		if in && len(f) >= 2 && f[0] == "Rss:" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				total += kb << 10
			}
		}
	}
	return total
}

// procKB returns the field name (with its colon) of a /proc status file
// in bytes, or 0.
func procKB(file, name string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == name {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
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
