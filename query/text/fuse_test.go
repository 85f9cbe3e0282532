package text_test

import (
	"errors"
	"math"
	"testing"

	"github.com/vecbolt/vecbolt/query/text"
)

type sc = text.Scored[string]

func checkFused(t *testing.T, got []sc, want []sc) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("fused %v, want %v", got, want)
	}
	for i := range want {
		if got[i].ID != want[i].ID || !near(got[i].Score, want[i].Score) {
			t.Fatalf("position %d = %+v, want %+v (all %v)", i, got[i], want[i], got)
		}
	}
}

func TestRRF(t *testing.T) {
	a := []sc{{"a", 0.9}, {"b", 0.5}, {"c", 0.1}}
	b := []sc{{"c", 12}, {"a", 7}, {"d", 1}}
	got, err := text.RRF([][]sc{a, b}, text.FuseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// a: 1/61 + 1/62, c: 1/63 + 1/61, b: 1/62, d: 1/63.
	checkFused(t, got, []sc{{"a", 1.0/61 + 1.0/62}, {"c", 1.0/63 + 1.0/61}, {"b", 1.0 / 62}, {"d", 1.0 / 63}})

	// Weights and another k: 2/(1+1), 2/(1+2)+1/(1+1), ...
	got, _ = text.RRF([][]sc{a, b}, text.FuseOptions{K: 1, Weights: []float64{2, 1}})
	checkFused(t, got, []sc{{"a", 2.0/2 + 1.0/3}, {"c", 2.0/4 + 1.0/2}, {"b", 2.0 / 3}, {"d", 1.0 / 4}})

	// Ties keep the order of first appearance.
	got, _ = text.RRF([][]sc{{{"x", 0}}, {{"y", 0}}}, text.FuseOptions{})
	checkFused(t, got, []sc{{"x", 1.0 / 61}, {"y", 1.0 / 61}})
	if got, err := text.RRF[string](nil, text.FuseOptions{}); err != nil || len(got) != 0 {
		t.Fatalf("no lists: %v %v", got, err)
	}
}

func TestWeightedScore(t *testing.T) {
	a := []sc{{"a", 0.9}, {"b", 0.5}, {"c", 0.1}} // → 1, 0.5, 0
	b := []sc{{"c", 10}, {"a", 4}, {"d", 2}}      // → 1, 0.25, 0
	got, err := text.WeightedScore([][]sc{a, b}, text.FuseOptions{Weights: []float64{0.7, 0.3}})
	if err != nil {
		t.Fatal(err)
	}
	checkFused(t, got, []sc{{"a", 0.7 + 0.3*0.25}, {"b", 0.35}, {"c", 0.3}, {"d", 0}})
	// Distances negated: -0.2 is best.
	got, _ = text.WeightedScore([][]sc{{{"n", -0.2}, {"m", -0.6}, {"f", -1.0}}}, text.FuseOptions{})
	checkFused(t, got, []sc{{"n", 1}, {"m", 0.5}, {"f", 0}})
	// All-equal scores normalise to 1.
	got, _ = text.WeightedScore([][]sc{{{"p", 3}, {"q", 3}}}, text.FuseOptions{})
	checkFused(t, got, []sc{{"p", 1}, {"q", 1}})
}

func TestFuseErrors(t *testing.T) {
	ok := []sc{{"a", 1}}
	tests := []struct {
		name  string
		lists [][]sc
		opts  text.FuseOptions
		is    error
	}{
		{"duplicate", [][]sc{ok, {{"b", 1}, {"b", 0.5}}}, text.FuseOptions{}, text.ErrDuplicate},
		{"weights length", [][]sc{ok, ok}, text.FuseOptions{Weights: []float64{1}}, text.ErrOption},
		{"negative weight", [][]sc{ok}, text.FuseOptions{Weights: []float64{-1}}, text.ErrOption},
		{"NaN weight", [][]sc{ok}, text.FuseOptions{Weights: []float64{math.NaN()}}, text.ErrOption},
		{"negative k", [][]sc{ok}, text.FuseOptions{K: -1}, text.ErrOption},
	}
	for _, tt := range tests {
		if _, err := text.RRF(tt.lists, tt.opts); !errors.Is(err, tt.is) {
			t.Errorf("RRF %s: %v, want %v", tt.name, err, tt.is)
		}
		if tt.name == "negative k" {
			continue // WeightedScore ignores k
		}
		if _, err := text.WeightedScore(tt.lists, tt.opts); !errors.Is(err, tt.is) {
			t.Errorf("WeightedScore %s: %v, want %v", tt.name, err, tt.is)
		}
	}
	if _, err := text.WeightedScore([][]sc{{{"a", math.Inf(1)}}}, text.FuseOptions{}); !errors.Is(err, text.ErrNotFinite) {
		t.Errorf("infinite score: %v", err)
	}
	var de *text.DuplicateError
	if _, err := text.RRF([][]sc{ok, {{"b", 1}, {"b", 0}}}, text.FuseOptions{}); !errors.As(err, &de) || de.List != 1 || de.ID != "b" {
		t.Errorf("duplicate error %v does not name list 1 and b", err)
	}
}

func TestRankedFusesBM25(t *testing.T) {
	hits := []text.Hit{{Doc: 7, Score: 2.5}, {Doc: 3, Score: 1}}
	r := text.Ranked(hits)
	if len(r) != 2 || r[0] != (text.Scored[uint64]{ID: 7, Score: 2.5}) || r[1] != (text.Scored[uint64]{ID: 3, Score: 1}) {
		t.Fatalf("Ranked = %v", r)
	}
	got, err := text.RRF([][]text.Scored[uint64]{r, {{ID: 3, Score: 0.9}}}, text.FuseOptions{})
	if err != nil || got[0].ID != 3 {
		t.Fatalf("fused %v %v", got, err)
	}
}
