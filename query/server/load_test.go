package server_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/client"
	"github.com/vecbolt/vecbolt/query/sample"
	"github.com/vecbolt/vecbolt/query/server"
)

// Load generator bounds: every loop stops at loadRequests requests or
// loadTime, whichever comes first, and talks to 127.0.0.1 only.
const (
	loadClients  = 64
	loadRequests = 20000
	loadTime     = 30 * time.Second
)

type loadResult struct {
	n        int
	elapsed  time.Duration
	p50, p99 time.Duration
}

func (r loadResult) qps() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r loadResult) String() string {
	return fmt.Sprintf("%6d requests, %8.0f QPS, p50 %v, p99 %v", r.n, r.qps(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
}

// runLoad calls op from loadClients goroutines until the count or the time
// bound is reached; op gets the request number. Each phase starts after a
// garbage collection, so none pays for the garbage of the one before.
func runLoad(t *testing.T, op func(i int) error) loadResult {
	runtime.GC()
	var next atomic.Int64
	lat := make([][]time.Duration, loadClients)
	deadline := time.Now().Add(loadTime)
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for g := range loadClients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= loadRequests {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		})
	}
	wg.Wait()
	if err := firstErr.Load(); err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return loadResult{n: len(all), elapsed: time.Since(start), p50: all[len(all)/2], p99: all[len(all)*99/100]}
}

// glove50k is the shared GloVe file, relative to this package.
const glove50k = "../../../shared/data/glove-50k-100d.txt.gz"

// loadDB opens a database that syncs its commits (as `vecbolt serve` does)
// holding the GloVe 50k words from ../shared, or the shipped 10k sample
// when ../shared is absent, in collection "words".
func loadDB(t *testing.T) (*query.DB, []query.Record, string) {
	name, rd := "GloVe 50k×100d (../shared)", io.Reader(nil)
	if f, err := os.Open(glove50k); err == nil {
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		rd = gz
	} else {
		t.Logf("%s absent: measuring on the shipped 10k sample instead", glove50k)
		name, rd = "GloVe sample 10k×100d", sample.GloVe()
	}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var recs []query.Record
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		v := make([]float32, len(f)-1)
		for i, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = float32(x)
		}
		recs = append(recs, query.Record{Key: f[0], Vector: v})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	db, err := query.Open(filepath.Join(t.TempDir(), "load.db"), query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	c, err := db.CreateCollection(t.Context(), "words", query.CollectionConfig{Dim: len(recs[0].Vector), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertBatch(t.Context(), recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return db, recs, name
}

// TestLoad measures search over HTTP against in-process search on GloVe
// 50k (../shared; the shipped 10k sample without it), with 64 clients, in
// the same run: search alone, and search with 10% single-record writes
// (each acknowledged after its commit and fsync). Every acknowledged write
// must be present at the end, and Check must pass. It prints figures and
// the load average; it asserts no speed. Set VECBOLT_LOAD=1 to run it.
func TestLoad(t *testing.T) {
	if testing.Short() || os.Getenv("VECBOLT_LOAD") == "" {
		t.Skip("load measurement: set VECBOLT_LOAD=1 (and not -short) to run it")
	}
	db, recs, dataset := loadDB(t)
	ts := httptest.NewServer(server.New(db, server.Options{Limits: server.Limits{MaxConcurrent: loadClients}}))
	defer ts.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients}}
	cl, _ := client.New(ts.URL, client.Options{HTTPClient: hc})
	rc := cl.Collection("words")
	local, err := db.Collection(context.Background(), "words")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := func(i int) string { return recs[rand.N(len(recs))].Key }

	var mu sync.Mutex
	acked := map[string][]float32{}
	// mixed returns a load op: 9 searches in 10, else one new record
	// written with upsert, remembered once acknowledged.
	mixed := func(prefix string, search func(string) error, upsert func(query.Record) error) func(int) error {
		return func(i int) error {
			if i%10 != 0 {
				return search(key(i))
			}
			src := recs[rand.N(len(recs))].Vector
			v := make([]float32, len(src))
			for j := range v {
				v[j] = src[j] + float32(rand.NormFloat64()*0.01)
			}
			k := fmt.Sprintf("%s-%d", prefix, i)
			if err := upsert(query.Record{Key: k, Vector: v}); err != nil {
				return err
			}
			mu.Lock()
			acked[k] = v
			mu.Unlock()
			return nil
		}
	}
	localSearch := func(k string) error { _, err := local.SearchKey(ctx, k, 10, query.SearchOptions{}); return err }
	httpSearch := func(k string) error { _, err := rc.SearchKey(ctx, k, 10, query.SearchOptions{}); return err }
	// Warm up both paths (connections, caches) before measuring.
	for i := range 2000 {
		if err := localSearch(key(i)); err != nil {
			t.Fatal(err)
		}
		if err := httpSearch(key(i)); err != nil {
			t.Fatal(err)
		}
	}
	load0 := loadAverage()
	inproc := runLoad(t, func(i int) error { return localSearch(key(i)) })
	httpRead := runLoad(t, func(i int) error { return httpSearch(key(i)) })
	inprocMixed := runLoad(t, mixed("local", localSearch, func(r query.Record) error { return local.Upsert(ctx, r.Key, r.Vector, nil) }))
	httpMixed := runLoad(t, mixed("http", httpSearch, func(r query.Record) error { return rc.Upsert(ctx, r) }))
	load1 := loadAverage()
	for k, v := range acked {
		r, err := local.Get(ctx, k)
		if err != nil || fmt.Sprint(r.Vector) != fmt.Sprint(v) {
			t.Fatalf("acknowledged write %s: %v", k, err)
		}
	}
	if err := local.Check(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s, %d clients, k=10 search by key on the graph, writes synced; load average %s before, %s after", dataset, loadClients, load0, load1)
	t.Logf("in-process search             %v", inproc)
	t.Logf("HTTP search                   %v  (QPS ratio to in-process %.2f)", httpRead, httpRead.qps()/inproc.qps())
	t.Logf("in-process search+10%% writes  %v", inprocMixed)
	t.Logf("HTTP search+10%% writes        %v  (QPS ratio to in-process with writes %.2f)", httpMixed, httpMixed.qps()/inprocMixed.qps())
	t.Logf("%d acknowledged writes, all present; check passes", len(acked))
}

// loadAverage returns the 1-minute load average from /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
