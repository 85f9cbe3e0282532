package query_test

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

var soakDuration = flag.Duration("soak.duration", 3*time.Second, "how long TestConcurrencySoak runs its writers and searchers")

const (
	soakDim       = 16
	soakBase      = 400 // records loaded before the soak, never written again
	soakWriters   = 4   // their writes share commits (group commit)
	soakSearcher  = 4
	soakMinWrites = 100
)

// soakVector derives the vector of a key at a version, in every goroutine
// alike.
func soakVector(key string, ver uint64) []float32 {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 1099511628211
	}
	r := rand.New(rand.NewPCG(h, ver))
	v := make([]float32, soakDim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// TestConcurrencySoak runs searchers against writers for -soak.duration
// (run it under -race), then checks the final state against the history of
// acknowledged writes, Check, and recall on the surviving records.
//
// Each writer owns its keys (w<n>-<i>), so the last acknowledged write of a
// key is well defined without a global order.
func TestConcurrencySoak(t *testing.T) {
	d := *soakDuration
	if testing.Short() && d > time.Second {
		d = time.Second
	}
	path := filepath.Join(t.TempDir(), "soak.db")
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := query.CollectionConfig{Dim: soakDim, Metric: query.L2, M: 12, EfConstruction: 100, Ef: 64, Seed: 11}
	c, err := db.CreateCollection(ctx, "soak", cfg)
	if err != nil {
		t.Fatal(err)
	}
	base := make([]query.Record, soakBase)
	for i := range base {
		k := fmt.Sprintf("base-%d", i)
		base[i] = query.Record{Key: k, Vector: soakVector(k, 0)}
	}
	if err := c.UpsertBatch(ctx, base, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}

	var (
		stop                                   atomic.Bool
		upserts, batches, deletes, searches    atomic.Int64
		searchKeys, gets, misses, staleKeyHits atomic.Int64
		wg                                     sync.WaitGroup
		errMu                                  sync.Mutex // protects firstErr
		firstErr                               error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		stop.Store(true)
	}
	models := make([]map[string]uint64, soakWriters) // per writer: key -> acknowledged version
	metas := make([]map[string]uint64, soakWriters)  // per writer: key -> version of metadata set alone
	var metaSets atomic.Int64

	for w := range soakWriters {
		model, meta := map[string]uint64{}, map[string]uint64{}
		models[w], metas[w] = model, meta
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			var live []string
			next, ver := 0, uint64(0)
			for !stop.Load() {
				ver++
				x := r.IntN(100)
				switch {
				case x < 45 || len(live) < 5:
					next++
					k := fmt.Sprintf("w%d-%d", w, next)
					if err := c.Upsert(ctx, k, soakVector(k, ver), soakMeta(ver)); err != nil {
						fail(fmt.Errorf("writer %d: upsert %s: %w", w, k, err))
						return
					}
					model[k] = ver
					delete(meta, k)
					live = append(live, k)
					upserts.Add(1)
				case x < 60:
					var recs []query.Record
					for range 2 + r.IntN(10) {
						var k string
						if r.IntN(3) == 0 {
							k = live[r.IntN(len(live))]
						} else {
							next++
							k = fmt.Sprintf("w%d-%d", w, next)
						}
						recs = append(recs, query.Record{Key: k, Vector: soakVector(k, ver), Metadata: soakMeta(ver)})
					}
					if err := c.UpsertBatch(ctx, recs, query.BatchOptions{Workers: 2}); err != nil {
						fail(fmt.Errorf("writer %d: batch: %w", w, err))
						return
					}
					for _, rec := range recs {
						if _, ok := model[rec.Key]; !ok {
							live = append(live, rec.Key)
						}
						model[rec.Key] = ver
						delete(meta, rec.Key)
					}
					batches.Add(1)
				case x < 70:
					k := live[r.IntN(len(live))]
					if err := c.Upsert(ctx, k, soakVector(k, ver), soakMeta(ver)); err != nil {
						fail(fmt.Errorf("writer %d: update %s: %w", w, k, err))
						return
					}
					model[k] = ver
					delete(meta, k)
					upserts.Add(1)
				case x < 80:
					k := live[r.IntN(len(live))]
					if err := c.SetMetadata(ctx, k, soakMeta(ver)); err != nil {
						fail(fmt.Errorf("writer %d: set metadata %s: %w", w, k, err))
						return
					}
					meta[k] = ver
					metaSets.Add(1)
				default:
					i := r.IntN(len(live))
					k := live[i]
					if _, err := c.Delete(ctx, k); err != nil {
						fail(fmt.Errorf("writer %d: delete %s: %w", w, k, err))
						return
					}
					delete(model, k)
					delete(meta, k)
					live[i] = live[len(live)-1]
					live = live[:len(live)-1]
					deletes.Add(1)
				}
			}
		}()
	}

	for s := range soakSearcher {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(s), 7))
			for !stop.Load() {
				switch x := r.IntN(10); {
				case x < 6:
					// A base record is never touched: its own vector finds it
					// (counted, not asserted: the search is approximate).
					k := fmt.Sprintf("base-%d", r.IntN(soakBase))
					res, err := c.Search(ctx, soakVector(k, 0), 10, query.SearchOptions{WithMetadata: x == 0})
					if err != nil {
						fail(fmt.Errorf("search: %w", err))
						return
					}
					if err := checkResults(res, 10, true); err != nil {
						fail(err)
						return
					}
					if len(res) == 0 || res[0].Key != k {
						misses.Add(1)
					}
					searches.Add(1)
				case x < 8:
					// A writer's key may be deleted under us.
					k := fmt.Sprintf("w%d-%d", r.IntN(soakWriters), 1+r.IntN(200))
					res, err := c.SearchKey(ctx, k, 5, query.SearchOptions{})
					switch {
					case errors.Is(err, query.ErrKeyNotFound):
						staleKeyHits.Add(1)
					case err != nil:
						fail(fmt.Errorf("search key %s: %w", k, err))
						return
					default:
						if err := checkResults(res, 5, true); err != nil {
							fail(err)
							return
						}
						for _, x := range res {
							if x.Key == k {
								fail(fmt.Errorf("SearchKey(%s) returned the key itself", k))
								return
							}
						}
					}
					searchKeys.Add(1)
				default:
					k := fmt.Sprintf("base-%d", r.IntN(soakBase))
					rec, err := c.Get(ctx, k)
					if err != nil || !sameBits(rec.Vector, soakVector(k, 0)) {
						fail(fmt.Errorf("Get(%s) = %v, %v", k, rec.Vector, err))
						return
					}
					gets.Add(1)
				}
			}
		}()
	}

	// Run for d, longer (up to 3d) until the writers have acknowledged
	// soakMinWrites operations, so that a loaded machine still checks a
	// real history.
	start := time.Now()
	for !stop.Load() {
		el := time.Since(start)
		if el >= 3*d || el >= d && upserts.Load()+batches.Load()+deletes.Load()+metaSets.Load() >= soakMinWrites {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d = time.Since(start).Round(time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	t.Logf("soak %v: %d upserts, %d batches, %d metadata changes, %d deletes by %d writers in %d commits; %d searches (%d self-misses at ef 64), %d key searches (%d on deleted keys), %d gets by %d searchers",
		d, upserts.Load(), batches.Load(), metaSets.Load(), deletes.Load(), soakWriters, c.WriteStats().Commits, searches.Load(), misses.Load(), searchKeys.Load(), staleKeyHits.Load(), gets.Load(), soakSearcher)

	want := map[string]uint64{}
	for i := range soakBase {
		want[fmt.Sprintf("base-%d", i)] = 0
	}
	wantMeta := map[string]uint64{}
	for w, m := range models {
		for k, v := range m {
			want[k] = v
			wantMeta[k] = v
		}
		for k, v := range metas[w] {
			wantMeta[k] = v
		}
	}
	verifySoak(t, c, want, wantMeta)
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	// The file holds the same thing.
	db.Close()
	db2, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db2.Check(ctx); err != nil {
		t.Fatal(err)
	}
	c2, err := db2.Collection(ctx, "soak")
	if err != nil {
		t.Fatal(err)
	}
	verifySoak(t, c2, want, wantMeta)
}

func soakMeta(ver uint64) []byte { return []byte(fmt.Sprintf(`{"v":%d}`, ver)) }

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// checkResults checks a result list's shape: at most k, no duplicate
// keys, no empty key, ordered by score (ascending for l2 when asc).
func checkResults(res []query.Result, k int, asc bool) error {
	if len(res) > k {
		return fmt.Errorf("%d results for k=%d", len(res), k)
	}
	seen := map[string]bool{}
	for i, r := range res {
		if r.Key == "" || seen[r.Key] {
			return fmt.Errorf("result %d: empty or duplicate key %q in %v", i, r.Key, res)
		}
		seen[r.Key] = true
		if i > 0 && asc && r.Score < res[i-1].Score {
			return fmt.Errorf("results out of order: %v", res)
		}
	}
	return nil
}

// verifySoak compares c with want (key -> version of the vector) and
// metas (key -> version of the metadata, for keys written after the base
// load), record by record, and
// measures recall@10 of the graph search against a brute force written out
// here in float64.
func verifySoak(t *testing.T, c *query.Collection, want, metas map[string]uint64) {
	t.Helper()
	if n := c.Len(); n != len(want) {
		t.Errorf("%d records, want %d", n, len(want))
	}
	keys := make([]string, 0, len(want))
	vecs := make([][]float32, 0, len(want))
	for k, ver := range want {
		rec, err := c.Get(ctx, k)
		if err != nil {
			t.Errorf("acknowledged key %s: %v", k, err)
			continue
		}
		wv := soakVector(k, ver)
		if !sameBits(rec.Vector, wv) {
			t.Errorf("key %s: vector %v, want version %d %v", k, rec.Vector, ver, wv)
		}
		if mv, ok := metas[k]; ok && string(rec.Metadata) != string(soakMeta(mv)) {
			t.Errorf("key %s: metadata %s, want %s", k, rec.Metadata, soakMeta(mv))
		}
		keys = append(keys, k)
		vecs = append(vecs, wv)
	}
	if err := c.Keys(ctx, func(k string) error {
		if _, ok := want[k]; !ok {
			t.Errorf("key %s is stored but its last acknowledged write was a delete", k)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}

	const k, nq = 10, 100
	r := rand.New(rand.NewPCG(5, 5))
	hit := 0
	for range nq {
		q := make([]float32, soakDim)
		for i := range q {
			q[i] = float32(r.NormFloat64())
		}
		type cand struct {
			key string
			d   float64
		}
		all := make([]cand, len(keys))
		for i, v := range vecs {
			var s float64
			for j := range v {
				x := float64(v[j]) - float64(q[j])
				s += x * x
			}
			all[i] = cand{keys[i], s}
		}
		sort.Slice(all, func(a, b int) bool { return all[a].d < all[b].d })
		truth := map[string]bool{}
		for _, x := range all[:min(k, len(all))] {
			truth[x.key] = true
		}
		res, err := c.Search(ctx, q, k, query.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res {
			if truth[x.Key] {
				hit++
			}
		}
	}
	recall := float64(hit) / float64(nq*min(k, len(keys)))
	t.Logf("recall@%d at ef %d on %d surviving records: %.3f", k, c.Config().Ef, len(keys), recall)
	if recall < 0.9 {
		t.Errorf("recall@%d = %.3f, want >= 0.9", k, recall)
	}
}
