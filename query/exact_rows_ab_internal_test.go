package query

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExactRowsAB measures the read-only open of an INT8 collection with
// its exact rows read through the mapping or the file (lean reads), and
// its level-0 lists packed or at their fixed stride (the default is
// mmap+packed), on a database given in the environment (it skips
// otherwise):
//
//	VECBOLT_AB_DB=bench.db VECBOLT_AB_QUERIES=queries.fvecs [VECBOLT_AB_COLLECTION=bench] \
//	[VECBOLT_AB_EFS=32,64,128] [VECBOLT_AB_ROUNDS=7] go test -run TestExactRowsAB -v ./query
//
// The opens are read-only and live in this process; for each ef and round
// each answers every query once, in a rotating order, on one locked
// thread. It prints per ef the best and median QPS of each (thread CPU
// time on Linux, and wall time) and the median over the rounds of each
// one's QPS over the baseline's in the same round, and fails if any two
// return different results.
func TestExactRowsAB(t *testing.T) {
	path, qpath := os.Getenv("VECBOLT_AB_DB"), os.Getenv("VECBOLT_AB_QUERIES")
	if path == "" || qpath == "" {
		t.Skip("set VECBOLT_AB_DB and VECBOLT_AB_QUERIES to measure")
	}
	name := envOr("VECBOLT_AB_COLLECTION", "bench")
	rounds, _ := strconv.Atoi(envOr("VECBOLT_AB_ROUNDS", "7"))
	var efs []int
	for _, f := range strings.Split(envOr("VECBOLT_AB_EFS", "32,64,128"), ",") {
		ef, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		efs = append(efs, ef)
	}
	queries := readFvecsForTest(t, qpath)
	ctx := context.Background()
	type variant struct {
		name          string
		mapped, fixed bool
	}
	variants := []variant{{"mmap+fixed", true, true}, {"pread+fixed", false, true}, {"mmap+packed", true, false}, {"pread+packed", false, false}}
	if only := os.Getenv("VECBOLT_AB_VARIANTS"); only != "" { // a comma-separated subset, by name; the first is the baseline
		var some []variant
		for _, name := range strings.Split(only, ",") {
			i := slices.IndexFunc(variants, func(v variant) bool { return v.name == name })
			if i < 0 {
				t.Fatalf("VECBOLT_AB_VARIANTS: no variant %q", name)
			}
			some = append(some, variants[i])
		}
		variants = some
	}
	cols := make([]*Collection, len(variants))
	for i, v := range variants {
		// LeanReads reads the rows through the file; fixedLists leaves
		// the lists at their fixed stride.
		fixedLists.Store(v.fixed)
		db, err := Open(path, Options{ReadOnly: true, LeanReads: !v.mapped})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if cols[i], err = db.Collection(ctx, name); err != nil {
			t.Fatal(err)
		}
		fixedLists.Store(false)
		t.Logf("%-20s heap %+v", v.name, cols[i].g.Memory())
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pass := func(c *Collection, ef int, out [][]Result) (cpu, wall float64) {
		c0, w0 := threadNanos(), time.Now()
		for i, q := range queries {
			res, err := c.Search(ctx, q, 10, SearchOptions{Ef: ef})
			if err != nil {
				t.Fatal(err)
			}
			if out != nil {
				out[i] = res
			}
		}
		return float64(threadNanos()-c0) / 1e9, time.Since(w0).Seconds()
	}
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("load %s", strings.TrimSpace(string(load)))
	for _, ef := range efs {
		// Warm every variant and compare their answers.
		got := make([][][]Result, len(cols))
		for v := range cols {
			got[v] = make([][]Result, len(queries))
			pass(cols[v], ef, got[v])
		}
		for v := 1; v < len(cols); v++ {
			for i := range queries {
				if !slices.EqualFunc(got[0][i], got[v][i], func(a, b Result) bool {
					return a.Key == b.Key && math.Float32bits(a.Score) == math.Float32bits(b.Score)
				}) {
					t.Fatalf("ef %d query %d: %s answers %v, %s %v", ef, i, variants[v].name, got[v][i], variants[0].name, got[0][i])
				}
			}
		}
		cpu := make([][]float64, len(cols))
		wall := make([][]float64, len(cols))
		ratioCPU := make([][]float64, len(cols))
		ratioWall := make([][]float64, len(cols))
		for r := 0; r < rounds; r++ {
			rc := make([]float64, len(cols))
			rw := make([]float64, len(cols))
			for j := range cols {
				v := (j + r) % len(cols)
				rc[v], rw[v] = pass(cols[v], ef, nil)
				cpu[v] = append(cpu[v], float64(len(queries))/rc[v])
				wall[v] = append(wall[v], float64(len(queries))/rw[v])
			}
			for v := range cols {
				ratioCPU[v] = append(ratioCPU[v], rc[0]/rc[v])
				ratioWall[v] = append(ratioWall[v], rw[0]/rw[v])
			}
		}
		for v := range cols {
			t.Logf("ef %3d %-20s CPU QPS best %6.0f median %6.0f | wall best %6.0f median %6.0f | QPS / before: CPU median %.3f [%s] wall median %.3f",
				ef, variants[v].name, slices.Max(cpu[v]), median(cpu[v]), slices.Max(wall[v]), median(wall[v]), median(ratioCPU[v]), fmtRatios(ratioCPU[v]), median(ratioWall[v]))
		}
	}
	load, _ = os.ReadFile("/proc/loadavg")
	t.Logf("load %s", strings.TrimSpace(string(load)))
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	return s[len(s)/2]
}

func fmtRatios(x []float64) string {
	f := make([]string, len(x))
	for i, r := range x {
		f[i] = fmt.Sprintf("%.3f", r)
	}
	return strings.Join(f, " ")
}

// readFvecsForTest reads an fvecs file (per vector: int32 dim, then dim
// float32, little-endian).
func readFvecsForTest(t *testing.T, path string) [][]float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float32
	for len(b) >= 4 {
		d := int(binary.LittleEndian.Uint32(b))
		if d <= 0 || len(b) < 4+4*d {
			t.Fatalf("%s: truncated at vector %d", path, len(out))
		}
		v := make([]float32, d)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4+4*i:]))
		}
		out = append(out, v)
		b = b[4+4*d:]
	}
	return out
}
