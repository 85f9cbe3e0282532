package bench_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/query"
)

func TestMeasureWrites(t *testing.T) {
	ctx := context.Background()
	m, err := bench.Synthetic(bench.SynthOptions{N: 600, Dim: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	base, extra := m.Slice(0, 400), m.Slice(400, 600)
	path := filepath.Join(t.TempDir(), "w.db")
	o := bench.WritesOptions{Path: path, Metric: bench.L2, M: 8, EfConstruction: 32, Base: base, Extra: extra,
		Ops: 6, Writers: 4, Freelist: true}
	for run := range 2 { // built, then reused
		rep, err := bench.MeasureWrites(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if (run == 0) != (rep.BuildSeconds > 0) {
			t.Errorf("run %d: build seconds %v", run, rep.BuildSeconds)
		}
		want := map[string]int{"raw-bbolt": 6, "insert": 6, "update": 6, "metadata": 6, "noop": 6, "delete": 6, "group-insert": 32}
		for _, p := range rep.Phases {
			if n, ok := want[p.Name]; !ok || p.Ops != n || p.PerSecond <= 0 {
				t.Errorf("run %d: phase %+v", run, p)
			}
			delete(want, p.Name)
		}
		if len(want) != 0 {
			t.Errorf("run %d: phases missing: %v", run, want)
		}
		if p := rep.Phase("noop"); p.CommitsPerOp != 0 || p.NodesPerOp != 0 {
			t.Errorf("identical re-upserts committed: %+v", p)
		}
		if p := rep.Phase("metadata"); p.CommitsPerOp != 1 || p.NodesPerOp != 0 {
			t.Errorf("metadata-only writes: %+v", p)
		}
		if p := rep.Phase("insert"); p.CommitsPerOp != 1 || p.NodesPerOp < 1 {
			t.Errorf("inserts: %+v", p)
		}
		if p := rep.Phase("group-insert"); p.CommitsPerOp > 1 {
			t.Errorf("group inserts: %+v", p)
		}
		if len(rep.Freelists) != 2 {
			t.Errorf("freelist probes: %+v", rep.Freelists)
		}
	}
	// The inserted records are gone again.
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := db.Collection(ctx, "bench")
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 400 {
		t.Errorf("%d records after two runs, want 400", c.Len())
	}

	// Bad arguments.
	for _, bad := range []bench.WritesOptions{
		{Base: base, Extra: extra, Ops: 6},
		{Path: path, Extra: extra, Ops: 6},
		{Path: path, Base: base, Extra: extra},
		{Path: path, Base: base, Extra: extra.Slice(0, 10), Ops: 6},
	} {
		if _, err := bench.MeasureWrites(ctx, bad); !errors.Is(err, bench.ErrBadArgument) {
			t.Errorf("%+v: %v, want ErrBadArgument", bad, err)
		}
	}
	small := o
	small.Base = base.Slice(0, 100)
	small.Path = filepath.Join(t.TempDir(), "other.db")
	if _, err := bench.MeasureWrites(ctx, small); err != nil {
		t.Fatal(err)
	}
	small.Base = base
	if _, err := bench.MeasureWrites(ctx, small); !errors.Is(err, bench.ErrBadArgument) {
		t.Errorf("a reused file with fewer records: %v", err)
	}
}
