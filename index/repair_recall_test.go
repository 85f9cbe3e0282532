package index_test

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// qualityCase grows a graph by single inserts and by deleting and
// re-inserting 30% in batches, and compares its recall@10 against brute
// force with that of a fresh bulk build of the same vectors.
type qualityCase struct {
	n, dim  int // final size, dimension
	queries int
	efs     []int
	tol     float64 // allowed recall@10 shortfall against the fresh build
}

func (qc qualityCase) run(t *testing.T) {
	const k = 10
	opts := index.Options{M: 16, EfConstruction: 100, Seed: 3}
	all := clustered(21, qc.n, qc.dim, 60, true)
	queries := clustered(22, qc.queries, qc.dim, 60, true)
	bulk := func(vecs [][]float32) (*index.Graph, map[uint32][]float32) {
		g, err := index.New(qc.dim, index.Cosine, opts)
		if err != nil {
			t.Fatal(err)
		}
		// One worker: the build, and so the test, is deterministic.
		ids, err := g.AddBatch(context.Background(), vecs, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		byID := make(map[uint32][]float32, len(vecs))
		for i, id := range ids {
			byID[id] = vecs[i]
		}
		return g, byID
	}
	compare := func(stage string, g *index.Graph, byID map[uint32][]float32, vecs [][]float32) {
		t.Helper()
		mustCheck(t, g)
		fresh, freshByID := bulk(vecs)
		want, wantFresh := truth(index.Cosine, byID, queries, k), truth(index.Cosine, freshByID, queries, k)
		for _, ef := range qc.efs {
			got, ref := recallVs(g, queries, want, k, ef), recallVs(fresh, queries, wantFresh, k, ef)
			t.Logf("%s: ef=%d recall@10 %.4f, fresh bulk build %.4f", stage, ef, got, ref)
			if got < ref-qc.tol {
				t.Errorf("%s: ef=%d recall@10 %.4f, more than %.3f below the fresh build's %.4f", stage, ef, got, qc.tol, ref)
			}
		}
	}

	// A bulk build of 90%, then the last 10% one Add at a time. (With one
	// worker the bulk build is the same sequence of inserts, so the graphs
	// differ only where local repair added links.)
	base := qc.n * 9 / 10
	g, byID := bulk(all[:base])
	for _, v := range all[base:] {
		id, err := g.Add(v)
		if err != nil {
			t.Fatal(err)
		}
		byID[id] = v
	}
	compare("after 10% single inserts", g, byID, all)

	// Delete 30% in three batches and re-insert each batch.
	r := rand.New(rand.NewPCG(5, 5))
	ids := make([]uint32, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	// Map iteration order is random: sort for a deterministic test.
	slices.Sort(ids)
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	per := qc.n / 10
	for b := range 3 {
		batch := ids[b*per : (b+1)*per]
		vecs := make([][]float32, len(batch))
		for i, id := range batch {
			vecs[i] = byID[id]
			delete(byID, id)
		}
		if err := g.Delete(batch...); err != nil {
			t.Fatal(err)
		}
		got, err := g.AddBatch(context.Background(), vecs, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range got {
			byID[id] = vecs[i]
		}
	}
	final := make([][]float32, 0, len(byID))
	keys := make([]uint32, 0, len(byID))
	for id := range byID {
		keys = append(keys, id)
	}
	slices.Sort(keys)
	for _, id := range keys {
		final = append(final, byID[id])
	}
	compare("after deleting and re-inserting 30% in batches", g, byID, final)
	t.Logf("%+v", g.RepairStats())
}

// TestRecallAfterWritesMatchesBulkBuild: recall@10 against brute force
// after 10% single inserts, and after deleting and re-inserting 30% in
// batches, is within 0.005 of a fresh bulk build's at the same ef.
func TestRecallAfterWritesMatchesBulkBuild(t *testing.T) {
	qc := qualityCase{n: 10000, dim: 32, queries: 500, efs: []int{16, 32, 64}, tol: 0.005}
	if testing.Short() {
		qc = qualityCase{n: 3000, dim: 32, queries: 300, efs: []int{16, 32}, tol: 0.01}
	}
	if raceEnabled {
		qc = qualityCase{n: 1000, dim: 16, queries: 100, efs: []int{32}, tol: 0.02}
	}
	qc.run(t)
}

// TestRecallAfterWritesLarge is the same measurement at 100k 100d vectors
// (10k single inserts into 90k); it runs only when VECBOLT_QUALITY is set
// (several minutes on two cores).
func TestRecallAfterWritesLarge(t *testing.T) {
	if os.Getenv("VECBOLT_QUALITY") == "" {
		t.Skip("set VECBOLT_QUALITY=1 to run the 100k quality measurement")
	}
	qualityCase{n: 100000, dim: 100, queries: 1000, efs: []int{16, 32, 64}, tol: 0.005}.run(t)
}
