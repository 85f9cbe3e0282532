package index_test

import (
	"errors"
	"math/rand"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

func TestDeleteRecallMatchesFreshBuild(t *testing.T) {
	n, dim := 10000, 32
	if testing.Short() {
		n = 2000
	}
	if raceEnabled {
		n = 1000
	}
	const metric = index.Cosine
	vecs := clustered(3, n, dim, 40, true)
	queries := clustered(4, 200, dim, 40, true)
	g, byID := build(t, dim, metric, index.Options{Seed: 3}, vecs)

	r := rand.New(rand.NewSource(5))
	var del []uint32
	for _, p := range r.Perm(n)[:n*3/10] {
		del = append(del, uint32(p))
	}
	if err := g.Delete(del...); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, g)
	t.Logf("%+v", g.RepairStats())
	survivors := make(map[uint32][]float32, len(byID))
	var survVecs [][]float32
	for id := uint32(0); id < uint32(n); id++ {
		survivors[id] = byID[id]
	}
	for _, id := range del {
		delete(survivors, id)
	}
	for id := uint32(0); id < uint32(n); id++ {
		if v, ok := survivors[id]; ok {
			survVecs = append(survVecs, v)
		}
	}
	if g.Len() != len(survivors) {
		t.Fatalf("Len = %d, want %d", g.Len(), len(survivors))
	}
	fresh, freshByID := build(t, dim, metric, index.Options{Seed: 3}, survVecs)
	wantAfter := truth(metric, survivors, queries, 10)
	wantFresh := truth(metric, freshByID, queries, 10)
	for _, ef := range []int{32, 64} {
		after := recallVs(g, queries, wantAfter, 10, ef)
		want := recallVs(fresh, queries, wantFresh, 10, ef)
		t.Logf("ef=%d recall@10 after deleting 30%%: %.4f, fresh build: %.4f", ef, after, want)
		if after < want-0.02 {
			t.Errorf("ef=%d: recall after deletes %.4f, more than 0.02 below the fresh build's %.4f", ef, after, want)
		}
	}
}

func TestDeletedNeverReturned(t *testing.T) {
	const n, dim = 1500, 16
	vecs := clustered(6, n, dim, 10, true)
	g, _ := build(t, dim, index.Cosine, index.Options{Seed: 6, M: 8, EfConstruction: 64}, vecs)
	deleted := map[uint32]bool{}
	r := rand.New(rand.NewSource(7))
	for round := 0; round < 5; round++ {
		var batch []uint32
		for len(batch) < 100 {
			id := uint32(r.Intn(n))
			if !deleted[id] {
				deleted[id] = true
				batch = append(batch, id)
			}
		}
		if err := g.Delete(batch...); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, g)
		for _, id := range batch {
			if g.Live(id) || g.Vector(id) != nil {
				t.Fatalf("deleted node %d still live", id)
			}
			// a deleted node's own vector is the hardest query to miss it with
			q := vecs[id]
			for _, res := range [][]index.Neighbor{g.Search(q, 20, 100, nil), g.Exact(q, 20, nil)} {
				for _, nb := range res {
					if deleted[nb.ID] {
						t.Fatalf("deleted node %d returned", nb.ID)
					}
				}
			}
		}
	}
	if err := g.Delete(uint32(n + 5)); !errors.Is(err, index.ErrNotFound) {
		t.Errorf("Delete(unknown) = %v, want ErrNotFound", err)
	}
	for id := range deleted {
		if err := g.Delete(id); !errors.Is(err, index.ErrNotFound) {
			t.Errorf("Delete(deleted %d) = %v, want ErrNotFound", id, err)
		}
		break
	}
}

func TestFreedSlotReused(t *testing.T) {
	const dim = 8
	vecs := clustered(8, 300, dim, 5, false)
	g, _ := build(t, dim, index.L2, index.Options{Seed: 8}, vecs)
	maxID := g.MaxID()
	if err := g.Delete(17, 42, 42); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, g)
	got := map[uint32]bool{}
	for i := 0; i < 2; i++ {
		id, err := g.Add(vecs[i])
		if err != nil {
			t.Fatal(err)
		}
		got[id] = true
		mustCheck(t, g)
	}
	if !got[17] || !got[42] {
		t.Errorf("Add after Delete(17, 42) returned ids %v, want the freed slots", got)
	}
	if g.MaxID() != maxID {
		t.Errorf("MaxID grew from %d to %d although slots were free", maxID, g.MaxID())
	}
	id, _ := g.Add(vecs[2])
	if id != maxID {
		t.Errorf("next Add got %d, want %d", id, maxID)
	}
	mustCheck(t, g)
}

