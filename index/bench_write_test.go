package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// writeBench is a graph built once per size for the write benchmarks, with
// spare vectors to add and to move nodes to.
type writeBench struct {
	g     *index.Graph
	ids   []uint32 // live ids, in random order; deletes take from the end
	spare [][]float32
	next  int // next spare vector
}

var writeBenches = map[int]*writeBench{}

func writeBenchData(b *testing.B, n int) *writeBench {
	if w, ok := writeBenches[n]; ok {
		return w
	}
	const dim, spare = 100, 50000
	vecs := clustered(int64(n), n+spare, dim, 100, true)
	g, err := index.New(dim, index.Cosine, index.Options{Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	ids, err := g.AddBatch(context.Background(), vecs[:n], 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	g.TakeDirty()
	w := &writeBench{g: g, ids: ids, spare: vecs[n:]}
	writeBenches[n] = w
	return w
}

func (w *writeBench) vec() []float32 {
	v := w.spare[w.next%len(w.spare)]
	w.next++
	return v
}

// BenchmarkWrite measures single Add, Update and Delete on graphs of 10k
// and 100k clustered 100d unit vectors (M 16, efConstruction 200), and 1M
// when VECBOLT_BENCH_1M is set (its build takes most of an hour on two
// cores). Besides ns/op it reports distance computations, nodes rewritten
// (TakeDirty) and nodes visited by local repair per write. Use a fixed
// count, e.g. -benchtime=2000x: every Add grows and every Delete shrinks
// the shared graph.
func BenchmarkWrite(b *testing.B) {
	sizes := []int{10000, 100000}
	if os.Getenv("VECBOLT_BENCH_1M") != "" {
		sizes = append(sizes, 1000000)
	}
	for _, n := range sizes {
		for _, op := range []string{"add", "update", "delete"} {
			b.Run(fmt.Sprintf("%s/n=%d", op, n), func(b *testing.B) {
				w := writeBenchData(b, n)
				g := w.g
				if op == "delete" && b.N > len(w.ids)/2 {
					b.Skipf("%d deletes would remove more than half of the graph", b.N)
				}
				r := rand.New(rand.NewPCG(uint64(n), 1))
				d0, v0 := g.DistanceComputations(), g.RepairStats().NodesVisited
				dirty := 0
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					var err error
					switch op {
					case "add":
						var id uint32
						id, err = g.Add(w.vec())
						w.ids = append(w.ids, id)
					case "update":
						err = g.Update(w.ids[r.IntN(len(w.ids))], w.vec())
					case "delete":
						last := len(w.ids) - 1
						err = g.Delete(w.ids[last])
						w.ids = w.ids[:last]
					}
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					dirty += len(g.TakeDirty())
					b.StartTimer()
				}
				b.StopTimer()
				b.ReportMetric(float64(g.DistanceComputations()-d0)/float64(b.N), "dist/op")
				b.ReportMetric(float64(dirty)/float64(b.N), "dirty/op")
				b.ReportMetric(float64(g.RepairStats().NodesVisited-v0)/float64(b.N), "repairvisited/op")
			})
		}
	}
}
