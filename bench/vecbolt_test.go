package bench_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/query"
)

func TestVecboltSystem(t *testing.T) {
	ctx := context.Background()
	ds := heldOutDataset(t, 1040, 16, 9, 40, bench.L2)
	path := filepath.Join(t.TempDir(), "bench.db")
	sys := bench.NewVecbolt(bench.VecboltOptions{Path: path, Metric: bench.L2, M: 8, EfConstruction: 64})
	defer sys.Close()
	var seen []int
	rows, err := bench.Run(ctx, sys, ds, bench.RunOptions{K: 10, Efs: []int{16, 128}, BuildThreads: 2, SearchThreads: 2,
		Template: bench.Row{System: "vecbolt", M: 8, EfConstruction: 64}, AfterEf: func(r bench.Row) { seen = append(seen, r.Ef) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(seen) != 2 || seen[1] != 128 {
		t.Fatalf("rows %d, AfterEf saw %v", len(rows), seen)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.FileBytes != st.Size() || r.BytesPerVector != float64(st.Size())/1000 || r.BuildSeconds <= 0 || r.DistancesPerQuery <= 0 {
			t.Errorf("row %+v (file %d bytes)", r, st.Size())
		}
	}
	// 1,000 clustered points, ef 128 >= a tenth of them: near exact.
	if rows[1].Recall < 0.95 {
		t.Errorf("recall@10 at ef 128: %.3f", rows[1].Recall)
	}
	rate, err := sys.MeasureInserts(ctx, ds.Queries, 5, time.Minute)
	if err != nil || rate <= 0 {
		t.Fatalf("MeasureInserts: %v %v", rate, err)
	}
	if err := sys.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Collection(ctx, sys.Collection())
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 1000 || c.Has("bench-insert-0") {
		t.Errorf("after MeasureInserts: %d records, inserted key still there: %v", c.Len(), c.Has("bench-insert-0"))
	}

	// Build never overwrites a file.
	again := bench.NewVecbolt(bench.VecboltOptions{Path: path})
	if err := again.Build(ctx, ds.Base, 1); !errors.Is(err, bench.ErrBadArgument) {
		t.Errorf("build over an existing file: %v", err)
	}
}
