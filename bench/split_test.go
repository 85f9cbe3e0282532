package bench_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

func TestHoldOut(t *testing.T) {
	m := bench.NewMatrix(100, 3)
	for i := 0; i < m.Rows; i++ {
		m.Row(i)[0] = float32(i) // row identity
	}
	s, err := bench.HoldOut(m, 10, 42)
	if err != nil {
		t.Fatal(err)
	}
	if s.Base.Rows != 90 || s.Queries.Rows != 10 || len(s.BaseIdx) != 90 || len(s.QueryIdx) != 10 {
		t.Fatalf("sizes %d %d", s.Base.Rows, s.Queries.Rows)
	}
	if !slices.IsSorted(s.BaseIdx) || !slices.IsSorted(s.QueryIdx) {
		t.Fatal("indices not ascending")
	}
	all := append(slices.Clone(s.BaseIdx), s.QueryIdx...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("base and queries do not partition the rows: %v", all)
		}
	}
	for i, orig := range s.BaseIdx {
		if s.Base.Row(i)[0] != float32(orig) {
			t.Fatalf("base row %d is not original row %d", i, orig)
		}
	}
	for i, orig := range s.QueryIdx {
		if s.Queries.Row(i)[0] != float32(orig) {
			t.Fatalf("query row %d is not original row %d", i, orig)
		}
	}
	again, _ := bench.HoldOut(m, 10, 42)
	if !slices.Equal(again.QueryIdx, s.QueryIdx) {
		t.Fatal("same seed, different split")
	}
	other, _ := bench.HoldOut(m, 10, 43)
	if slices.Equal(other.QueryIdx, s.QueryIdx) {
		t.Fatal("different seeds, same split")
	}
	// Writes to the split do not reach the input.
	s.Base.Row(0)[1] = 99
	if m.Row(s.BaseIdx[0])[1] == 99 {
		t.Fatal("split shares memory with its input")
	}
	for _, n := range []int{0, -1, 100, 101} {
		if _, err := bench.HoldOut(m, n, 1); !errors.Is(err, bench.ErrBadArgument) {
			t.Errorf("n=%d: %v", n, err)
		}
	}
}

func TestHoldOutUniform(t *testing.T) {
	// Every row should be drawn about equally often over many seeds.
	m := bench.NewMatrix(20, 1)
	counts := make([]int, 20)
	const seeds = 2000
	for seed := uint64(0); seed < seeds; seed++ {
		s, _ := bench.HoldOut(m, 5, seed)
		for _, i := range s.QueryIdx {
			counts[i]++
		}
	}
	want := seeds * 5 / 20 // 500
	for i, c := range counts {
		if c < want-120 || c > want+120 {
			t.Errorf("row %d drawn %d times, want about %d", i, c, want)
		}
	}
}
