package bench_test

import (
	"errors"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

func TestQueryRecall(t *testing.T) {
	truth := []int32{5, 3, 9, 1, 7}
	tests := []struct {
		name string
		got  []int
		k    int
		want float64
	}{
		{"all found in another order", []int{1, 3, 5}, 3, 2.0 / 3}, // top-3 is {5,3,9}
		{"exact", []int{5, 3, 9}, 3, 1},
		{"none", []int{0, 2, 4}, 3, 0},
		{"short list", []int{5}, 3, 1.0 / 3},
		{"empty", nil, 3, 0},
		{"duplicates count once", []int{5, 5, 5}, 3, 1.0 / 3},
		{"beyond k ignored", []int{0, 2, 5}, 2, 0},
		{"k=5", []int{7, 1, 9, 3, 5, 100}, 5, 1},
		{"k=0", []int{5}, 0, 0},
	}
	for _, tc := range tests {
		if got := bench.QueryRecall(truth, tc.got, tc.k); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRecall(t *testing.T) {
	truth := &bench.IntMatrix{Rows: 2, Dim: 2, Data: []int32{0, 1, 2, 3}}
	got, err := bench.Recall(truth, [][]int{{1, 0}, {2, 9}}, 2)
	if err != nil || got != 0.75 { // (2/2 + 1/2) / 2
		t.Fatalf("recall = %v, %v", got, err)
	}
	got, _ = bench.Recall(truth, [][]int{{0}, {3}}, 1) // top-1: {0}, {2}
	if got != 0.5 {
		t.Fatalf("recall@1 = %v", got)
	}
	if _, err := bench.Recall(truth, [][]int{{0}}, 1); !errors.Is(err, bench.ErrShape) {
		t.Errorf("rows: %v", err)
	}
	if _, err := bench.Recall(truth, [][]int{{0}, {1}}, 3); !errors.Is(err, bench.ErrBadArgument) {
		t.Errorf("k too deep: %v", err)
	}
}

func TestRecallWithTies(t *testing.T) {
	trueD := []float32{0.1, 0.2, 0.3, 0.3}
	// The system returns a different member of the tie at rank 3: full
	// credit with ties, which id-based recall would deny.
	if got := bench.RecallWithTies(trueD, []float32{0.1, 0.2, 0.3}, 3, 1e-6); got != 1 {
		t.Errorf("tie: %v", got)
	}
	if got := bench.RecallWithTies(trueD, []float32{0.1, 0.35, 0.4}, 3, 1e-3); got != 1.0/3 {
		t.Errorf("misses: %v", got)
	}
	if got := bench.RecallWithTies(trueD, []float32{0.1}, 3, 0); got != 1.0/3 {
		t.Errorf("short: %v", got)
	}
}
