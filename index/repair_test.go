package index_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// randVec returns a seeded gaussian vector, unit length under Cosine.
func randVec(r *rand.Rand, dim int, m index.Metric) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	if m == index.Cosine {
		normalize(v)
	}
	return v
}

// storedForms returns MarshalNode of every id below MaxID (nil if free).
func storedForms(g *index.Graph) [][]byte {
	out := make([][]byte, g.MaxID())
	for id := range out {
		out[id] = g.MarshalNode(uint32(id), nil)
	}
	return out
}

// TestLocalRepairKeepsInvariant runs seeded random mixes of single Adds,
// Updates (small moves and jumps) and Deletes (one to three ids) on small,
// sparse graphs of every metric, where HNSW readily leaves nodes
// unreachable, and checks after every write that Check passes (every node
// reachable, in-link index consistent), that the full repair never ran, and
// that TakeDirty named every node whose stored form changed and no other
// (besides the updated node, whose vector changed). Every 250 writes the
// graph goes through the codec and the test continues on the restored one.
func TestLocalRepairKeepsInvariant(t *testing.T) {
	writes := 1200
	if testing.Short() {
		writes = 400
	}
	if raceEnabled {
		writes = 150
	}
	type cfg struct {
		metric index.Metric
		m, efc int
	}
	var cfgs []cfg
	for _, metric := range []index.Metric{index.Cosine, index.Dot, index.L2} {
		for _, m := range []int{4, 8} {
			for _, efc := range []int{8, 64} {
				cfgs = append(cfgs, cfg{metric, m, efc})
			}
		}
	}
	for ci, c := range cfgs {
		t.Run(fmt.Sprintf("%s/M=%d/efc=%d", c.metric, c.m, c.efc), func(t *testing.T) {
			const dim = 16
			r := rand.New(rand.NewPCG(uint64(ci), 77))
			g, err := index.New(dim, c.metric, index.Options{M: c.m, EfConstruction: c.efc, Seed: int64(ci)})
			if err != nil {
				t.Fatal(err)
			}
			var ids []uint32 // live ids
			before := storedForms(g)
			for w := 0; w < writes; w++ {
				var op string
				updated := index.NoID
				switch p := r.Float64(); {
				case p < 0.55 || len(ids) < 30:
					op = "add"
					id, err := g.Add(randVec(r, dim, c.metric))
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, id)
				case p < 0.75:
					op = "update"
					updated = ids[r.IntN(len(ids))]
					v := randVec(r, dim, c.metric)
					if r.IntN(2) == 0 { // a small move
						old := g.Vector(updated)
						for i := range v {
							v[i] = old[i] + 0.05*v[i]
						}
						if c.metric == index.Cosine {
							normalize(v)
						}
					}
					if err := g.Update(updated, v); err != nil {
						t.Fatal(err)
					}
				default:
					op = "delete"
					k := 1 + r.IntN(3)
					var del []uint32
					for range k {
						j := r.IntN(len(ids))
						del = append(del, ids[j])
						ids[j] = ids[len(ids)-1]
						ids = ids[:len(ids)-1]
					}
					if err := g.Delete(del...); err != nil {
						t.Fatal(err)
					}
				}
				if err := g.Check(); err != nil {
					t.Fatalf("write %d (%s): %v", w, op, err)
				}
				after := storedForms(g)
				dirty := map[uint32]bool{}
				for _, id := range g.TakeDirty() {
					dirty[id] = true
				}
				for id := range after {
					var old []byte
					if id < len(before) {
						old = before[id]
					}
					changed := !bytes.Equal(old, after[id]) || (old == nil) != (after[id] == nil)
					if changed && !dirty[uint32(id)] {
						t.Fatalf("write %d (%s): node %d changed but TakeDirty missed it", w, op, id)
					}
					if !changed && dirty[uint32(id)] && uint32(id) != updated {
						t.Fatalf("write %d (%s): TakeDirty named node %d, which did not change", w, op, id)
					}
				}
				before = after
				if w%250 == 249 {
					if g, err = marshal(g).restore(); err != nil {
						t.Fatal(err)
					}
					if err := g.Check(); err != nil {
						t.Fatalf("restored after write %d: %v", w, err)
					}
				}
			}
			if st := g.RepairStats(); st.FullRepairs != 0 {
				t.Errorf("%d writes fell back to the full repair", st.FullRepairs)
			}
			if g.Len() != len(ids) {
				t.Fatalf("Len %d, want %d", g.Len(), len(ids))
			}
		})
	}
}

