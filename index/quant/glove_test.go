package quant_test

import (
	"bufio"
	"compress/gzip"
	"container/heap"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/viterin/vek/vek32"

	"github.com/vecbolt/vecbolt/index/quant"
)

var gloveFile = filepath.Join("..", "..", "..", "shared", "data", "glove-50k-100d.txt.gz")

// loadGlove reads the GloVe file (raw vectors, not normalised), or skips
// tb when it is absent.
func loadGlove(tb testing.TB) [][]float32 {
	tb.Helper()
	f, err := os.Open(gloveFile)
	if err != nil {
		tb.Skipf("GloVe data not available (%s): %v", gloveFile, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]float32
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		v := make([]float32, len(fields)-1)
		for i, s := range fields[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				tb.Fatal(err)
			}
			v[i] = float32(x)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// topk keeps the k smallest (distance, id) pairs: a max-heap on distance.
type topk struct {
	k   int
	ids []int32
	d   []float32
}

func (h *topk) Len() int           { return len(h.ids) }
func (h *topk) Less(i, j int) bool { return h.d[i] > h.d[j] }
func (h *topk) Swap(i, j int) {
	h.ids[i], h.ids[j] = h.ids[j], h.ids[i]
	h.d[i], h.d[j] = h.d[j], h.d[i]
}
func (h *topk) Push(x any) {}
func (h *topk) Pop() any {
	n := len(h.ids) - 1
	h.ids, h.d = h.ids[:n], h.d[:n]
	return nil
}

func (h *topk) reset(k int) { h.k, h.ids, h.d = k, h.ids[:0], h.d[:0] }

func (h *topk) add(id int, d float32) {
	if len(h.ids) < h.k {
		h.ids, h.d = append(h.ids, int32(id)), append(h.d, d)
		heap.Fix(h, len(h.ids)-1)
		return
	}
	if d < h.d[0] {
		h.ids[0], h.d[0] = int32(id), d
		heap.Fix(h, 0)
	}
}

// gloveCase is one encoding: dist(qi, j) is the approximate distance from
// query qi to base vector j.
type gloveCase struct {
	name string
	dist func(qi, j int) float32
	prep func(qi int) // called once per query before dist
}

// TestGloVeRecall measures, on GloVe 50k 100d, the recall@10 of brute-force
// top-10 by each quantized distance against the exact FP32 top-10, and the
// recall after re-ranking the quantized top 10·r with exact FP32 distances
// for r = 1..4. Queries are every 50th word (1,000), held out of the base
// (49,000); INT8 parameters are trained on the base. The table it logs is
// the one in doc.go:
//
//	go test -run GloVeRecall -v ./index/quant
func TestGloVeRecall(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("GloVe recall test skipped under -short and -race")
	}
	raw := loadGlove(t)
	for _, m := range []quant.Metric{quant.Cosine, quant.L2} {
		var base, queries [][]float32
		for i, v := range raw {
			v = slices.Clone(v)
			if m == quant.Cosine {
				unit(v)
			}
			if i%50 == 49 {
				queries = append(queries, v)
			} else {
				base = append(base, v)
			}
		}
		t.Run(m.String(), func(t *testing.T) { gloveRecall(t, m, base, queries) })
	}
}

func gloveRecall(t *testing.T, m quant.Metric, base, queries [][]float32) {
	const k = 10
	dim := len(base[0])
	exact := func(q, x []float32) float32 {
		if m == quant.L2 {
			d := vek32.Distance(q, x)
			return d * d
		}
		return 1 - vek32.Dot(q, x)
	}
	// Exact top-10 of every query.
	var h topk
	truth := make([][]int32, len(queries))
	for qi, q := range queries {
		h.reset(k)
		for j, x := range base {
			h.add(j, exact(q, x))
		}
		truth[qi] = slices.Clone(h.ids)
	}

	var cases []gloveCase
	// FP16: exact query against half-precision vectors.
	fp16 := make([][]uint16, len(base))
	for j, x := range base {
		fp16[j] = make([]uint16, dim)
		if err := quant.EncodeFP16(fp16[j], x); err != nil {
			t.Fatal(err)
		}
	}
	cases = append(cases, gloveCase{name: "fp16", dist: func(qi, j int) float32 {
		return quant.DistanceFP16(m, queries[qi], fp16[j])
	}})
	type int8Conf struct {
		name string
		q    func() (*quant.Int8, error)
	}
	confs := []int8Conf{
		{"int8 symmetric, Default (bound 1)", func() (*quant.Int8, error) { return quant.Default(dim, m) }},
		{"int8 symmetric, trained max|x|", func() (*quant.Int8, error) {
			return quant.Train(dim, m, base, quant.TrainOptions{Scheme: quant.Symmetric})
		}},
		{"int8 symmetric, quantile 0.999", func() (*quant.Int8, error) {
			return quant.Train(dim, m, base, quant.TrainOptions{Scheme: quant.Symmetric, Quantile: 0.999})
		}},
		{"int8 per-dimension, min/max", func() (*quant.Int8, error) {
			return quant.Train(dim, m, base, quant.TrainOptions{Scheme: quant.PerDimension})
		}},
		{"int8 per-dimension, min/max of a 10% sample", func() (*quant.Int8, error) {
			var sample [][]float32
			for j := 0; j < len(base); j += 10 {
				sample = append(sample, base[j])
			}
			return quant.Train(dim, m, sample, quant.TrainOptions{Scheme: quant.PerDimension})
		}},
		{"int8 per-dimension, quantile 0.999", func() (*quant.Int8, error) {
			return quant.Train(dim, m, base, quant.TrainOptions{Scheme: quant.PerDimension, Quantile: 0.999})
		}},
		{"int8 per-dimension, quantile 0.99", func() (*quant.Int8, error) {
			return quant.Train(dim, m, base, quant.TrainOptions{Scheme: quant.PerDimension, Quantile: 0.99})
		}},
	}
	if m == quant.Cosine {
		confs = confs[:6]
	} else {
		confs = confs[1:6] // Default's bound 1 clips raw GloVe: not a contender
	}
	for _, c := range confs {
		q, err := c.q()
		if err != nil {
			t.Fatal(err)
		}
		codes := make([][]int8, len(base))
		corr := make([]float32, len(base))
		for j, x := range base {
			codes[j] = make([]int8, dim)
			if corr[j], err = q.Encode(codes[j], x); err != nil {
				t.Fatal(err)
			}
		}
		var qr quant.Query
		cases = append(cases, gloveCase{name: c.name,
			prep: func(qi int) {
				if err := q.PrepareQuery(&qr, queries[qi]); err != nil {
					t.Fatal(err)
				}
			},
			dist: func(qi, j int) float32 { return q.Distance(&qr, codes[j], corr[j]) },
		})
		if c.name == "int8 symmetric, trained max|x|" || c.name == "int8 per-dimension, min/max" {
			// The same codes with the query encoded as a code too (both
			// sides int8 under the data's scale, as USearch does).
			qc := make([]int8, dim)
			var qcorr float32
			cases = append(cases, gloveCase{name: c.name + ", query as code",
				prep: func(qi int) {
					if qcorr, err = q.Encode(qc, queries[qi]); err != nil {
						t.Fatal(err)
					}
				},
				dist: func(qi, j int) float32 { return q.CodeDistance(qc, qcorr, codes[j], corr[j]) },
			})
			// And the exact float query against the decoded codes: what the
			// query's own rounding costs.
			dec := make([][]float32, len(base))
			for j := range dec {
				dec[j] = make([]float32, dim)
				q.Decode(dec[j], codes[j])
			}
			cases = append(cases, gloveCase{name: c.name + ", float query",
				dist: func(qi, j int) float32 { return exact(queries[qi], dec[j]) },
			})
		}
	}

	t.Logf("GloVe 50k 100d %s, %d queries over %d: recall@10 of the quantized top-10, then after exact re-ranking of the top 10·r", m, len(queries), len(base))
	t.Logf("%-52s %7s %7s %7s %7s %7s", "encoding", "none", "r=1", "r=2", "r=3", "r=4")
	for _, c := range cases {
		var hit [5]int
		for qi, q := range queries {
			if c.prep != nil {
				c.prep(qi)
			}
			h.reset(4 * k)
			for j := range base {
				h.add(j, c.dist(qi, j))
			}
			// Sort the 40 candidates by approximate distance.
			type cand struct {
				id int32
				d  float32
			}
			cs := make([]cand, len(h.ids))
			for i := range cs {
				cs[i] = cand{h.ids[i], h.d[i]}
			}
			slices.SortFunc(cs, func(a, b cand) int {
				if a.d != b.d {
					if a.d < b.d {
						return -1
					}
					return 1
				}
				return int(a.id - b.id)
			})
			want := truth[qi]
			for _, c := range cs[:k] {
				if slices.Contains(want, c.id) {
					hit[0]++
				}
			}
			for r := 1; r <= 4; r++ {
				var rh topk
				rh.reset(k)
				for _, c := range cs[:r*k] {
					rh.add(int(c.id), exact(q, base[c.id]))
				}
				for _, id := range rh.ids {
					if slices.Contains(want, id) {
						hit[r]++
					}
				}
			}
		}
		row := fmt.Sprintf("%-52s", c.name)
		rec := make([]float64, 5)
		for i := range hit {
			rec[i] = float64(hit[i]) / float64(k*len(queries))
			row += fmt.Sprintf(" %7.4f", rec[i])
		}
		t.Log(row)
		// Bounds that catch a broken encoding (measured values are in
		// doc.go, well above these).
		switch {
		case c.name == "fp16" && rec[0] < 0.99:
			t.Errorf("%s: recall@10 %.4f, want >= 0.99", c.name, rec[0])
		case strings.HasPrefix(c.name, "int8") && !strings.Contains(c.name, "Default") && rec[4] < 0.97:
			t.Errorf("%s: recall@10 after re-ranking 40 = %.4f, want >= 0.97", c.name, rec[4])
		}
	}
}
