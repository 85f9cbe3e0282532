package index_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// encodedCase is one way to get an encoded graph.
type encodedCase struct {
	name  string
	enc   quant.Encoding
	after bool // build on float32, then SetEncoding
}

var encodedCases = []encodedCase{
	{"fp16", quant.FP16, false},
	{"int8", quant.INT8, false},
	{"fp16-after", quant.FP16, true},
	{"int8-after", quant.INT8, true},
}

// trainedParams returns per-dimension INT8 parameters trained on vecs.
func trainedParams(t testing.TB, dim int, m index.Metric, vecs [][]float32) *quant.Int8 {
	t.Helper()
	p, err := quant.Train(dim, quant.Metric(m), vecs, quant.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// buildEncoded builds a graph over vecs (AddBatch on one worker, so the
// build is deterministic) encoded as c says, and returns it with its id ->
// exact vector map.
func buildEncoded(t testing.TB, c encodedCase, dim int, m index.Metric, opts index.Options, vecs [][]float32, params *quant.Int8) (*index.Graph, map[uint32][]float32) {
	t.Helper()
	g, err := index.New(dim, m, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !c.after {
		if err := g.SetEncoding(c.enc, params); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := g.AddBatch(context.Background(), vecs, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.after {
		if err := g.SetEncoding(c.enc, params); err != nil {
			t.Fatal(err)
		}
	}
	byID := make(map[uint32][]float32, len(vecs))
	for i, id := range ids {
		byID[id] = vecs[i]
	}
	return g, byID
}

func exactFrom(byID map[uint32][]float32) index.ExactSource {
	return func(id uint32) []float32 { return byID[id] }
}

// TestEncodedRecall: on every metric and encoding, SearchRescore's
// recall@10 against brute force over the exact vectors is at least 0.95 at
// ef 64, and its distances are the exact ones.
func TestEncodedRecall(t *testing.T) {
	const n, dim, k, ef = 3000, 32, 10, 64
	for _, m := range []index.Metric{index.Cosine, index.Dot, index.L2} {
		data := clustered(7, n+100, dim, 20, m == index.Cosine)
		if m != index.Cosine {
			// Non-unit, shifted and scaled per dimension.
			for _, v := range data {
				for i := range v {
					v[i] = v[i]*float32(1+i%5) + float32(i%7) - 3
				}
			}
		}
		base, queries := data[:n], data[n:]
		params := trainedParams(t, dim, m, base)
		for _, c := range encodedCases {
			t.Run(fmt.Sprintf("%s/%s", m, c.name), func(t *testing.T) {
				g, byID := buildEncoded(t, c, dim, m, index.Options{Seed: 1}, base, params)
				mustCheck(t, g)
				if got := g.Encoding(); got != c.enc {
					t.Fatalf("Encoding %s, want %s", got, c.enc)
				}
				want := truth(m, byID, queries, k)
				var sum float64
				for i, q := range queries {
					got := g.SearchRescore(nil, q, k, ef, nil, 0, exactFrom(byID))
					sum += recall(got, want[i])
					for _, nb := range got {
						if d := refDist(m, q, byID[nb.ID]); math.Abs(d-float64(nb.Dist)) > 1e-3*max(1, math.Abs(d)) {
							t.Fatalf("query %d: node %d distance %v, exact %v", i, nb.ID, nb.Dist, d)
						}
					}
				}
				r := sum / float64(len(queries))
				t.Logf("recall@%d at ef %d: %.4f", k, ef, r)
				if r < 0.95 {
					t.Errorf("recall@%d at ef %d = %.4f, want >= 0.95", k, ef, r)
				}
			})
		}
	}
}
