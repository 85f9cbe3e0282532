package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// QualityOptions configures MeasureWriteQuality.
type QualityOptions struct {
	// Prebuilt is a database holding rows 0..N-1 of All in Collection
	// (keys are the row numbers), as MeasureWrites builds it. It is copied,
	// never changed. "" builds the base in Dir, in batches of 50,000.
	Prebuilt string
	// Dir receives the scratch databases (removed at the end unless
	// Keep). Required.
	Dir string
	// Keep leaves the databases in Dir for later sweeps
	// (OpenSweep): quality-incremental.db (churned when Churn > 0),
	// quality-single.db (a copy taken before the churn; only with Churn >
	// 0) and quality-fresh.db.
	Keep bool
	// Collection is the collection's name; "" means "bench".
	Collection string
	// Metric, M, EfConstruction and Seed configure the collections built
	// here; "" and 0 mean cosine, 16, 200 and 0.
	Metric            Metric
	M, EfConstruction int
	Seed              int64
	// All holds every row: the first N are the base, the rest are
	// inserted one Upsert call each.
	All *Matrix
	N   int
	// Queries, with their true neighbours over All.
	Queries *Matrix
	Truth   *Truth
	// Writers is the number of goroutines calling Upsert at once (their
	// writes share commits); 0 means 16.
	Writers int
	// Churn is the fraction of All deleted and re-inserted (in batches of
	// ChurnBatch, 0 = 10,000) after the single inserts, for the third
	// curve; 0 skips it.
	Churn      float64
	ChurnBatch int
	// Controls is the number of extra fresh bulk builds with seeds Seed+1,
	// Seed+2, ... ("fresh-bulk-seed<S>", quality-fresh-seed<S>.db),
	// measured in the interleaved sweep only: how far two fresh graphs of
	// the same rows differ, the yardstick for the other curves'
	// differences.
	Controls int
	// Run configures the ef sweeps (K, Efs, Runs); its Template's System
	// and Config label the curves.
	Run RunOptions
	// BuildThreads is used by the bulk builds; 0 = all cores.
	BuildThreads int
	Logf         func(format string, args ...any)
}

// QualityReport is what MeasureWriteQuality measured: one curve per way
// of arriving at the same set of records, in one run.
type QualityReport struct {
	// Rows are the ef sweeps, Config "fresh-bulk", "single-inserts" and
	// (with Churn) "churned".
	Rows []Row `json:"rows"`
	// InsertSeconds is the wall time of the single inserts; ChurnSeconds
	// of the deletes and re-inserts.
	InsertSeconds float64 `json:"insert_seconds"`
	ChurnSeconds  float64 `json:"churn_seconds,omitempty"`
	// Interleaved are the same curves measured again at the end with all
	// the databases open at once, their passes interleaved
	// (Sweep): Config "fresh-bulk", the controls ("fresh-bulk-seed<S>"),
	// "single-inserts", "churned", in that order. Their QPS ratios are the ones to read on a busy
	// machine.
	Interleaved []Row `json:"interleaved,omitempty"`
	// Paired is the interleaved sweep's QPS of each database against the
	// fresh build's, as medians of pass-by-pass ratios (Sweep.Paired).
	Paired []PairedRatio `json:"paired,omitempty"`
	// Restored counts the base records of Prebuilt whose vectors had been
	// changed (by MeasureWrites' updates) and were put back first.
	Restored int `json:"restored,omitempty"`
}

