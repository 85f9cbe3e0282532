// Command prepare turns a word-vector file (GloVe text, optionally
// gzipped) into an ann-benchmarks style split for the benchmark runners:
//
//	base.fvecs      the base vectors, in file order less the held-out rows
//	queries.fvecs   the held-out queries (a seeded sample, in file order)
//	truth.ivecs     exact top-k neighbours of each query in base (0-based
//	                base rows), with truth.dist.fvecs and truth.json beside it
//	base.keys       one word per line, line i = base row i
//	queries.keys    one word per line, line i = query row i
//	meta.json       source, metric, seed and sizes
//
// Vectors are written as read (not normalised); runners normalise for
// cosine themselves. Usage, from the repository root:
//
//	go run ./bench/cmd/prepare -out bench/out/glove
//
// With -synthetic N,DIM the input is bench.Synthetic's seeded clustered
// Gaussian data instead (N base rows plus -queries held out, seed -seed),
// written the same way without key files, so that the peers read the very
// vectors vecbolt bench measures:
//
//	go run ./bench/cmd/prepare -synthetic 200000,128 -metric l2 -out bench/out/synth-200k
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/query/format"
)

func main() {
	in := flag.String("in", "../shared/data/glove-50k-100d.txt.gz", "GloVe text file (gzip allowed)")
	out := flag.String("out", "bench/out/glove", "output directory (created)")
	name := flag.String("name", "", "data set name (default: input file name without extensions)")
	nq := flag.Int("queries", 1000, "queries to hold out")
	seed := flag.Uint64("seed", 42, "seed of the held-out sample")
	k := flag.Int("k", bench.DefaultK, "ground-truth depth")
	metricName := flag.String("metric", "cosine", "cosine, dot or l2")
	limit := flag.Int("limit", 0, "use only the first N records (0 = all)")
	synth := flag.String("synthetic", "", "N,DIM: seeded clustered Gaussian data instead of -in")
	flag.Parse()
	if *synth != "" {
		*in = "synthetic:" + *synth
	}
	if err := run(*in, *out, *name, *nq, *seed, *k, *metricName, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "prepare:", err)
		os.Exit(1)
	}
}

func run(in, out, name string, nq int, seed uint64, k int, metricName string, limit int) error {
	metric, err := bench.ParseMetric(metricName)
	if err != nil {
		return err
	}
	if spec, ok := strings.CutPrefix(in, "synthetic:"); ok && name == "" {
		name = "synthetic-" + strings.ReplaceAll(spec, ",", "x") + fmt.Sprintf("-seed%d", seed)
	}
	if name == "" {
		name = filepath.Base(in)
		for _, ext := range []string{".gz", ".txt"} {
			name = strings.TrimSuffix(name, ext)
		}
	}
	t0 := time.Now()
	keys, m, err := readInput(in, limit, nq, seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "read %d×%d from %s in %.1fs\n", m.Rows, m.Dim, in, time.Since(t0).Seconds())
	split, err := bench.HoldOut(m, nq, seed)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := bench.WriteFvecs(filepath.Join(out, "base.fvecs"), split.Base); err != nil {
		return err
	}
	if err := bench.WriteFvecs(filepath.Join(out, "queries.fvecs"), split.Queries); err != nil {
		return err
	}
	if keys != nil {
		if err := writeKeys(filepath.Join(out, "base.keys"), keys, split.BaseIdx); err != nil {
			return err
		}
		if err := writeKeys(filepath.Join(out, "queries.keys"), keys, split.QueryIdx); err != nil {
			return err
		}
	}
	t0 = time.Now()
	tr, hit, err := bench.CachedGroundTruth(context.Background(), filepath.Join(out, "truth.ivecs"), split.Base, split.Queries, metric, k, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "ground truth top-%d (%s) in %.1fs (cached: %v)\n", tr.K, metric, time.Since(t0).Seconds(), hit)
	meta := map[string]any{
		"dataset": name, "source": in, "metric": metric, "seed": seed, "queries": split.Queries.Rows,
		"base": split.Base.Rows, "dim": m.Dim, "k": tr.K, "split": "bench.HoldOut (seeded PCG sample, both parts in file order)",
	}
	b, _ := json.MarshalIndent(meta, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "meta.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: base %d, queries %d, dim %d\n", out, split.Base.Rows, split.Queries.Rows, m.Dim)
	return nil
}

// readInput reads the GloVe file in, or generates "synthetic:N,DIM" data
// (N+nq rows, so that N remain after the hold-out; no keys).
func readInput(in string, limit, nq int, seed uint64) ([]string, *bench.Matrix, error) {
	spec, ok := strings.CutPrefix(in, "synthetic:")
	if !ok {
		return readGloVe(in, limit)
	}
	var n, dim int
	if _, err := fmt.Sscanf(spec, "%d,%d", &n, &dim); err != nil || n <= 0 || dim <= 0 {
		return nil, nil, fmt.Errorf("-synthetic %q: want N,DIM, both positive", spec)
	}
	m, err := bench.Synthetic(bench.SynthOptions{N: n + nq, Dim: dim, Seed: seed})
	return nil, m, err
}

// readGloVe reads every record with query/format's GloVe reader; a bad
// record stops the run (the benchmark must not silently change its data).
func readGloVe(path string, limit int) ([]string, *bench.Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rd, err := format.NewReader(f, format.GloVe, format.ReaderOptions{Name: path})
	if err != nil {
		return nil, nil, err
	}
	m := &bench.Matrix{}
	var keys []string
	for limit <= 0 || len(keys) < limit {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if m.Dim == 0 {
			m.Dim = len(rec.Vector)
		}
		keys = append(keys, rec.Key)
		m.Data = append(m.Data, rec.Vector...)
		m.Rows++
	}
	if m.Rows == 0 {
		return nil, nil, fmt.Errorf("%s: no records", path)
	}
	return keys, m, nil
}

func writeKeys(path string, keys []string, idx []int) error {
	var b strings.Builder
	for _, i := range idx {
		b.WriteString(keys[i])
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
