package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// BenchmarkPut measures bulk Put in one transaction per b.N records.
func BenchmarkPut(b *testing.B) {
	for _, dim := range []int{100, 768} {
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			db := openTemp(b)
			rng := rand.New(rand.NewPCG(1, 1))
			vecs := make([][]float32, 1024)
			for i := range vecs {
				vecs[i] = randVec(rng, dim)
			}
			mustUpdate(b, db, func(tx *store.Tx) error {
				_, err := tx.CreateCollection("c", store.Config{Dim: dim, Metric: store.Cosine})
				return err
			})
			b.ReportAllocs()
			b.ResetTimer()
			mustUpdate(b, db, func(tx *store.Tx) error {
				c, _ := tx.Collection("c")
				for i := range b.N {
					if err := c.Put(&store.Record{ID: uint32(i), Key: fmt.Sprint("key", i), Vector: vecs[i%len(vecs)]}); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}

// BenchmarkForEachID measures the loading path, per record.
func BenchmarkForEachID(b *testing.B) {
	for _, dim := range []int{100, 768} {
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			db := openTemp(b)
			const n = 5000
			fillRandom(b, db, "c", dim, n)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				mustView(b, db, func(tx *store.Tx) error {
					c, _ := tx.Collection("c")
					var sum float32
					return c.ForEachID(func(id uint32, key string, seq uint64, vec []float32) error {
						sum += vec[0]
						return nil
					})
				})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}
