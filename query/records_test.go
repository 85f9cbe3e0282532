package query_test

import (
	"errors"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// TestReadWithoutGraph reads records through the DB-level readers on a
// freshly opened database, without ever loading the collection's graph.
func TestReadWithoutGraph(t *testing.T) {
	db, path := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 3, Metric: query.L2, M: 8})
	if err != nil {
		t.Fatal(err)
	}
	recs := []query.Record{
		{Key: "b", Vector: []float32{1, 2, 3}, Metadata: []byte(`{"x":1}`)},
		{Key: "a", Vector: []float32{-1, 0.5, 1e-9}},
		{Key: "c", Vector: []float32{4, 4, 4}},
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg, n, err := db.CollectionInfo("c")
	if err != nil || n != 3 || cfg.Dim != 3 || cfg.Metric != query.L2 || cfg.M != 8 || cfg.EfConstruction != 200 {
		t.Fatalf("CollectionInfo = %+v, %d, %v", cfg, n, err)
	}
	r, err := db.Get(ctx, "c", "a")
	if err != nil || r.Vector[2] != 1e-9 || r.Metadata != nil {
		t.Fatalf("Get a = %+v, %v", r, err)
	}
	var order []string
	err = db.ForEach(ctx, "c", func(r query.Record) error {
		order = append(order, r.Key)
		return nil
	})
	if err != nil || len(order) != 3 || order[0] != "b" || order[1] != "a" || order[2] != "c" {
		t.Fatalf("ForEach order = %v, %v (want insertion order b a c)", order, err)
	}
	if _, err := db.Get(ctx, "c", "zz"); !errors.Is(err, query.ErrKeyNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	if _, _, err := db.CollectionInfo("nope"); !errors.Is(err, query.ErrUnknownCollection) {
		t.Fatalf("unknown collection: %v", err)
	}
	if _, err := db.Get(ctx, "nope", "a"); !errors.Is(err, query.ErrUnknownCollection) {
		t.Fatalf("unknown collection: %v", err)
	}
}
