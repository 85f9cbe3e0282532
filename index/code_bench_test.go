package index_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// encBench is one float32 graph and the same graph (same links, restored
// through the codec) under FP16 and INT8, with queries and true
// neighbours.
type encBench struct {
	graphs  map[quant.Encoding]*index.Graph
	byID    map[uint32][]float32
	exact   index.ExactSource // a slice lookup, as a store's mapped rows are
	queries [][]float32
	want    [][]uint32
}

var encBenches = map[string]*encBench{}

// recode returns a copy of g (float32) holding enc codes, restored node by
// node from g's codec bytes and the exact vectors.
func recode(tb testing.TB, g *index.Graph, byID map[uint32][]float32, enc quant.Encoding, params *quant.Int8) *index.Graph {
	tb.Helper()
	r, err := index.Restore(g.Dim(), g.Metric(), g.Options(), g.MarshalMeta(), g.MaxID())
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.SetEncoding(enc, params); err != nil {
		tb.Fatal(err)
	}
	for id := uint32(0); id < g.MaxID(); id++ {
		if node := g.MarshalNode(id, nil); node != nil {
			if err := r.Node(id, byID[id], node); err != nil {
				tb.Fatal(err)
			}
		}
	}
	out, err := r.Finish()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func encBenchData(b *testing.B, name string, base, queries [][]float32) *encBench {
	if s, ok := encBenches[name]; ok {
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
	params := trainedParams(b, g.Dim(), index.Cosine, base)
	s := &encBench{
		graphs: map[quant.Encoding]*index.Graph{
			quant.None: g,
			quant.FP16: recode(b, g, byID, quant.FP16, nil),
			quant.INT8: recode(b, g, byID, quant.INT8, params),
		},
		byID: byID, queries: queries, want: truth(index.Cosine, byID, queries, 10),
	}
	rows := make([][]float32, g.MaxID())
	for id, v := range byID {
		rows[id] = v
	}
	s.exact = func(id uint32, _ []float32) []float32 { return rows[id] }
	encBenches[name] = s
	return s
}

// search runs one query on the graph of enc: SearchInto for float32,
// SearchRescore at oversample os otherwise.
func (s *encBench) search(enc quant.Encoding, dst []index.Neighbor, q []float32, ef int, os float64) []index.Neighbor {
	if enc == quant.None {
		return s.graphs[enc].SearchInto(dst, q, 10, ef, nil)
	}
	return s.graphs[enc].SearchRescore(dst, q, 10, ef, nil, os, s.exact)
}

// efFor returns the cheapest search reaching mean recall@10 target on
// enc's graph: the smallest beam of a ladder, and at that beam the
// smallest oversample of 1, 1.5, 2 and 3 whose candidates fit in it (an
// encoded search cannot beam below 10·oversample), with its recall.
func (s *encBench) efFor(enc quant.Encoding, target float64) (ef int, os, r float64) {
	dst := make([]index.Neighbor, 0, 64)
	for _, ef = range []int{10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 128, 160, 200, 256} {
		for _, os = range []float64{1, 1.5, 2, 3} {
			if enc == quant.None && os > 1 || 10*os > float64(ef) {
				break
			}
			var sum float64
			for i, q := range s.queries {
				dst = s.search(enc, dst, q, ef, os)
				sum += recall(dst, s.want[i])
			}
			if r = sum / float64(len(s.queries)); r >= target {
				return ef, os, r
			}
		}
	}
	return ef, os, r
}

// cpuPerQuery returns the median over rounds of the thread CPU time per
// query of enc at ef, each round one pass over the queries; the caller
// interleaves encodings so that both see the same machine.
func (s *encBench) cpuPerQuery(enc quant.Encoding, ef int, os float64) float64 {
	dst := make([]index.Neighbor, 0, 64)
	t0 := threadCPU()
	for _, q := range s.queries {
		dst = s.search(enc, dst, q, ef, os)
	}
	return float64(threadCPU()-t0) / float64(len(s.queries))
}

// largeEnv adds a set of its value's size (n × 128, isoClusters) to
// BenchmarkSearchEncoded: from 100000 on its float32 vectors (51 MB)
// outgrow the caches, its INT8 codes (13 MB) less so. Minutes to build.
const largeEnv = "VECBOLT_INDEX_BENCH_LARGE"

// BenchmarkSearchEncoded measures single-thread search on GloVe 100d (49k,
// when present) and synthetic clustered 50k × 128, cosine, k = 10, for the
// same graph in float32, FP16 and INT8 (SearchRescore), each with the
// cheapest ef and oversample reaching recall@10 0.95 (and 0.99), see
// efFor. Besides ns/op it reports the recall, ef, oversample and "x-fp32": the
// float32 graph's CPU time per query at its own ef over this encoding's,
// measured interleaved in 7 rounds in the same run (median), so above 1
// means faster than float32 at equal recall.
func BenchmarkSearchEncoded(b *testing.B) {
	type dataset struct {
		name string
		load func(b *testing.B) *encBench
	}
	sets := []dataset{
		{"synthetic/n=50000/dim=128", func(b *testing.B) *encBench {
			all := clustered(1, 50500, 128, 50, true) // queries from the base's clusters
			return encBenchData(b, "synthetic", all[:50000], all[50000:])
		}},
		{"glove/n=49000/dim=100", func(b *testing.B) *encBench {
			all := glove(b, 50000)
			return encBenchData(b, "glove", all[:49000], all[49000:])
		}},
	}
	if v := os.Getenv(largeEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("%s=%q: want a number of vectors, at least 1000", largeEnv, v)
		}
		sets = append(sets, dataset{fmt.Sprintf("isotropic/n=%d/dim=128", n), func(b *testing.B) *encBench {
			all := isoClusters(1, n+500, 128)
			return encBenchData(b, fmt.Sprintf("iso%d", n), all[:n], all[n:])
		}})
	}
	for _, ds := range sets {
		for _, target := range []float64{0.95, 0.99} {
			for _, enc := range []quant.Encoding{quant.None, quant.FP16, quant.INT8} {
				b.Run(fmt.Sprintf("%s/recall=%.2f/%s", ds.name, target, enc), func(b *testing.B) {
					s := ds.load(b)
					ef, os, r := s.efFor(enc, target)
					ef32, _, _ := s.efFor(quant.None, target)
					runtime.LockOSThread()
					var ratios []float64
					for range 7 {
						base := s.cpuPerQuery(quant.None, ef32, 1)
						ratios = append(ratios, base/s.cpuPerQuery(enc, ef, os))
					}
					runtime.UnlockOSThread()
					slices.Sort(ratios)
					dst := make([]index.Neighbor, 0, 64)
					b.ReportAllocs()
					b.ResetTimer()
					i := 0
					for b.Loop() {
						dst = s.search(enc, dst, s.queries[i%len(s.queries)], ef, os)
						i++
					}
					b.StopTimer()
					b.ReportMetric(r, "recall@10")
					b.ReportMetric(float64(ef), "ef")
					b.ReportMetric(os, "oversample")
					b.ReportMetric(ratios[len(ratios)/2], "x-fp32")
				})
			}
		}
	}
}

// isoClusters returns n unit vectors drawn as package bench's Synthetic
// draws its rows (sqrt(n)/4 gaussian centres N(0,1) per component, each row
// a centre plus N(0, 0.3²) noise in every dimension), then normalised:
// full-dimensional noise makes it much harder for HNSW than clustered's
// 8-d subspace.
func isoClusters(seed int64, n, dim int) [][]float32 {
	r := rand.New(rand.NewSource(seed))
	centres := make([][]float32, max(1, int(math.Sqrt(float64(n))/4)))
	for i := range centres {
		centres[i] = make([]float32, dim)
		for j := range centres[i] {
			centres[i][j] = float32(r.NormFloat64())
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[r.Intn(len(centres))]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + float32(0.3*r.NormFloat64())
		}
		normalize(v)
		out[i] = v
	}
	return out
}
