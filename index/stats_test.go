package index_test

import (
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

func TestStats(t *testing.T) {
	vecs := clustered(70, 800, 8, 8, false)
	g, _ := build(t, 8, index.L2, index.Options{Seed: 70, M: 5, EfConstruction: 40}, vecs)
	if err := g.Delete(1, 2, 3, 4, 5); err != nil {
		t.Fatal(err)
	}
	st := g.Stats()
	if st.Nodes != 795 || st.MaxID != 800 || st.FreeSlots != 5 || st.Tombstones != 0 || st.Reachable != 795 {
		t.Errorf("stats %+v", st)
	}
	if st.MaxLevel != len(st.Levels)-1 || !g.Live(st.EntryPoint) {
		t.Errorf("max level %d with %d levels, entry %d", st.MaxLevel, len(st.Levels), st.EntryPoint)
	}
	if st.M != 5 || st.Metric != "l2" || st.Dim != 8 || st.DistanceComputations == 0 {
		t.Errorf("config in stats %+v", st)
	}
	for l, ls := range st.Levels {
		limit := 5
		if l == 0 {
			limit = 10
		}
		// counted independently: every node on level l has a list there
		if ls.MaxDegree > limit || ls.MeanDegree <= 0 || ls.MeanDegree > float64(limit) {
			t.Errorf("level %d: %+v", l, ls)
		}
		if l > 0 && ls.Nodes >= st.Levels[l-1].Nodes {
			t.Errorf("level %d has %d nodes, level below %d", l, ls.Nodes, st.Levels[l-1].Nodes)
		}
	}
	if st.Levels[0].Nodes != st.Nodes {
		t.Errorf("level 0 holds %d nodes, graph %d", st.Levels[0].Nodes, st.Nodes)
	}
	empty, _ := index.New(3, index.Dot, index.Options{})
	if st := empty.Stats(); st.EntryPoint != index.NoID || st.MaxLevel != -1 || st.Nodes != 0 {
		t.Errorf("empty stats %+v", st)
	}
}
