package index

import (
	"context"
	"math"
	"math/rand"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
)

// searchLayerFP32 is the float32 level-0 search as it was before encodings
// (a []float32 query, the metric's kernel called directly, no switch on
// the encoding): the baseline BenchmarkEncodingSwitch compares
// searchLayer with.
func (g *Graph) searchLayerFP32(s *searcher, q []float32, ep uint32, epDist float32, ef int) {
	s.visited.reset(g.capacity)
	s.cand = s.cand[:0]
	s.res = s.res[:0]
	s.visited.visit(ep)
	s.res.push(Neighbor{ep, epDist})
	lower := epDist
	s.cand.push(Neighbor{ep, epDist})
	lines := (g.dim*4 + 63) / 64
	for len(s.cand) > 0 {
		c := s.cand[0]
		if c.Dist > lower && len(s.res) >= ef {
			break
		}
		s.cand.pop()
		blk := g.block(c.ID, 0)
		n := int(atomic.LoadUint32(&blk[0]))
		batch := s.batch[:0]
		for i := 1; i <= n; i++ {
			nb := atomic.LoadUint32(&blk[i])
			if s.visited.visit(nb) {
				continue
			}
			batch = append(batch, nb)
			prefetchVec(&g.vec(nb)[0], lines)
		}
		s.batch = batch
		for _, nb := range batch {
			d := distance(g.metric, q, g.vec(nb))
			if len(s.res) < ef || d < lower {
				s.cand.push(Neighbor{nb, d})
				s.res.push(Neighbor{nb, d})
				if len(s.res) > ef {
					s.res.pop()
				}
				lower = s.res[0].Dist
			}
		}
	}
}

// BenchmarkEncodingSwitch measures what the encoding switch in the search
// loop (pdist, rowPtr) costs a float32 graph: the level-0 search of
// searchLayer against searchLayerFP32, the same search without it, on one
// graph (20k × 100, unit gaussian mixture), interleaved in 21 rounds (alternating which runs first) of
// thread CPU time. "x-baseline" is searchLayer's CPU time over the
// baseline's (median); 1.00 means the switch costs nothing measurable.
func BenchmarkEncodingSwitch(b *testing.B) {
	const n, dim, ef = 20000, 100, 64
	r := rand.New(rand.NewSource(1))
	centres := make([][]float32, 40)
	for i := range centres {
		centres[i] = make([]float32, dim)
		for j := range centres[i] {
			centres[i][j] = float32(r.NormFloat64())
		}
	}
	vecs := make([][]float32, n+200)
	for i := range vecs {
		v := make([]float32, dim)
		c := centres[r.Intn(len(centres))]
		var s float64
		for j := range v {
			v[j] = c[j] + float32(r.NormFloat64())*0.7
			s += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(s))
		}
		vecs[i] = v
	}
	g, err := New(dim, Cosine, Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := g.AddBatch(context.Background(), vecs[:n], 0, nil); err != nil {
		b.Fatal(err)
	}
	queries := vecs[n:]
	ep, _ := unpackEntry(g.entry.Load())
	s := g.getSearcher()
	withSwitch := func() {
		for _, q := range queries {
			g.prepareVec(&s.qry, q)
			g.searchLayer(s, &s.qry, ep, g.pdist(&s.qry, ep), ef, 0, nil)
		}
	}
	baseline := func() {
		for _, q := range queries {
			g.searchLayerFP32(s, q, ep, distance(g.metric, q, g.vec(ep)), ef)
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ratios []float64
	for i := range 21 {
		// Alternate which runs first, so that neither gains from the
		// other warming the caches.
		first, second := baseline, withSwitch
		if i%2 == 1 {
			first, second = withSwitch, baseline
		}
		t0 := threadNanos()
		first()
		t1 := threadNanos()
		second()
		t2 := threadNanos()
		r := float64(t2-t1) / float64(t1-t0)
		if i%2 == 1 {
			r = 1 / r
		}
		ratios = append(ratios, r)
	}
	slices.Sort(ratios)
	b.ResetTimer()
	for b.Loop() {
		withSwitch()
	}
	b.ReportMetric(ratios[len(ratios)/2], "x-baseline")
	b.ReportMetric(ratios[0], "x-baseline-min")
	b.ReportMetric(ratios[len(ratios)-1], "x-baseline-max")
}
