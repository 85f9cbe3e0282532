package main

import (
	"context"
	"fmt"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/index"
)

// indexSystem measures vecbolt's in-memory HNSW graph (package index)
// alone: no store, no transactions. It is the engine's number; the
// vecbolt system (through query) adds what a user pays on top.
type indexSystem struct {
	cfg   config
	g     *index.Graph
	rowOf map[uint32]int // graph id -> base row
}

func init() {
	systems["vecbolt-index"] = func(c config) (bench.System, bench.Row, error) {
		return &indexSystem{cfg: c}, bench.Row{System: "vecbolt-index", M: c.M, EfConstruction: c.EfConstruct,
			Config: "in-memory graph only"}, nil
	}
}

func (s *indexSystem) Build(ctx context.Context, base *bench.Matrix, threads int) error {
	metric, err := index.ParseMetric(string(s.cfg.Metric))
	if err != nil {
		return err
	}
	g, err := index.New(base.Dim, metric, index.Options{M: s.cfg.M, EfConstruction: s.cfg.EfConstruct})
	if err != nil {
		return err
	}
	if s.cfg.Metric == bench.Cosine {
		base = bench.Normalize(base) // the graph expects unit vectors under cosine
	}
	vecs := make([][]float32, base.Rows)
	for i := range vecs {
		vecs[i] = base.Row(i)
	}
	g.Reserve(base.Rows)
	ids, err := g.AddBatch(ctx, vecs, threads, nil)
	if err != nil {
		return err
	}
	s.rowOf = make(map[uint32]int, len(ids))
	for row, id := range ids {
		s.rowOf[id] = row
	}
	s.g = g
	return nil
}

func (s *indexSystem) Search(q []float32, k, ef int) ([]int, error) {
	if s.g == nil {
		return nil, fmt.Errorf("search before build")
	}
	if s.cfg.Metric == bench.Cosine {
		u := bench.Normalize(&bench.Matrix{Rows: 1, Dim: len(q), Data: q})
		q = u.Data
	}
	res := s.g.Search(q, k, ef, nil)
	out := make([]int, len(res))
	for i, n := range res {
		out[i] = s.rowOf[n.ID]
	}
	return out, nil
}

// DistanceComputations implements bench.DistanceCounter.
func (s *indexSystem) DistanceComputations() int64 {
	if s.g == nil {
		return 0
	}
	return int64(s.g.DistanceComputations())
}

func (s *indexSystem) Close() error { s.g = nil; return nil }
