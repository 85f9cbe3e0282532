package index_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

func TestAddSequentialIsDeterministic(t *testing.T) {
	vecs := clustered(50, 500, 8, 5, true)
	a, _ := build(t, 8, index.Cosine, index.Options{Seed: 50, M: 6, EfConstruction: 32}, vecs)
	b, _ := build(t, 8, index.Cosine, index.Options{Seed: 50, M: 6, EfConstruction: 32}, vecs)
	for id := uint32(0); id < a.MaxID(); id++ {
		if string(a.MarshalNode(id, nil)) != string(b.MarshalNode(id, nil)) {
			t.Fatalf("node %d differs between two builds with the same seed", id)
		}
	}
	st := a.Stats()
	if st.Nodes != 500 || st.Reachable != 500 || st.Levels[0].Nodes != 500 || st.Levels[0].MaxDegree > 12 {
		t.Errorf("unexpected stats %+v", st)
	}
	for l := 1; l < len(st.Levels); l++ {
		if st.Levels[l].MaxDegree > 6 || st.Levels[l].Nodes > st.Levels[l-1].Nodes {
			t.Errorf("level %d stats %+v", l, st.Levels[l])
		}
	}
}

func TestAddErrors(t *testing.T) {
	g, _ := index.New(4, index.L2, index.Options{})
	var de *index.DimensionError
	if _, err := g.Add(make([]float32, 5)); !errors.As(err, &de) || de.Got != 5 || de.Want != 4 {
		t.Errorf("Add(5 dims) = %v", err)
	}
	if _, err := g.AddBatch(context.Background(), [][]float32{make([]float32, 4), make([]float32, 3)}, 2, nil); !errors.Is(err, index.ErrDimension) {
		t.Errorf("AddBatch with a bad vector = %v", err)
	}
	if g.Len() != 0 {
		t.Errorf("a failed AddBatch added %d vectors", g.Len())
	}
	for _, o := range []index.Options{{M: 1}, {M: index.MaxM + 1}, {Ef: -1}} {
		if _, err := index.New(4, index.L2, o); !errors.Is(err, index.ErrOptions) {
			t.Errorf("New(%+v) = %v, want ErrOptions", o, err)
		}
	}
	if _, err := index.New(0, index.L2, index.Options{}); !errors.Is(err, index.ErrOptions) {
		t.Errorf("New(dim 0) = %v", err)
	}
	if _, err := index.New(4, index.Metric(9), index.Options{}); !errors.Is(err, index.ErrMetric) {
		t.Errorf("New(metric 9) = %v", err)
	}
	if o := g.Options(); o != index.DefaultOptions() {
		t.Errorf("zero options resolved to %+v, want %+v", o, index.DefaultOptions())
	}
	for _, s := range []string{"cosine", "DOT", "l2"} {
		if m, err := index.ParseMetric(s); err != nil || m.String() != map[string]string{"cosine": "cosine", "DOT": "dot", "l2": "l2"}[s] {
			t.Errorf("ParseMetric(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := index.ParseMetric("hamming"); !errors.Is(err, index.ErrMetric) {
		t.Errorf("ParseMetric(hamming) = %v", err)
	}
}

func TestAddBatch(t *testing.T) {
	n, dim := 4000, 16
	if testing.Short() || raceEnabled {
		n = 1000
	}
	vecs := clustered(51, n, dim, 20, true)
	g, _ := index.New(dim, index.Cosine, index.Options{Seed: 51})
	var mu sync.Mutex
	last, calls := 0, 0
	ids, err := g.AddBatch(context.Background(), vecs, 4, func(done int) {
		mu.Lock()
		defer mu.Unlock()
		if done <= last {
			t.Errorf("progress went from %d to %d", last, done)
		}
		last = done
		calls++
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != n || calls == 0 {
		t.Errorf("final progress %d after %d calls, want %d", last, calls, n)
	}
	mustCheck(t, g)
	byID := map[uint32][]float32{}
	for i, id := range ids {
		if _, dup := byID[id]; dup {
			t.Fatalf("id %d returned twice", id)
		}
		byID[id] = vecs[i]
	}
	if r := meanRecall(g, index.Cosine, byID, clustered(52, 100, dim, 20, true), 10, 64); r < 0.95 {
		t.Errorf("recall@10 after AddBatch = %.4f", r)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ids, err = g.AddBatch(ctx, vecs[:100], 2, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled AddBatch = %v", err)
	}
	added := 0
	for _, id := range ids {
		if id != index.NoID {
			added++
		}
	}
	if g.Len() != n+added {
		t.Errorf("Len %d after a cancelled batch reporting %d added", g.Len(), added)
	}
	mustCheck(t, g)
}

// TestConcurrentAddSearch runs inserts and searches at once (run it with
// -race), then checks the graph and that every vector is found.
func TestConcurrentAddSearch(t *testing.T) {
	n, dim := 3000, 16
	if raceEnabled || testing.Short() {
		n = 600
	}
	vecs := clustered(53, n, dim, 10, true)
	g, _ := index.New(dim, index.Cosine, index.Options{Seed: 53, M: 8, EfConstruction: 64})
	if _, err := g.AddBatch(context.Background(), vecs[:n/4], 2, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := make([]index.Neighbor, 0, 10)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := vecs[(i*7+w)%n]
				dst = g.SearchInto(dst, q, 10, 0, nil)
				if len(dst) == 0 {
					t.Error("empty result during concurrent adds")
					return
				}
				if i%50 == 0 {
					g.Exact(q, 3, func(id uint32) bool { return id%2 == 0 })
					g.Stats()
				}
			}
		}()
	}
	var adders sync.WaitGroup
	rest := vecs[n/4:]
	for w := 0; w < 3; w++ {
		adders.Add(1)
		go func() {
			defer adders.Done()
			for i := w; i < len(rest); i += 3 {
				if _, err := g.Add(rest[i]); err != nil {
					t.Error(err)
					return
				}
				if i%97 == 0 {
					g.MarshalNode(uint32(i), nil)
					g.TakeDirty()
				}
			}
		}()
	}
	adders.Wait()
	close(stop)
	wg.Wait()
	mustCheck(t, g)
	if g.Len() != n {
		t.Fatalf("Len = %d, want %d", g.Len(), n)
	}
	missed := 0
	for _, v := range vecs {
		if res := g.Search(v, 1, 64, nil); len(res) == 0 || res[0].Dist > 1e-5 {
			missed++
		}
	}
	if missed > n/100 {
		t.Errorf("%d of %d vectors not found as their own nearest neighbour", missed, n)
	}
}
