package index_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// TestAddBulk builds graphs in bulk batches under every metric and checks,
// after each batch, that every node is reachable (Stats traverses level 0
// without building the in-link index), then Check (which builds and
// verifies the index), recall against brute force, and that single writes
// afterwards keep every invariant.
func TestAddBulk(t *testing.T) {
	n, dim := 4000, 16
	if testing.Short() || raceEnabled {
		n = 1200
	}
	for _, m := range []index.Metric{index.L2, index.Cosine, index.Dot} {
		t.Run(m.String(), func(t *testing.T) {
			vecs := clustered(61, n, dim, 20, m == index.Cosine)
			g, _ := index.New(dim, m, index.Options{Seed: 61, M: 8, EfConstruction: 64})
			byID := map[uint32][]float32{}
			for lo := 0; lo < n; lo += n / 4 {
				part := vecs[lo : lo+n/4]
				ids, err := g.AddBulk(context.Background(), part, 2, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i, id := range ids {
					if _, dup := byID[id]; dup {
						t.Fatalf("id %d returned twice", id)
					}
					byID[id] = part[i]
				}
				if st := g.Stats(); st.Nodes != lo+n/4 || st.Reachable != st.Nodes {
					t.Fatalf("after %d nodes: %d nodes, %d reachable", lo+n/4, st.Nodes, st.Reachable)
				}
			}
			dirty := g.TakeDirty()
			slices.Sort(dirty)
			if len(dirty) != n || dirty[0] != 0 || dirty[n-1] != uint32(n-1) {
				t.Errorf("TakeDirty after the bulk load: %d ids, want 0..%d", len(dirty), n-1)
			}
			mustCheck(t, g)
			// Against brute force, and no worse than AddBatch on the same
			// vectors (dot products of clustered vectors are harder).
			queries := clustered(62, 100, dim, 20, m == index.Cosine)
			ref, _ := index.New(dim, m, index.Options{Seed: 61, M: 8, EfConstruction: 64})
			refIDs, err := ref.AddBatch(context.Background(), vecs, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			refByID := map[uint32][]float32{}
			for i, id := range refIDs {
				refByID[id] = vecs[i]
			}
			r, want := meanRecall(g, m, byID, queries, 10, 64), meanRecall(ref, m, refByID, queries, 10, 64)
			if r < want-0.03 || (m != index.Dot && r < 0.95) {
				t.Errorf("recall@10 after AddBulk = %.4f, after AddBatch %.4f", r, want)
			}
			// Single writes after the bulk load build the in-link index and
			// keep it in step; a further bulk batch keeps it too.
			id, err := g.Add(clustered(63, 1, dim, 1, m == index.Cosine)[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Delete(0, 1, 2, id); err != nil {
				t.Fatal(err)
			}
			if _, err := g.AddBulk(context.Background(), clustered(64, n/4, dim, 20, m == index.Cosine), 2, nil); err != nil {
				t.Fatal(err)
			}
			mustCheck(t, g)
		})
	}
}

// TestAddBulkSparse builds very sparse graphs (M=4, efConstruction=8)
// with AddBulk, which leaves nodes unreachable until its closing repair:
// every graph must pass Check, and some batch must have needed the repair
// (so that the test exercises it).
func TestAddBulkSparse(t *testing.T) {
	trials := 20
	if testing.Short() || raceEnabled {
		trials = 5
	}
	repairs := uint64(0)
	for trial := 0; trial < trials; trial++ {
		r := rand.New(rand.NewPCG(uint64(trial), 10))
		vecs := make([][]float32, 2000)
		for i := range vecs {
			v := make([]float32, 16)
			for j := range v {
				v[j] = float32(r.NormFloat64())
			}
			vecs[i] = v
		}
		g, _ := index.New(16, index.L2, index.Options{M: 4, EfConstruction: 8, Seed: int64(trial)})
		for lo := 0; lo < len(vecs); lo += 500 {
			if _, err := g.AddBulk(context.Background(), vecs[lo:lo+500], 2, nil); err != nil {
				t.Fatal(err)
			}
			if st := g.Stats(); st.Reachable != st.Nodes {
				t.Fatalf("trial %d: %d of %d nodes reachable after a bulk batch", trial, st.Reachable, st.Nodes)
			}
		}
		if err := g.Check(); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		repairs += g.RepairStats().BulkRepairs
	}
	if repairs == 0 {
		t.Error("no bulk batch needed the closing repair: the test does not exercise it")
	}
}

// TestAddBulkErrors: AddBulk validates every vector before adding any, and
// a cancelled bulk batch leaves a graph that passes Check.
func TestAddBulkErrors(t *testing.T) {
	g, _ := index.New(4, index.L2, index.Options{})
	if _, err := g.AddBulk(context.Background(), [][]float32{make([]float32, 4), make([]float32, 3)}, 2, nil); !errors.Is(err, index.ErrDimension) {
		t.Errorf("AddBulk with a bad vector = %v", err)
	}
	if g.Len() != 0 {
		t.Errorf("a failed AddBulk added %d vectors", g.Len())
	}
	vecs := clustered(65, 500, 4, 5, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ids, err := g.AddBulk(ctx, vecs, 2, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled AddBulk = %v", err)
	}
	added := 0
	for _, id := range ids {
		if id != index.NoID {
			added++
		}
	}
	if g.Len() != added {
		t.Errorf("Len %d after a cancelled batch reporting %d added", g.Len(), added)
	}
	mustCheck(t, g)
}