func TestDeleteEntryPointAndAll(t *testing.T) {
	const dim = 8
	vecs := clustered(9, 500, dim, 5, false)
	g, _ := build(t, dim, index.L2, index.Options{Seed: 9, M: 4}, vecs)
	for g.Len() > 0 {
		st := g.Stats()
		ids := []uint32{st.EntryPoint}
		// delete the entry point plus a chunk of others
		for id := uint32(0); id < g.MaxID() && len(ids) < 60; id++ {
			if g.Live(id) && id != st.EntryPoint {
				ids = append(ids, id)
			}
		}
		if err := g.Delete(ids...); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, g)
	}
	if res := g.Search(vecs[0], 5, 0, nil); len(res) != 0 {
		t.Errorf("empty graph returned %v", res)
	}
	if _, err := g.Add(vecs[0]); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, g)
}

func TestUpdate(t *testing.T) {
	n, dim, updates := 2000, 16, 200
	if raceEnabled {
		n, updates = 600, 40
	}
	vecs := clustered(10, n, dim, 20, true)
	g, byID := build(t, dim, index.Cosine, index.Options{Seed: 10}, vecs)
	other := clustered(11, 200, dim, 20, true)
	r := rand.New(rand.NewSource(12))
	st := g.Stats()
	targets := []uint32{st.EntryPoint}
	for len(targets) < updates {
		targets = append(targets, uint32(r.Intn(n)))
	}
	for i, id := range targets {
		if err := g.Update(id, other[i]); err != nil {
			t.Fatal(err)
		}
		byID[id] = other[i]
		if i%(updates/4) == 0 {
			mustCheck(t, g)
		}
	}
	mustCheck(t, g)
	for i, id := range targets {
		res := g.Search(byID[id], 1, 64, nil)
		if len(res) != 1 || res[0].Dist > 1e-5 {
			t.Fatalf("search for updated node %d's new vector (#%d) returned %v", id, i, res)
		}
	}
	if r := meanRecall(g, index.Cosine, byID, clustered(13, 100, dim, 20, true), 10, 64); r < 0.95 {
		t.Errorf("recall@10 after updates = %.4f, want >= 0.95", r)
	}
	if err := g.Update(uint32(n+1), other[0]); !errors.Is(err, index.ErrNotFound) {
		t.Errorf("Update(unknown) = %v, want ErrNotFound", err)
	}
	var de *index.DimensionError
	if err := g.Update(0, other[0][:3]); !errors.As(err, &de) || de.Got != 3 || de.Want != dim {
		t.Errorf("Update(short vector) = %v, want *DimensionError{3, %d}", err, dim)
	}
}

// TestConcurrentMutations runs searches while Delete, Update and Add
// happen (run it with -race).
func TestConcurrentMutations(t *testing.T) {
	n, dim := 1500, 12
	if raceEnabled || testing.Short() {
		n = 500
	}
	vecs := clustered(14, n, dim, 8, true)
	g, _ := build(t, dim, index.Cosine, index.Options{Seed: 14, M: 6, EfConstruction: 48}, vecs)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		dst := make([]index.Neighbor, 0, 5)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			dst = g.SearchInto(dst, vecs[i%n], 5, 0, nil)
			if len(dst) == 0 {
				t.Error("empty result")
				return
			}
		}
	}()
	r := rand.New(rand.NewSource(15))
	for round := 0; round < 10; round++ {
		var del []uint32
		for len(del) < 10 {
			if id := uint32(r.Intn(n)); g.Live(id) {
				del = append(del, id)
			}
		}
		if err := g.Delete(del...); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if id := uint32(r.Intn(n)); g.Live(id) {
				if err := g.Update(id, vecs[r.Intn(n)]); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := 0; i < 10; i++ {
			if _, err := g.Add(vecs[r.Intn(n)]); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	<-done
	mustCheck(t, g)
	if g.Len() != n {
		t.Errorf("Len = %d, want %d", g.Len(), n)
	}
}
