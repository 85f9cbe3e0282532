package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/client"
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
// bound is reached; op gets the request number.
func runLoad(t *testing.T, op func(i int) error) loadResult {
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

// TestLoad measures search over HTTP against in-process search on the
// shipped 10k GloVe sample, in the same run, and checks that every
// acknowledged write is present at the end. It prints figures; it asserts
// no speed. Set VECBOLT_LOAD=1 to run it.
func TestLoad(t *testing.T) {
	if testing.Short() || os.Getenv("VECBOLT_LOAD") == "" {
		t.Skip("load measurement: set VECBOLT_LOAD=1 (and not -short) to run it")
	}
	db, recs := sampleDB(t, 10000)
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

	inproc := runLoad(t, func(i int) error {
		_, err := local.SearchKey(ctx, key(i), 10, query.SearchOptions{})
		return err
	})
	httpRead := runLoad(t, func(i int) error {
		_, err := rc.SearchKey(ctx, key(i), 10, query.SearchOptions{})
		return err
	})
	var mu sync.Mutex
	acked := map[string][]float32{}
	httpMixed := runLoad(t, func(i int) error {
		if i%10 != 0 {
			_, err := rc.SearchKey(ctx, key(i), 10, query.SearchOptions{})
			return err
		}
		src := recs[rand.N(len(recs))].Vector
		v := make([]float32, len(src))
		for j := range v {
			v[j] = src[j] + float32(rand.NormFloat64()*0.01)
		}
		k := fmt.Sprintf("new-%d", i)
		if err := rc.Upsert(ctx, query.Record{Key: k, Vector: v}); err != nil {
			return err
		}
		mu.Lock()
		acked[k] = v
		mu.Unlock()
		return nil
	})
	for k, v := range acked {
		r, err := local.Get(ctx, k)
		if err != nil || fmt.Sprint(r.Vector) != fmt.Sprint(v) {
			t.Fatalf("acknowledged write %s: %v", k, err)
		}
	}
	if err := local.Check(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("GloVe sample 10k×100d, %d clients, k=10 search by key, graph:", loadClients)
	t.Logf("in-process search      %v", inproc)
	t.Logf("HTTP search            %v  (QPS ratio to in-process %.2f)", httpRead, httpRead.qps()/inproc.qps())
	t.Logf("HTTP search+10%% writes %v  (QPS ratio to in-process %.2f); %d acknowledged writes all present", httpMixed, httpMixed.qps()/inproc.qps(), len(acked))
}
