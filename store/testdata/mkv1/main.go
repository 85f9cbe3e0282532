// Command mkv1 wrote testdata/v1.vecbolt with vecbolt at commit dfc0cf5 (format
// version 1): go run ./store/testdata/mkv1 store/testdata/v1.vecbolt from a
// checkout of that commit. The upgrade tests regenerate the same vectors.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"

	"github.com/vecbolt/vecbolt/query"
)

func main() {
	ctx := context.Background()
	path := os.Args[1]
	db, err := query.Open(path, query.Options{})
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewSource(1))
	words, err := db.CreateCollection(ctx, "words", query.CollectionConfig{Dim: 8, Metric: query.Cosine, M: 4, EfConstruction: 32, Seed: 7})
	if err != nil {
		panic(err)
	}
	var recs []query.Record
	for i := 0; i < 300; i++ {
		v := make([]float32, 8)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		var meta json.RawMessage
		if i%3 == 0 {
			meta = json.RawMessage(fmt.Sprintf(`{"i":%d,"tag":"t%d"}`, i, i%5))
		}
		recs = append(recs, query.Record{Key: fmt.Sprintf("w%03d", i), Vector: v, Metadata: meta})
	}
	if err := words.UpsertBatch(ctx, recs[:250], query.BatchOptions{Workers: 1}); err != nil {
		panic(err)
	}
	for _, r := range recs[250:] {
		if err := words.Upsert(ctx, r.Key, r.Vector, r.Metadata); err != nil {
			panic(err)
		}
	}
	var del []string
	for i := 0; i < 300; i += 15 {
		del = append(del, fmt.Sprintf("w%03d", i))
	}
	if _, err := words.Delete(ctx, del...); err != nil {
		panic(err)
	}
	if err := words.Upsert(ctx, "w001", []float32{1, 2, 3, 4, 5, 6, 7, 8}, json.RawMessage(`{"updated":true}`)); err != nil {
		panic(err)
	}
	pts, err := db.CreateCollection(ctx, "points", query.CollectionConfig{Dim: 3, Metric: query.L2})
	if err != nil {
		panic(err)
	}
	recs = recs[:0]
	for i := 0; i < 50; i++ {
		recs = append(recs, query.Record{Key: fmt.Sprintf("p%d", i), Vector: []float32{float32(i), float32(i % 7), -float32(i) / 2}})
	}
	if err := pts.UpsertBatch(ctx, recs, query.BatchOptions{Workers: 1}); err != nil {
		panic(err)
	}
	if _, err := db.CreateCollection(ctx, "empty", query.CollectionConfig{Dim: 4, Metric: query.Dot}); err != nil {
		panic(err)
	}
	if err := db.Close(); err != nil {
		panic(err)
	}
}
