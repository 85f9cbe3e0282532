package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// SweepOptions configures OpenSweep: the databases and what each must
// hold.
type SweepOptions struct {
	// Paths are the database files, each holding Collection with Rows
	// records of dimension Dim under Metric (keys are the row numbers of
	// the dataset later swept). They are opened read-only, all at once.
	// At least one.
	Paths []string
	// Labels name the curves (Row.Config); nil means the files' base
	// names (with their directory's name when two base names are equal).
	// When given, one per path.
	Labels []string
	// Collection is the collection's name; "" means "bench".
	Collection string
	Rows, Dim  int
	// Metric, if not "", must be the collections' metric.
	Metric Metric
}

// SweepError reports a database OpenSweep refuses: which one (1-based, of
// how many), its path, and why. Err is the cause: fs.ErrNotExist,
// query.ErrUnknownCollection, ErrShape, ErrBadArgument, or an error of
// query.Open.
type SweepError struct {
	Index, Of int
	Path      string
	Detail    string // empty when Err says it all
	Err       error
}

func (e *SweepError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("bench: sweep: database %d of %d, %s: %v", e.Index, e.Of, e.Path, e.Err)
	}
	return fmt.Sprintf("%v: sweep: database %d of %d, %s: %s", e.Err, e.Index, e.Of, e.Path, e.Detail)
}

func (e *SweepError) Unwrap() error { return e.Err }

// Sweep is a set of databases holding the same records, open read-only
// together, to be swept interleaved (Run). Close it.
type Sweep struct {
	systems []*openedSystem
	paths   []string
	rows    int
	dim     int
	paired  []PairedRatio
}

// PairedRatio summarises one database's QPS against the first database's
// (the reference) pass by pass: each pair is the two QPS of the same ef
// in the same round of Sweep.Run, measured one right after the other, so
// the machine's drift over the run cancels out of the ratio. On a shared,
// noisy machine the median of these ratios is steadier than a ratio of
// the fastest passes (one lucky pass moves the latter). At equal ef the
// two graphs do the same work only if their distance counts per query
// agree: read the ratio with them.
type PairedRatio struct {
	Label  string  `json:"label"`
	Pairs  int     `json:"pairs"`  // passes × efs
	Median float64 `json:"median"` // median of QPS ÷ the reference's QPS
	Q1     float64 `json:"q1"`     // lower quartile
	Q3     float64 `json:"q3"`     // upper quartile
}

// pairedRatio summarises ratios (sorted in place) as a PairedRatio.
// Quartiles are the nearest-rank ones.
func pairedRatio(label string, ratios []float64) PairedRatio {
	p := PairedRatio{Label: label, Pairs: len(ratios)}
	if len(ratios) == 0 {
		return p
	}
	slices.Sort(ratios)
	at := func(q float64) float64 { return ratios[min(len(ratios)-1, int(q*float64(len(ratios))))] }
	n := len(ratios)
	if n%2 == 1 {
		p.Median = ratios[n/2]
	} else {
		p.Median = (ratios[n/2-1] + ratios[n/2]) / 2
	}
	p.Q1, p.Q3 = at(0.25), at(0.75)
	return p
}

// OpenSweep opens every file of o.Paths read-only and checks that its
// collection holds o.Rows records of dimension o.Dim (and o.Metric): a
// file that is missing, lacks the collection or holds other records is
// refused with a *SweepError naming it, and nothing stays open. Cost: a
// read-only open of each file (its graph's links; under cosine, unit
// copies of its vectors).
func OpenSweep(ctx context.Context, o SweepOptions) (*Sweep, error) {
	switch {
	case len(o.Paths) == 0:
		return nil, fmt.Errorf("%w: sweep: no database given", ErrBadArgument)
	case o.Labels != nil && len(o.Labels) != len(o.Paths):
		return nil, fmt.Errorf("%w: sweep: %d labels for %d databases", ErrBadArgument, len(o.Labels), len(o.Paths))
	case o.Rows <= 0 || o.Dim <= 0:
		return nil, fmt.Errorf("%w: sweep: need the records' count and dimension, got %d and %d", ErrBadArgument, o.Rows, o.Dim)
	}
	if o.Collection == "" {
		o.Collection = "bench"
	}
	s := &Sweep{paths: o.Paths, rows: o.Rows, dim: o.Dim}
	for i, path := range o.Paths {
		sys, err := openSweepDatabase(ctx, path, o)
		if err != nil {
			s.Close()
			err.Index, err.Of, err.Path = i+1, len(o.Paths), path
			return nil, err
		}
		sys.label = sweepLabel(o.Paths, i)
		if o.Labels != nil {
			sys.label = o.Labels[i]
		}
		s.systems = append(s.systems, sys)
	}
	return s, nil
}

// sweepLabel is the default label of paths[i]: its base name, or
// "dir/base" when another path has the same base name.
func sweepLabel(paths []string, i int) string {
	base := filepath.Base(paths[i])
	for j, p := range paths {
		if j != i && filepath.Base(p) == base {
			return filepath.Join(filepath.Base(filepath.Dir(paths[i])), base)
		}
	}
	return base
}

