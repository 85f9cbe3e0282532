package index_test

import (
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// clustered returns n seeded points in dim dimensions: gaussian clusters
// in a random 8-dimensional subspace plus a little isotropic noise, so the
// intrinsic dimension is low, as with real embeddings. Unit vectors when
// unit is set.
func clustered(seed int64, n, dim, clusters int, unit bool) [][]float32 {
	r := rand.New(rand.NewSource(seed))
	const sub = 8
	basis := make([][]float32, sub)
	for j := range basis {
		basis[j] = make([]float32, dim)
		for i := range basis[j] {
			basis[j][i] = float32(r.NormFloat64())
		}
	}
	centres := make([][sub]float64, clusters)
	for c := range centres {
		for j := range centres[c] {
			centres[c][j] = r.NormFloat64() * 2
		}
	}
	out := make([][]float32, n)
	for p := range out {
		c := centres[r.Intn(clusters)]
		v := make([]float32, dim)
		for j := 0; j < sub; j++ {
			z := float32(c[j] + r.NormFloat64()*0.5)
			for i := range v {
				v[i] += z * basis[j][i]
			}
		}
		for i := range v {
			v[i] += float32(r.NormFloat64()) * 0.05
		}
		if unit {
			normalize(v)
		}
		out[p] = v
	}
	return out
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := float32(math.Sqrt(s))
	for i := range v {
		v[i] /= n
	}
}

// refDist is the metric's distance written out in float64, independent of
// the package's kernels.
func refDist(m index.Metric, a, b []float32) float64 {
	var dot, l2 float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		d := float64(a[i]) - float64(b[i])
		l2 += d * d
	}
	switch m {
	case index.Cosine:
		return 1 - dot
	case index.Dot:
		return -dot
	}
	return l2
}

// bruteForce returns the ids of the k nearest allowed vectors among ids.
func bruteForce(m index.Metric, vecs map[uint32][]float32, q []float32, k int, allow func(uint32) bool) []uint32 {
	type nd struct {
		id uint32
		d  float64
	}
	var all []nd
	for id, v := range vecs {
		if allow != nil && !allow(id) {
			continue
		}
		all = append(all, nd{id, refDist(m, q, v)})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].d != all[j].d {
			return all[i].d < all[j].d
		}
		return all[i].id < all[j].id
	})
	if len(all) > k {
		all = all[:k]
	}
	ids := make([]uint32, len(all))
	for i, x := range all {
		ids[i] = x.id
	}
	return ids
}

// recall is |got ∩ want| / |want|.
func recall(got []index.Neighbor, want []uint32) float64 {
	if len(want) == 0 {
		return 1
	}
	set := make(map[uint32]bool, len(want))
	for _, id := range want {
		set[id] = true
	}
	hit := 0
	for _, n := range got {
		if set[n.ID] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}

// build adds vecs one by one and returns the graph and id -> vector.
func build(t testing.TB, dim int, m index.Metric, opts index.Options, vecs [][]float32) (*index.Graph, map[uint32][]float32) {
	t.Helper()
	g, err := index.New(dim, m, opts)
	if err != nil {
		t.Fatal(err)
	}
	byID := make(map[uint32][]float32, len(vecs))
	for _, v := range vecs {
		id, err := g.Add(v)
		if err != nil {
			t.Fatal(err)
		}
		byID[id] = v
	}
	return g, byID
}

// meanRecall searches every query and returns mean recall@k vs brute force.
func meanRecall(g *index.Graph, m index.Metric, byID map[uint32][]float32, queries [][]float32, k, ef int) float64 {
	return recallVs(g, queries, truth(m, byID, queries, k), k, ef)
}

// truth returns the brute-force k nearest ids of each query.
func truth(m index.Metric, byID map[uint32][]float32, queries [][]float32, k int) [][]uint32 {
	out := make([][]uint32, len(queries))
	for i, q := range queries {
		out[i] = bruteForce(m, byID, q, k, nil)
	}
	return out
}

// recallVs returns mean recall@k of Search at ef against precomputed truth.
func recallVs(g *index.Graph, queries [][]float32, want [][]uint32, k, ef int) float64 {
	var sum float64
	for i, q := range queries {
		sum += recall(g.Search(q, k, ef, nil), want[i])
	}
	return sum / float64(len(queries))
}

func mustCheck(t testing.TB, g *index.Graph) {
	t.Helper()
	if err := g.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}
