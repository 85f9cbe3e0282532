package bench_test

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/query"
)

// bruteCosine returns the k rows of base closest to q by cosine, written
// out here as the test's own reference.
func bruteCosine(base *bench.Matrix, q []float32, k int) []int32 {
	norm := func(v []float32) float64 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		return math.Sqrt(s)
	}
	type cand struct {
		id  int32
		sim float64
	}
	nq := norm(q)
	all := make([]cand, base.Rows)
	for i := range all {
		r := base.Row(i)
		var dot float64
		for j := range r {
			dot += float64(r[j]) * float64(q[j])
		}
		all[i] = cand{int32(i), dot / (nq * norm(r))}
	}
	slices.SortFunc(all, func(a, b cand) int {
		switch {
		case a.sim > b.sim:
			return -1
		case a.sim < b.sim:
			return 1
		}
		return int(a.id - b.id)
	})
	out := make([]int32, k)
	for i := range out {
		out[i] = all[i].id
	}
	return out
}

// sweepFixture builds two cosine collections of the same 2,000 rows, one
// with a good graph and one with a poor one, and the brute-force truth of
// 60 held-out queries.
func sweepFixture(t *testing.T) (dir string, paths []string, ds bench.Dataset) {
	t.Helper()
	ctx := context.Background()
	m, err := bench.Synthetic(bench.SynthOptions{N: 2060, Dim: 16, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	base, queries := m.Slice(0, 2000), m.Slice(2000, 2060)
	dir = t.TempDir()
	for i, cfg := range [][2]int{{16, 100}, {3, 8}} {
		p := filepath.Join(dir, "s"+strconv.Itoa(i)+".db")
		v := bench.NewVecbolt(bench.VecboltOptions{Path: p, M: cfg[0], EfConstruction: cfg[1], Seed: 1})
		if err := v.Build(ctx, base, 2); err != nil {
			t.Fatal(err)
		}
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	ids := bench.NewIntMatrix(queries.Rows, 10)
	for q := range queries.Rows {
		copy(ids.Data[q*10:], bruteCosine(base, queries.Row(q), 10))
	}
	return dir, paths, bench.Dataset{Name: "sweep", Metric: bench.Cosine, Base: base, Queries: queries,
		Truth: &bench.Truth{Metric: bench.Cosine, K: 10, IDs: ids}}
}

// TestSweepDatabases checks the interleaved sweep's recall against brute
// force: for every database and ef, the recall it reports is the share of
// the true 10 nearest rows that the collection's own search returns.
func TestSweepDatabases(t *testing.T) {
	ctx := context.Background()
	_, paths, ds := sweepFixture(t)
	efs := []int{10, 40, 200}
	sw, err := bench.OpenSweep(ctx, bench.SweepOptions{Paths: paths, Labels: []string{"good", "poor"}, Rows: 2000, Dim: 16, Metric: bench.Cosine})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sw.Run(ctx, ds, bench.RunOptions{K: 10, Efs: efs, Runs: 2, Template: bench.Row{System: "vecbolt"}}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	paired := sw.Paired()
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	// Paired ratios: one per database, a pair per round and ef; the
	// reference against itself is exactly 1.
	if len(paired) != 2 || paired[0].Label != "good" || paired[1].Label != "poor" {
		t.Fatalf("paired: %+v", paired)
	}
	for _, p := range paired {
		if p.Pairs != 2*len(efs) || !(p.Q1 <= p.Median && p.Median <= p.Q3) || p.Q1 <= 0 {
			t.Errorf("paired %+v: want %d pairs, 0 < q1 <= median <= q3", p, 2*len(efs))
		}
	}
	if p := paired[0]; p.Median != 1 || p.Q1 != 1 || p.Q3 != 1 {
		t.Errorf("the reference against itself: %+v, want 1", p)
	}
	if len(rows) != len(paths)*len(efs) {
		t.Fatalf("%d rows, want %d", len(rows), len(paths)*len(efs))
	}
	for i, p := range paths {
		db, err := query.Open(p, query.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.Collection(ctx, "bench")
		if err != nil {
			t.Fatal(err)
		}
		for j, ef := range efs {
			r := rows[i*len(efs)+j]
			if want := []string{"good", "poor"}[i]; r.Config != want || r.Ef != ef || r.Runs != 2 || r.System != "vecbolt" || r.N != 2000 {
				t.Errorf("row %d: %+v", i*len(efs)+j, r)
			}
			hits := 0
			for q := range ds.Queries.Rows {
				res, err := c.Search(ctx, ds.Queries.Row(q), 10, query.SearchOptions{Ef: ef})
				if err != nil {
					t.Fatal(err)
				}
				truth := ds.Truth.IDs.Data[q*10 : q*10+10]
				for _, x := range res {
					id, _ := strconv.Atoi(x.Key)
					if slices.Contains(truth, int32(id)) {
						hits++
					}
				}
			}
			want := float64(hits) / float64(10*ds.Queries.Rows)
			if math.Abs(r.Recall-want) > 1e-9 {
				t.Errorf("%s ef %d: recall %.4f, brute force says %.4f", r.Config, ef, r.Recall, want)
			}
			if r.QPSSingle <= 0 || r.DistancesPerQuery <= 0 {
				t.Errorf("%s ef %d: QPS %v, distances %v", r.Config, ef, r.QPSSingle, r.DistancesPerQuery)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Without labels, the curves take the files' names, with their
	// directory when two are equal.
	twin := filepath.Join(t.TempDir(), "s0.db")
	if b, err := os.ReadFile(paths[0]); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(twin, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sw, err = bench.OpenSweep(ctx, bench.SweepOptions{Paths: []string{paths[0], paths[1], twin}, Rows: 2000, Dim: 16})
	if err != nil {
		t.Fatal(err)
	}
	named, err := sw.Run(ctx, ds, bench.RunOptions{K: 10, Efs: []int{10}}, nil)
	sw.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(filepath.Base(filepath.Dir(paths[0])), "s0.db"), "s1.db", filepath.Join(filepath.Base(filepath.Dir(twin)), "s0.db")}
	for i, r := range named {
		if r.Config != want[i] {
			t.Errorf("curve %d: label %q, want %q", i, r.Config, want[i])
		}
	}
	if named[0].Recall != rows[0].Recall || named[2].Recall != rows[0].Recall {
		t.Errorf("a copy of the good database: recall %.4f and %.4f, want %.4f", named[0].Recall, named[2].Recall, rows[0].Recall)
	}

	if r := rows[len(efs)-1]; r.Recall < 0.99 {
		t.Errorf("good graph at ef 200: recall %.4f", r.Recall)
	}
	if good, poor := rows[0], rows[len(efs)]; poor.Recall >= good.Recall {
		t.Errorf("ef 10: the M=3 graph's recall %.4f is not below the M=16 graph's %.4f", poor.Recall, good.Recall)
	}
}

// TestSweepDatabasesBadInput: every refused input says what and where.
func TestSweepDatabasesBadInput(t *testing.T) {
	ctx := context.Background()
	dir, paths, ds := sweepFixture(t)

	// A database with another collection name, one of another dimension,
	// one with fewer records.
	other := filepath.Join(dir, "other.db")
	v := bench.NewVecbolt(bench.VecboltOptions{Path: other, Collection: "docs", M: 8, EfConstruction: 16})
	if err := v.Build(ctx, ds.Base, 2); err != nil {
		t.Fatal(err)
	}
	v.Close()
	m4, err := bench.Synthetic(bench.SynthOptions{N: 2000, Dim: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	dim4 := filepath.Join(dir, "dim4.db")
	v = bench.NewVecbolt(bench.VecboltOptions{Path: dim4, M: 8, EfConstruction: 16})
	if err := v.Build(ctx, m4, 2); err != nil {
		t.Fatal(err)
	}
	v.Close()
	short := filepath.Join(dir, "short.db")
	v = bench.NewVecbolt(bench.VecboltOptions{Path: short, M: 8, EfConstruction: 16})
	if err := v.Build(ctx, ds.Base.Slice(0, 1500), 2); err != nil {
		t.Fatal(err)
	}
	v.Close()
	l2 := filepath.Join(dir, "l2.db")
	v = bench.NewVecbolt(bench.VecboltOptions{Path: l2, Metric: bench.L2, M: 8, EfConstruction: 16})
	if err := v.Build(ctx, ds.Base, 2); err != nil {
		t.Fatal(err)
	}
	v.Close()

	missing := filepath.Join(dir, "missing.db")
	good := bench.SweepOptions{Paths: paths, Rows: 2000, Dim: 16, Metric: bench.Cosine}
	for _, tc := range []struct {
		name  string
		bad   func(o *bench.SweepOptions)
		is    error
		wants []string
	}{
		{"no database", func(o *bench.SweepOptions) { o.Paths = nil }, bench.ErrBadArgument, []string{"no database"}},
		{"labels", func(o *bench.SweepOptions) { o.Labels = []string{"a"} }, bench.ErrBadArgument, []string{"1 labels for 2 databases"}},
		{"no shape", func(o *bench.SweepOptions) { o.Rows = 0 }, bench.ErrBadArgument, []string{"count and dimension"}},
		{"missing file", func(o *bench.SweepOptions) { o.Paths = []string{paths[0], missing} }, fs.ErrNotExist,
			[]string{"database 2 of 2", missing, "does not exist"}},
		{"wrong collection", func(o *bench.SweepOptions) { o.Paths = []string{other} }, query.ErrUnknownCollection,
			[]string{"database 1 of 1", other, `"bench"`}},
		{"dimension", func(o *bench.SweepOptions) { o.Paths = []string{paths[0], dim4} }, bench.ErrShape,
			[]string{"database 2 of 2", dim4, "dimension 4, the queries 16"}},
		{"record count", func(o *bench.SweepOptions) { o.Paths = []string{short} }, bench.ErrShape,
			[]string{short, "holds 1500 records, the truth covers 2000 rows"}},
		{"metric", func(o *bench.SweepOptions) { o.Paths = []string{l2} }, bench.ErrBadArgument,
			[]string{l2, "metric l2, the truth cosine"}},
	} {
		o := good
		tc.bad(&o)
		_, err := bench.OpenSweep(ctx, o)
		if !errors.Is(err, tc.is) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.is)
			continue
		}
		for _, w := range tc.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
	}

	// Run refuses a dataset that does not fit the databases.
	sw, err := bench.OpenSweep(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	run := bench.RunOptions{K: 10, Efs: []int{10}}
	if _, err := sw.Run(ctx, bench.Dataset{Base: ds.Base, Queries: ds.Queries}, run, nil); !errors.Is(err, bench.ErrBadArgument) || !strings.Contains(err.Error(), "truth") {
		t.Errorf("no truth: %v", err)
	}
	sub := ds
	sub.Base = ds.Base.Slice(0, 1999)
	if _, err := sw.Run(ctx, sub, run, nil); !errors.Is(err, bench.ErrShape) || !strings.Contains(err.Error(), "2000 records of dimension 16, a dataset of 1999 rows") {
		t.Errorf("dataset shape: %v", err)
	}
}
