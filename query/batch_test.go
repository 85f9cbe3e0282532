package query_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

func TestSearchBatch(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "b", query.CollectionConfig{Dim: 8, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, c, clustered(41, 1000, 8))
	qs := clustered(42, 200, 8)
	for _, opts := range []query.SearchOptions{{}, {Exact: true}, {Restrict: 300, Ef: 100}} {
		got, err := c.SearchBatch(ctx, qs, 5, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(qs) {
			t.Fatalf("%d result lists for %d queries", len(got), len(qs))
		}
		for i, q := range qs {
			one, err := c.Search(ctx, q, 5, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(one) != len(got[i]) {
				t.Fatalf("query %d: batch %v, alone %v", i, got[i], one)
			}
			for j := range one {
				if one[j].Key != got[i][j].Key {
					t.Fatalf("query %d: batch %v, alone %v", i, got[i], one)
				}
			}
		}
	}
	bad := append([][]float32{}, qs[:3]...)
	bad = append(bad, []float32{1, 2})
	_, err = c.SearchBatch(ctx, bad, 5, query.SearchOptions{})
	if !errors.Is(err, query.ErrDimension) || !strings.Contains(err.Error(), "vector 3") {
		t.Fatalf("bad vector: %v", err)
	}
	cctx, cancel := ctxWithCancel()
	cancel()
	if _, err := c.SearchBatch(cctx, qs, 5, query.SearchOptions{}); err == nil {
		t.Fatal("cancelled batch succeeded")
	}
	if got, err := c.SearchBatch(ctx, nil, 5, query.SearchOptions{}); err != nil || len(got) != 0 {
		t.Fatalf("empty batch: %v, %v", got, err)
	}
}

func ctxWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }
