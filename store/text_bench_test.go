package store_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// zipfText returns a text of n words drawn by Zipf's law from a
// vocabulary of 20,000 words.
func zipfText(z *rand.Zipf, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = fmt.Sprintf("w%d", z.Uint64())
	}
	return strings.Join(ws, " ")
}

// BenchmarkPutText measures one record and its 30-word text (postings,
// document frequencies, statistics) written in its own transaction into
// a collection already holding n texts. A write costs O(distinct words ·
// log n): compare the sizes' ns/op as ratios (benchstat).
func BenchmarkPutText(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			db := openTemp(b)
			rng := rand.New(rand.NewPCG(1, 2))
			z := rand.NewZipf(rng, 1.1, 1, 19999)
			mustUpdate(b, db, func(tx *store.Tx) error {
				_, err := tx.CreateCollection("c", store.Config{Dim: 4, Metric: store.L2})
				return err
			})
			for lo := 0; lo < n; lo += 5000 {
				mustUpdate(b, db, func(tx *store.Tx) error {
					c, _ := tx.Collection("c")
					for id := lo; id < min(n, lo+5000); id++ {
						if err := c.Put(&store.Record{ID: uint32(id), Key: fmt.Sprint("k", id), Vector: []float32{1, 2, 3, 4}}); err != nil {
							return err
						}
						if err := c.PutText(uint32(id), words(zipfText(z, 30))); err != nil {
							return err
						}
					}
					return nil
				})
			}
			texts := make([]*store.Text, 1000)
			for i := range texts {
				texts[i] = words(zipfText(z, 30))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				id := uint32(n + i%1000)
				mustUpdate(b, db, func(tx *store.Tx) error {
					c, _ := tx.Collection("c")
					if err := c.Put(&store.Record{ID: id, Key: fmt.Sprint("k", id), Vector: []float32{1, 2, 3, 4}}); err != nil {
						return err
					}
					return c.PutText(id, texts[i%1000])
				})
			}
		})
	}
}
