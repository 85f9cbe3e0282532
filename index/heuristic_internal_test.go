package index

import (
	"context"
	"math"
	"math/rand"
	"testing"

	"github.com/vecbolt/vecbolt/index/quant"
)

var preparedKept []prepared

// selectPrepared is the alternative to selectNeighbors that
// BenchmarkSelectInt8 measures it against, for INT8 codes with
// per-dimension scales, where a distance between two codes is a float loop
// (quant.Int8.CodeDistance): each kept neighbour is decoded and prepared
// as a query once (at most m of them), and every candidate is compared
// with the prepared ones by the integer kernel.
func (g *Graph) selectPrepared(s *searcher, cands []Neighbor, m int, dst []Neighbor) []Neighbor {
	if len(preparedKept) < m {
		preparedKept = make([]prepared, m) // reused: the benchmark runs on one goroutine
	}
	kept := preparedKept
	dst = dst[:0]
	for _, c := range cands {
		if len(dst) >= m {
			break
		}
		good := true
		for i := range dst {
			if g.pdist(&kept[i], c.ID) < c.Dist {
				good = false
				break
			}
		}
		if good {
			g.prepareNode(&kept[len(dst)], c.ID)
			dst = append(dst, c)
		}
	}
	return dst
}

// BenchmarkSelectInt8 times the neighbour-selection heuristic on an INT8
// graph with per-dimension scales (GloVe-like: 10k unit vectors of 100
// gaussian components), on the EfConstruction candidate lists of 200
// inserts: selectNeighbors (code to code) against selectPrepared (each
// kept neighbour prepared as a query once), and reports how often they keep different
// lists ("differ", a fraction).
func BenchmarkSelectInt8(b *testing.B) {
	const n, dim = 10000, 100
	r := rand.New(rand.NewSource(1))
	vecs := make([][]float32, n+200)
	for i := range vecs {
		v := make([]float32, dim)
		var s float64
		for j := range v {
			v[j] = float32(r.NormFloat64()) * float32(1+j%4)
			s += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(s))
		}
		vecs[i] = v
	}
	params, err := quant.Train(dim, quant.Cosine, vecs[:n], quant.TrainOptions{})
	if err != nil {
		b.Fatal(err)
	}
	g, _ := New(dim, Cosine, Options{Seed: 1})
	if err := g.SetEncoding(quant.INT8, params); err != nil {
		b.Fatal(err)
	}
	if _, err := g.AddBatch(context.Background(), vecs[:n], 0, nil); err != nil {
		b.Fatal(err)
	}
	s := g.getSearcher()
	var lists [][]Neighbor
	for _, q := range vecs[n:] {
		g.prepareVec(&s.qry, q)
		ep, _ := unpackEntry(g.entry.Load())
		g.searchLayer(s, &s.qry, ep, g.pdist(&s.qry, ep), g.opts.EfConstruction, 0, nil)
		lists = append(lists, s.res.drainSorted(nil))
	}
	differ := 0
	for _, l := range lists {
		a := g.selectPrepared(s, l, g.m, nil)
		c := g.selectNeighbors(s, l, g.m, nil)
		if len(a) != len(c) {
			differ++
			continue
		}
		for i := range a {
			if a[i].ID != c[i].ID {
				differ++
				break
			}
		}
	}
	for _, v := range []struct {
		name string
		f    func(*searcher, []Neighbor, int, []Neighbor) []Neighbor
	}{{"prepared", g.selectPrepared}, {"code-distance", g.selectNeighbors}} {
		b.Run(v.name, func(b *testing.B) {
			var dst []Neighbor
			i := 0
			for b.Loop() {
				dst = v.f(s, lists[i%len(lists)], g.m, dst[:0])
				i++
			}
			b.ReportMetric(float64(differ)/float64(len(lists)), "differ")
		})
	}
}
