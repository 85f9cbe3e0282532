package query_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// BenchmarkAddDocuments adds n documents of 20 words (one known word, the
// rest drawn by Zipf's law from 20,000 words, which BM25 indexes though
// the embedder does not know them) in one AddDocuments call. The cost per
// document should not grow with n: compare ns/doc across sizes.
func BenchmarkAddDocuments(b *testing.B) {
	for _, n := range []int{1000, 4000, 16000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, 6))
			z := rand.NewZipf(rng, 1.1, 1, 19999)
			docs := make([]query.Document, n)
			for i := range docs {
				ws := []string{wordVecs[i%len(wordVecs)].w}
				for range 19 {
					ws = append(ws, fmt.Sprintf("w%d", z.Uint64()))
				}
				docs[i] = query.Document{Key: fmt.Sprint("d", i), Text: strings.Join(ws, " ")}
			}
			for b.Loop() {
				b.StopTimer()
				_, c, _ := textDB(b, "words:words")
				b.StartTimer()
				if _, err := c.AddDocuments(ctx, docs, query.DocumentOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/doc")
		})
	}
}