// openSweepDatabase opens path read-only and checks its collection.
func openSweepDatabase(ctx context.Context, path string, o SweepOptions) (*openedSystem, *SweepError) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &SweepError{Err: fs.ErrNotExist}
		}
		return nil, &SweepError{Err: err}
	}
	db, err := query.Open(path, query.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		return nil, &SweepError{Err: err}
	}
	c, err := db.Collection(ctx, o.Collection)
	if err != nil {
		db.Close()
		return nil, &SweepError{Err: err}
	}
	cfg := c.Config()
	var bad *SweepError
	switch {
	case cfg.Dim != o.Dim:
		bad = &SweepError{Err: ErrShape, Detail: fmt.Sprintf("collection %q has dimension %d, the queries %d", o.Collection, cfg.Dim, o.Dim)}
	case o.Metric != "" && string(cfg.Metric) != string(o.Metric):
		bad = &SweepError{Err: ErrBadArgument, Detail: fmt.Sprintf("collection %q has metric %s, the truth %s", o.Collection, cfg.Metric, o.Metric)}
	case c.Len() != o.Rows:
		bad = &SweepError{Err: ErrShape, Detail: fmt.Sprintf("collection %q holds %d records, the truth covers %d rows", o.Collection, c.Len(), o.Rows)}
	}
	if bad != nil {
		db.Close()
		return nil, bad
	}
	return &openedSystem{v: &Vecbolt{opts: VecboltOptions{Path: path, Collection: o.Collection}, db: db, c: c}}, nil
}

// Run measures the search curves of the databases interleaved, so that
// the machine's drift hits them alike: for each of o.Runs passes (0 = 1),
// for each ef of o.Efs, for each database in turn (pass r starting with
// database r mod the count), it searches every query
// of ds once on one goroutine (bench.Run with that single ef). Per
// database and ef it keeps the fastest pass's QPS and latencies, and the
// first pass's recall@K and distance computations per query. The rows
// come back grouped by database, in the order of the paths, each curve in
// the order of Efs, labelled (Config) by the sweep's labels. ds.Base is
// used for its shape only and must match the sweep's. logf, if not nil,
// reports every pass. Cost: Runs × len(Efs) × databases passes of
// len(ds.Queries) searches.
func (s *Sweep) Run(ctx context.Context, ds Dataset, o RunOptions, logf func(string, ...any)) ([]Row, error) {
	switch {
	case ds.Base == nil || ds.Queries == nil || ds.Truth == nil:
		return nil, fmt.Errorf("%w: sweep: need the rows' shape, queries and their truth", ErrBadArgument)
	case ds.Base.Rows != s.rows || ds.Base.Dim != s.dim || ds.Queries.Dim != s.dim:
		return nil, fmt.Errorf("%w: sweep: databases of %d records of dimension %d, a dataset of %d rows of %d and queries of %d",
			ErrShape, s.rows, s.dim, ds.Base.Rows, ds.Base.Dim, ds.Queries.Dim)
	}
	if o.K <= 0 {
		o.K = 10
	}
	if o.Efs == nil {
		o.Efs = DefaultEfs
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	runs := max(o.Runs, 1)
	// best[i][j]: database i, ef j.
	best := make([][]Row, len(s.systems))
	for i := range best {
		best[i] = make([]Row, len(o.Efs))
	}
	// ratios[i]: database i's QPS over the reference's, per round and ef.
	ratios := make([][]float64, len(s.systems))
	qps := make([]float64, len(s.systems))
	for run := range runs {
		for j, ef := range o.Efs {
			// Each pass starts one database later, so that no database
			// always runs first (after the GC, or after another's pass).
			for k := range s.systems {
				i := (k + run) % len(s.systems)
				sys := s.systems[i]
				ro := RunOptions{K: o.K, Efs: []int{ef}, Runs: 1, Template: o.Template, ThreadClock: o.ThreadClock}
				ro.Template.Config = sys.label
				rows, err := Run(ctx, sys, ds, ro)
				if err != nil {
					return nil, fmt.Errorf("bench: sweep: %s: %w", s.paths[i], err)
				}
				r := rows[0]
				b := &best[i][j]
				if run == 0 {
					*b = r
					b.BuildSeconds = 0
				} else if r.QPSSingle > b.QPSSingle {
					b.QPSSingle, b.P50Micros, b.P95Micros, b.P99Micros = r.QPSSingle, r.P50Micros, r.P95Micros, r.P99Micros
				}
				b.Runs = run + 1
				qps[i] = r.QPSSingle
				logf("pass %d/%d ef %d %s: recall %.4f, %.0f QPS, %.0f distances/query", run+1, runs, ef, sys.label, r.Recall, r.QPSSingle, r.DistancesPerQuery)
			}
			if qps[0] > 0 {
				for i := range s.systems {
					ratios[i] = append(ratios[i], qps[i]/qps[0])
				}
			}
		}
	}
	s.paired = s.paired[:0]
	for i, sys := range s.systems {
		s.paired = append(s.paired, pairedRatio(sys.label, ratios[i]))
	}
	var out []Row
	for i := range best {
		out = append(out, best[i]...)
	}
	return out, nil
}

// Paired returns, after Run, each database's QPS against the first's as
// the median and quartiles of the ratios of passes run one right after
// the other (PairedRatio); the first entry is the reference itself (1).
func (s *Sweep) Paired() []PairedRatio { return slices.Clone(s.paired) }

// Close closes every database.
func (s *Sweep) Close() error {
	var first error
	for _, sys := range s.systems {
		if err := sys.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.systems = nil
	return first
}

// openedSystem is a System over a collection that is already open: Build
// does nothing, so that bench.Run only sweeps it.
type openedSystem struct {
	v     *Vecbolt
	label string
}

func (s *openedSystem) Build(context.Context, *Matrix, int) error { return nil }

func (s *openedSystem) Search(q []float32, k, ef int) ([]int, error) { return s.v.Search(q, k, ef) }

// DistanceComputations implements DistanceCounter.
func (s *openedSystem) DistanceComputations() int64 { return s.v.DistanceComputations() }

func (s *openedSystem) Close() error { return s.v.Close() }