// MeasureWriteQuality compares the graph a collection has after writes
// with a fresh bulk build of the same vectors: a bulk build of All
// ("fresh-bulk"); the base (N rows) followed by the other rows inserted one
// Upsert call each from Writers goroutines ("single-inserts"); and that
// collection after Churn of its records are deleted and re-inserted in
// batches ("churned"). Each is swept over the same efs with the same
// queries (bench.Run), so recall at equal ef and QPS at a recall can be
// compared. Each curve is swept right after its build; at the end all the
// databases are opened read-only together and swept again interleaved
// (OpenSweep, Interleaved), so that QPS ratios do not depend on when
// each curve was measured. The databases run without fsync: quality does
// not depend on it, and the inserts would otherwise take hours.
func MeasureWriteQuality(ctx context.Context, o QualityOptions) (*QualityReport, error) {
	if o.Dir == "" || o.All == nil || o.N <= 0 || o.N >= o.All.Rows || o.Queries == nil || o.Truth == nil {
		return nil, fmt.Errorf("%w: write quality: need a directory, rows, 0 < N < rows, queries and their truth", ErrBadArgument)
	}
	if o.Controls < 0 {
		return nil, fmt.Errorf("%w: write quality: %d controls", ErrBadArgument, o.Controls)
	}
	if o.Churn < 0 || o.Churn > 1 {
		return nil, fmt.Errorf("%w: write quality: churn %v outside [0, 1]", ErrBadArgument, o.Churn)
	}
	if o.Collection == "" {
		o.Collection = "bench"
	}
	if o.Metric == "" {
		o.Metric = Cosine
	}
	if o.Writers <= 0 {
		o.Writers = 16
	}
	if o.ChurnBatch <= 0 {
		o.ChurnBatch = 10_000
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ds := Dataset{Name: "write-quality", Metric: o.Metric, Base: o.All, Queries: o.Queries, Truth: o.Truth}
	rep := &QualityReport{}
	sweep := func(sys System, config string, keep bool) error {
		ro := o.Run
		ro.Template.Config = config
		ro.BuildThreads = o.BuildThreads
		rows, err := Run(ctx, sys, ds, ro)
		if err != nil || !keep {
			if cerr := sys.Close(); err == nil && cerr != nil {
				err = cerr
			}
		}
		if err != nil {
			return fmt.Errorf("bench: write quality: %s: %w", config, err)
		}
		for _, r := range rows {
			logf("%s ef %d: recall %.4f, %.0f QPS", config, r.Ef, r.Recall, r.QPSSingle)
		}
		rep.Rows = append(rep.Rows, rows...)
		return nil
	}

	inc := &incrementalSystem{o: o, rep: rep, logf: logf, path: filepath.Join(o.Dir, "quality-incremental.db")}
	if !o.Keep {
		defer os.Remove(inc.path)
	}
	if err := sweep(inc, "single-inserts", o.Churn > 0); err != nil {
		return nil, err
	}
	paths, labels := []string{inc.path}, []string{"single-inserts"}
	if o.Churn > 0 {
		single := filepath.Join(o.Dir, "quality-single.db")
		if !o.Keep {
			defer os.Remove(single)
		}
		logf("copying the collection after the single inserts: %s", single)
		if err := copyFile(inc.path, single); err != nil {
			inc.Close()
			return nil, err
		}
		paths, labels = []string{single, inc.path}, []string{"single-inserts", "churned"}
	}
	if o.Churn > 0 {
		// The same collection, churned.
		inc.churn = true
		if err := sweep(inc, "churned", false); err != nil {
			return nil, err
		}
	}
	freshPath := filepath.Join(o.Dir, "quality-fresh.db")
	os.Remove(freshPath)
	if !o.Keep {
		defer os.Remove(freshPath)
	}
	logf("fresh bulk build of %d rows", o.All.Rows)
	fresh := NewVecbolt(VecboltOptions{Path: freshPath, Collection: o.Collection, Metric: o.Metric, M: o.M, EfConstruction: o.EfConstruction, Seed: o.Seed})
	if err := sweep(fresh, "fresh-bulk", false); err != nil {
		return nil, err
	}
	fronts, frontLabels := []string{freshPath}, []string{"fresh-bulk"}
	for c := 1; c <= o.Controls; c++ {
		seed := o.Seed + int64(c)
		path := filepath.Join(o.Dir, fmt.Sprintf("quality-fresh-seed%d.db", seed))
		os.Remove(path)
		if !o.Keep {
			defer os.Remove(path)
		}
		logf("control: fresh bulk build of %d rows with seed %d", o.All.Rows, seed)
		v := NewVecbolt(VecboltOptions{Path: path, Collection: o.Collection, Metric: o.Metric, M: o.M, EfConstruction: o.EfConstruction, Seed: seed})
		err := v.Build(ctx, o.All, o.BuildThreads)
		if cerr := v.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("bench: write quality: control seed %d: %w", seed, err)
		}
		fronts, frontLabels = append(fronts, path), append(frontLabels, fmt.Sprintf("fresh-bulk-seed%d", seed))
	}
	logf("interleaved sweep of the %d databases", len(fronts)+len(paths))
	sw, err := OpenSweep(ctx, SweepOptions{Paths: append(fronts, paths...), Labels: append(frontLabels, labels...),
		Collection: o.Collection, Rows: o.All.Rows, Dim: o.All.Dim, Metric: o.Metric})
	if err != nil {
		return nil, fmt.Errorf("bench: write quality: %w", err)
	}
	defer sw.Close()
	if rep.Interleaved, err = sw.Run(ctx, ds, o.Run, logf); err != nil {
		return nil, fmt.Errorf("bench: write quality: %w", err)
	}
	rep.Paired = sw.Paired()
	return rep, nil
}

// incrementalSystem is a System whose Build arrives at All the way an
// application does: the base (copied from Prebuilt or bulk-built), then one
// Upsert call per remaining row from Writers goroutines, then, with churn,
// deletes and re-inserts of a fraction of all rows in batches. Search is
// Vecbolt's.
type incrementalSystem struct {
	o     QualityOptions
	rep   *QualityReport
	logf  func(string, ...any)
	path  string
	churn bool
	v     *Vecbolt
}