// TestLocalRepairConcurrent runs Adds on several goroutines and searches
// on others while a writer updates and deletes, in rounds; after each round
// (no write running) Check must pass. Run it with -race.
func TestLocalRepairConcurrent(t *testing.T) {
	rounds := 12
	if testing.Short() || raceEnabled {
		rounds = 5
	}
	const dim = 16
	for _, metric := range []index.Metric{index.Cosine, index.L2} {
		g, err := index.New(dim, metric, index.Options{M: 4, EfConstruction: 16, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex // protects ids
		var ids []uint32
		for round := range rounds {
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
					for range 100 {
						id, err := g.Add(randVec(r, dim, metric))
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						ids = append(ids, id)
						mu.Unlock()
					}
				}()
			}
			var sg sync.WaitGroup
			for w := range 2 {
				sg.Add(1)
				go func() {
					defer sg.Done()
					r := rand.New(rand.NewPCG(uint64(round), 100+uint64(w)))
					for {
						select {
						case <-stop:
							return
						default:
						}
						g.Search(randVec(r, dim, metric), 10, 32, nil)
					}
				}()
			}
			r := rand.New(rand.NewPCG(uint64(round), 99))
			for range 30 {
				mu.Lock()
				if len(ids) < 10 {
					mu.Unlock()
					continue
				}
				j := r.IntN(len(ids))
				id := ids[j]
				del := r.IntN(2) == 0
				if del {
					ids[j] = ids[len(ids)-1]
					ids = ids[:len(ids)-1]
				}
				mu.Unlock()
				if del {
					err = g.Delete(id)
				} else {
					err = g.Update(id, randVec(r, dim, metric))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			wg.Wait()
			close(stop)
			sg.Wait()
			if err := g.Check(); err != nil {
				t.Fatalf("%s round %d: %v", metric, round, err)
			}
		}
		t.Logf("%s: %d nodes, %+v", metric, g.Len(), g.RepairStats())
	}
}

// TestLocalRepairSparseBatches builds very sparse graphs (M=4,
// efConstruction=8) with AddBatch on two workers, then deletes and
// re-inserts a third of them in batches; Check passes after each call.
func TestLocalRepairSparseBatches(t *testing.T) {
	trials := 10
	if testing.Short() || raceEnabled {
		trials = 3
	}
	for trial := range trials {
		r := rand.New(rand.NewPCG(uint64(trial), 11))
		vecs := make([][]float32, 1500)
		for i := range vecs {
			vecs[i] = randVec(r, 16, index.L2)
		}
		g, err := index.New(16, index.L2, index.Options{M: 4, EfConstruction: 8, Seed: int64(trial)})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := g.AddBatch(context.Background(), vecs, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustCheck(t, g)
		for b := range 5 {
			perm := r.Perm(len(ids))[:100]
			var del []uint32
			var again [][]float32
			for _, p := range perm {
				del = append(del, ids[p])
				again = append(again, vecs[p])
			}
			if err := g.Delete(del...); err != nil {
				t.Fatal(err)
			}
			if err := g.Check(); err != nil {
				t.Fatalf("trial %d batch %d after Delete: %v", trial, b, err)
			}
			got, err := g.AddBatch(context.Background(), again, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Check(); err != nil {
				t.Fatalf("trial %d batch %d after AddBatch: %v", trial, b, err)
			}
			for i, p := range perm {
				ids[p] = got[i]
			}
		}
		if st := g.RepairStats(); st.FullRepairs != 0 {
			t.Errorf("trial %d: %d writes fell back to the full repair", trial, st.FullRepairs)
		}
	}
}

// TestRestoredInLinksGrow: after a restore the in-link lists of a chunk
// share one array with a little room each; writes that outgrow that room
// (many inserts near the same nodes), deletes and re-inserts must keep the
// index exact, as Check verifies it against the link lists.
func TestRestoredInLinksGrow(t *testing.T) {
	g, vecs := codecGraph(t)
	h, err := marshal(g).restore()
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, h)
	// New points on top of existing ones: their neighbours gain in-links
	// well beyond the slack.
	for i := range 600 {
		v := slices.Clone(vecs[i%40])
		v[0] += float32(i) * 1e-3
		if _, err := h.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, h)
	for id := uint32(100); id < 400; id += 3 {
		if err := h.Delete(id); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, h)
	for i := range 100 {
		if _, err := h.Add(vecs[200+i]); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, h)
}
