package index_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// benchSet is a built graph with held-out queries and their true
// neighbours.
type benchSet struct {
	g       *index.Graph
	queries [][]float32
	want    [][]uint32
}

var benchSets = map[string]*benchSet{}

func benchData(b *testing.B, name string, base, queries [][]float32) *benchSet {
	if s, ok := benchSets[name]; ok {
		return s
	}
	g, err := index.New(len(base[0]), index.Cosine, index.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	ids, err := g.AddBatch(context.Background(), base, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	byID := make(map[uint32][]float32, len(base))
	for i, id := range ids {
		byID[id] = base[i]
	}
	s := &benchSet{g: g, queries: queries, want: truth(index.Cosine, byID, queries, 10)}
	benchSets[name] = s
	return s
}

// BenchmarkSearch measures single-thread SearchInto (k = 10) on synthetic
// clustered data and, when present, on GloVe 100d (49,000 words, the last
// 1,000 of the 50k file as queries). Reports recall@10 against brute force
// and distance computations per query.
func BenchmarkSearch(b *testing.B) {
	type dataset struct {
		name string
		load func(b *testing.B) *benchSet
	}
	var sets []dataset
	for _, n := range []int{10000, 50000} {
		for _, dim := range []int{32, 128} {
			name := fmt.Sprintf("synthetic/n=%d/dim=%d", n, dim)
			sets = append(sets, dataset{name, func(b *testing.B) *benchSet {
				return benchData(b, name, clustered(1, n, dim, 50, true), clustered(2, 500, dim, 50, true))
			}})
		}
	}
	sets = append(sets, dataset{"glove/n=49000/dim=100", func(b *testing.B) *benchSet {
		all := glove(b, 50000)
		return benchData(b, "glove", all[:49000], all[49000:])
	}})
	for _, ds := range sets {
		for _, ef := range []int{16, 32, 64, 128} {
			b.Run(fmt.Sprintf("%s/ef=%d", ds.name, ef), func(b *testing.B) {
				s := ds.load(b)
				dst := make([]index.Neighbor, 0, 10)
				var hits float64
				for q := range s.queries {
					dst = s.g.SearchInto(dst, s.queries[q], 10, ef, nil)
					hits += recall(dst, s.want[q])
				}
				d0 := s.g.DistanceComputations()
				b.ReportAllocs()
				b.ResetTimer()
				i := 0
				for b.Loop() {
					dst = s.g.SearchInto(dst, s.queries[i%len(s.queries)], 10, ef, nil)
					i++
				}
				b.StopTimer()
				b.ReportMetric(hits/float64(len(s.queries)), "recall@10")
				b.ReportMetric(float64(s.g.DistanceComputations()-d0)/float64(i), "dists/query")
			})
		}
	}
}

// BenchmarkAdd measures single-goroutine Add into a graph that grows from
// empty, with default options.
func BenchmarkAdd(b *testing.B) {
	for _, dim := range []int{32, 128} {
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			vecs := clustered(3, 20000, dim, 50, true)
			g, _ := index.New(dim, index.Cosine, index.Options{Seed: 1})
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := g.Add(vecs[i%len(vecs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
