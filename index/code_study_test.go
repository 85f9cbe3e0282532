package index_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// studyEnv names the environment variable that runs TestEncodingStudy, the
// measurement behind the package documentation's Encodings section (several
// minutes: it builds ten 50k graphs).
const studyEnv = "VECBOLT_INDEX_STUDY"

// TestEncodingStudy measures, on GloVe 50k (49,000 words, the last 1,000 as
// queries) and on synthetic clustered data (50,000 × 128, 500 queries),
// cosine, M 16, EfConstruction 200, AddBatch on 2 workers:
//   - build CPU time and recall@10 at equal ef for a graph built on the
//     codes and one built on float32 then encoded (SetEncoding), FP16 and
//     INT8 (per-dimension, trained on the base), against float32;
//   - recall@10 against ef without re-ranking and with SearchRescore at
//     oversample 1, 2, 3 and 4.
//
// Run with VECBOLT_INDEX_STUDY=1 go test -run EncodingStudy -v ./index
// (=glove or =synthetic for one of them).
func TestEncodingStudy(t *testing.T) {
	if os.Getenv(studyEnv) == "" {
		t.Skipf("set %s=1 to run the encoding study (minutes)", studyEnv)
	}
	type dataset struct {
		name          string
		base, queries [][]float32
	}
	var sets []dataset
	which := os.Getenv(studyEnv)
	if _, err := os.Stat(gloveFile); err == nil && which != "synthetic" {
		all := glove(t, 50000)
		sets = append(sets, dataset{"glove 49k x 100", all[:49000], all[49000:]})
	}
	if which != "glove" {
		// Queries from the same clusters as the base (one seed, split).
		syn := clustered(1, 50500, 128, 50, true)
		sets = append(sets, dataset{"synthetic 50k x 128", syn[:50000], syn[50000:]})
	}
	efs := []int{10, 16, 24, 32, 48, 64, 96, 128}
	for _, ds := range sets {
		dim := len(ds.base[0])
		params := trainedParams(t, dim, index.Cosine, ds.base)
		var want [][]uint32
		type build struct {
			name  string
			enc   quant.Encoding
			after bool
		}
		builds := []build{{"fp32", quant.None, false}, {"fp16 on codes", quant.FP16, false}, {"fp16 after fp32", quant.FP16, true},
			{"int8 on codes", quant.INT8, false}, {"int8 after fp32", quant.INT8, true}}
		var table strings.Builder
		fmt.Fprintf(&table, "%s: recall@10 at ef %v\n", ds.name, efs)
		for _, b := range builds {
			g, err := index.New(dim, index.Cosine, index.Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !b.after && b.enc != quant.None {
				if err := g.SetEncoding(b.enc, params); err != nil {
					t.Fatal(err)
				}
			}
			c0, w0 := processCPU(), time.Now()
			ids, err := g.AddBatch(context.Background(), ds.base, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if b.after {
				if err := g.SetEncoding(b.enc, params); err != nil {
					t.Fatal(err)
				}
			}
			cpu, wall := time.Duration(processCPU()-c0), time.Since(w0)
			byID := make(map[uint32][]float32, len(ids))
			for i, id := range ids {
				byID[id] = ds.base[i]
			}
			if want == nil {
				want = truth(index.Cosine, byID, ds.queries, 10)
			}
			fmt.Fprintf(&table, "%-16s build %6.1fs CPU (%5.1fs wall)\n", b.name, cpu.Seconds(), wall.Seconds())
			oss := []float64{-1, 1, 2, 3, 4}
			if b.enc == quant.None {
				oss = []float64{-1}
			}
			for _, os := range oss {
				label := "  no re-rank    "
				if os > 0 {
					label = fmt.Sprintf("  oversample %.0f  ", os)
				}
				table.WriteString(label)
				for _, ef := range efs {
					var sum float64
					dst := make([]index.Neighbor, 0, 64)
					for i, q := range ds.queries {
						if os < 0 {
							dst = g.SearchInto(dst, q, 10, ef, nil)
						} else {
							dst = g.SearchRescore(dst, q, 10, ef, nil, os, exactFrom(byID))
						}
						sum += recall(dst, want[i])
					}
					fmt.Fprintf(&table, " %.4f", sum/float64(len(ds.queries)))
				}
				table.WriteString("\n")
			}
		}
		t.Log("\n" + table.String())
	}
}