func (s *incrementalSystem) Build(ctx context.Context, all *Matrix, threads int) error {
	if s.churn {
		return s.doChurn(ctx, all, threads)
	}
	o := s.o
	os.Remove(s.path)
	if o.Prebuilt != "" {
		s.logf("copying %s", o.Prebuilt)
		if err := copyFile(o.Prebuilt, s.path); err != nil {
			return err
		}
	}
	db, err := query.Open(s.path, query.Options{NoSync: true, Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	s.v = &Vecbolt{opts: VecboltOptions{Path: s.path, Collection: o.Collection}, db: db}
	if o.Prebuilt == "" {
		s.logf("building the base of %d rows", o.N)
		c, err := db.CreateCollection(ctx, o.Collection, query.CollectionConfig{
			Dim: all.Dim, Metric: query.Metric(o.Metric), M: o.M, EfConstruction: o.EfConstruction, Seed: o.Seed})
		if err != nil {
			return err
		}
		for from := 0; from < o.N; from += 50_000 {
			if err := c.UpsertBatch(ctx, rowRecords(all, from, min(from+50_000, o.N)), query.BatchOptions{Workers: threads}); err != nil {
				return err
			}
		}
	}
	c, err := db.Collection(ctx, o.Collection)
	if err != nil {
		return err
	}
	s.v.c = c
	if c.Len() != o.N {
		return fmt.Errorf("%w: %s holds %d records, want the %d base rows", ErrBadArgument, s.path, c.Len(), o.N)
	}
	// A prebuilt file measured by MeasureWrites keeps the vectors its
	// update phase wrote: put the rows' own vectors back (one batch).
	var fix []query.Record
	for from := 0; from < o.N; from += 10_000 {
		keys := make([]string, 0, 10_000)
		for i := from; i < min(from+10_000, o.N); i++ {
			keys = append(keys, strconv.Itoa(i))
		}
		recs, err := c.GetMany(ctx, keys)
		if err != nil {
			return err
		}
		for j, r := range recs {
			if i := from + j; !slices.Equal(r.Vector, all.Row(i)) {
				fix = append(fix, query.Record{Key: keys[j], Vector: all.Row(i)})
			}
		}
	}
	if len(fix) > 0 {
		s.logf("restoring %d base records whose vectors differ from their rows", len(fix))
		if err := c.UpsertBatch(ctx, fix, query.BatchOptions{Workers: threads}); err != nil {
			return err
		}
		s.rep.Restored = len(fix)
	}

	// Single inserts from Writers goroutines.
	s.logf("inserting %d rows one Upsert each from %d goroutines", all.Rows-o.N, o.Writers)
	var next atomic.Int64
	next.Store(int64(o.N))
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	t0 := time.Now()
	for range o.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= all.Rows || ctx.Err() != nil {
					return
				}
				if err := c.Upsert(ctx, strconv.Itoa(i), all.Row(i), nil); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.rep.InsertSeconds = time.Since(t0).Seconds()
	s.logf("inserted in %.1f s", s.rep.InsertSeconds)
	return nil
}

// doChurn deletes a seeded random fraction of the rows in batches, then
// re-inserts them in batches.
func (s *incrementalSystem) doChurn(ctx context.Context, all *Matrix, threads int) error {
	o, c := s.o, s.v.c
	t0 := time.Now()
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 9))
	perm := rng.Perm(all.Rows)[:int(o.Churn*float64(all.Rows))]
	s.logf("deleting and re-inserting %d rows in batches of %d", len(perm), o.ChurnBatch)
	for from := 0; from < len(perm); from += o.ChurnBatch {
		batch := perm[from:min(from+o.ChurnBatch, len(perm))]
		keys := make([]string, len(batch))
		for i, r := range batch {
			keys[i] = strconv.Itoa(r)
		}
		if _, err := c.Delete(ctx, keys...); err != nil {
			return err
		}
	}
	for from := 0; from < len(perm); from += o.ChurnBatch {
		batch := perm[from:min(from+o.ChurnBatch, len(perm))]
		recs := make([]query.Record, len(batch))
		for i, r := range batch {
			recs[i] = query.Record{Key: strconv.Itoa(r), Vector: all.Row(r)}
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{Workers: threads}); err != nil {
			return err
		}
	}
	s.rep.ChurnSeconds = time.Since(t0).Seconds()
	s.logf("churned in %.1f s", s.rep.ChurnSeconds)
	if c.Len() != all.Rows {
		return fmt.Errorf("bench: write quality: %d records after the churn, want %d", c.Len(), all.Rows)
	}
	return nil
}

func (s *incrementalSystem) Search(q []float32, k, ef int) ([]int, error) {
	return s.v.Search(q, k, ef)
}

// DistanceComputations implements DistanceCounter.
func (s *incrementalSystem) DistanceComputations() int64 { return s.v.DistanceComputations() }

func (s *incrementalSystem) Close() error {
	if s.v == nil || s.v.db == nil {
		return nil
	}
	err := s.v.db.Close()
	s.v = nil
	return err
}

// rowRecords returns rows from..to-1 of m as records keyed by row number.
func rowRecords(m *Matrix, from, to int) []query.Record {
	recs := make([]query.Record, 0, to-from)
	for i := from; i < to; i++ {
		recs = append(recs, query.Record{Key: strconv.Itoa(i), Vector: m.Row(i)})
	}
	return recs
}
