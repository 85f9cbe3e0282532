package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// VecboltOptions configures NewVecbolt. Zero fields take the defaults noted.
type VecboltOptions struct {
	// Path is the database file Build creates. It must not exist yet:
	// Build never overwrites a file. Required.
	Path string
	// Collection is the collection Build creates; "" means "bench".
	Collection string
	// Metric of the collection; "" means Cosine.
	Metric Metric
	// M and EfConstruction are the HNSW parameters; 0 means vecbolt's
	// defaults (16 and 200).
	M, EfConstruction int
	// Seed of the graph's level generator.
	Seed int64
	// Quantize is the collection's vector encoding in memory
	// (query.CollectionConfig.Quantize): "" or "none" (float32), "fp16" or
	// "int8".
	Quantize string
	// Order is the node order the build's commit renumbers the graph in
	// (query.StageOptions.Order): "" is query's default, as for 'vecbolt
	// import'.
	Order string
	// Oversample is SearchOptions.Oversample for quantized collections; 0
	// means index.DefaultOversample.
	Oversample float64
	// Progress, if set, is handed to UpsertBatch: it is called from the
	// building goroutines with the number of records linked so far and
	// must be safe for concurrent use.
	Progress func(done int)
}

// Vecbolt is vecbolt measured the way an application uses it: through
// package query, on a database file on disk, with durable (fsync'd)
// commits. Build creates the file and one collection, and writes the base
// rows in one UpsertBatch under keys that are the decimal row numbers;
// Search calls Collection.Search and parses the keys back. It implements
// System, DistanceCounter and BuildReporter. Search is safe for concurrent
// use after Build; Build, MeasureInserts and Close are not.
type Vecbolt struct {
	opts VecboltOptions
	db   *query.DB
	c    *query.Collection

	n         int     // records written by Build
	buildSec  float64 // UpsertBatch: graph build on the build threads plus the commit
	fileBytes int64   // database file size after Build
}

// NewVecbolt returns a vecbolt system that will create its database at
// o.Path when built.
func NewVecbolt(o VecboltOptions) *Vecbolt {
	if o.Collection == "" {
		o.Collection = "bench"
	}
	if o.Metric == "" {
		o.Metric = Cosine
	}
	return &Vecbolt{opts: o}
}

// Path returns the database file.
func (v *Vecbolt) Path() string { return v.opts.Path }

// Collection returns the name of the collection Build creates.
func (v *Vecbolt) Collection() string { return v.opts.Collection }

// Build creates the database file and the collection and writes base in
// one UpsertBatch on threads goroutines (0 = GOMAXPROCS), staged
// (DB.Stage, UpsertBatch, Commit) as 'vecbolt import' builds a new
// collection, so that INT8 parameters are trained on the data and the
// graph is renumbered (VecboltOptions.Order) as users get it. Row i is stored
// under key strconv.Itoa(i). The vectors are passed as they are (vecbolt
// normalises them under cosine). A row vecbolt rejects (NaN, a zero vector
// under cosine...) fails the build with the row's number.
func (v *Vecbolt) Build(ctx context.Context, base *Matrix, threads int) error {
	if v.opts.Path == "" {
		return fmt.Errorf("%w: vecbolt: no database path", ErrBadArgument)
	}
	if _, err := os.Stat(v.opts.Path); err == nil {
		return fmt.Errorf("%w: vecbolt: %s exists; the benchmark builds a new database", ErrBadArgument, v.opts.Path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("bench: vecbolt: %w", err)
	}
	if base.Rows == 0 {
		return fmt.Errorf("%w: vecbolt: no base vectors", ErrEmpty)
	}
	db, err := query.Open(v.opts.Path, query.Options{})
	if err != nil {
		return fmt.Errorf("bench: vecbolt: %w", err)
	}
	v.db = db
	cfg := query.CollectionConfig{
		Dim: base.Dim, Metric: query.Metric(v.opts.Metric), M: v.opts.M, EfConstruction: v.opts.EfConstruction, Seed: v.opts.Seed,
		Quantize: v.opts.Quantize,
	}
	recs := make([]query.Record, base.Rows)
	for i := range recs {
		recs[i] = query.Record{Key: strconv.Itoa(i), Vector: base.Row(i)}
	}
	bopts := query.BatchOptions{Workers: threads, Progress: v.opts.Progress}
	// Built as 'vecbolt import' builds a new collection: staged, the
	// graph built on the float32 vectors, then at Commit (INT8)
	// parameters trained on the data and everything encoded, and the
	// graph renumbered for locality (Order). A quantized collection
	// created empty would encode with quant.Default, which clips
	// components beyond ±1 under l2 and dot.
	t0 := time.Now()
	s, err := db.Stage(ctx, v.opts.Collection, cfg, query.StageOptions{Order: v.opts.Order})
	if err != nil {
		return fmt.Errorf("bench: vecbolt: %w", err)
	}
	if err := s.Collection().UpsertBatch(ctx, recs, bopts); err != nil {
		_ = s.Abort()
		return fmt.Errorf("bench: vecbolt: base rows: %w", err)
	}
	if err := s.Commit(ctx); err != nil {
		return fmt.Errorf("bench: vecbolt: %w", err)
	}
	if v.c, err = db.Collection(ctx, v.opts.Collection); err != nil {
		return fmt.Errorf("bench: vecbolt: %w", err)
	}
	v.buildSec = time.Since(t0).Seconds()
	v.n = base.Rows
	if v.fileBytes, err = db.FileSize(); err != nil {
		return fmt.Errorf("bench: vecbolt: %w", err)
	}
	return nil
}

// ReportBuild implements BuildReporter: BuildSeconds becomes the
// staged build (the stage, UpsertBatch, and Commit with its training,
// encoding and renumbering; not the creation of the empty file), and FileBytes and
// BytesPerVector the database file after it.
func (v *Vecbolt) ReportBuild(r *Row) {
	r.BuildSeconds = v.buildSec
	r.FileBytes = v.fileBytes
	if v.n > 0 {
		r.BytesPerVector = float64(v.fileBytes) / float64(v.n)
	}
}

// Search implements System through Collection.Search with ef as
// SearchOptions.Ef (and the Oversample option), mapping keys back to row
// numbers.
func (v *Vecbolt) Search(q []float32, k, ef int) ([]int, error) {
	if v.c == nil {
		return nil, fmt.Errorf("%w: search before build", ErrBadArgument)
	}
	res, err := v.c.Search(context.Background(), q, k, query.SearchOptions{Ef: ef, Oversample: v.opts.Oversample})
	if err != nil {
		return nil, err
	}
	out := make([]int, len(res))
	for i, r := range res {
		row, err := strconv.Atoi(r.Key)
		if err != nil {
			return nil, fmt.Errorf("bench: vecbolt: key %q is not a row number", r.Key)
		}
		out[i] = row
	}
	return out, nil
}

// DistanceComputations implements DistanceCounter with the graph's own
// counter (every distance evaluated, searches and inserts alike).
func (v *Vecbolt) DistanceComputations() int64 {
	if v.c == nil {
		return 0
	}
	return int64(v.c.DistanceComputations())
}

// MeasureInserts times single-record inserts into the built collection,
// one Upsert call (and so one durable commit) each, as an application
// adding records one at a time would: it inserts rows of vecs in order
// under new keys until max rows or budget has passed, whichever comes
// first (at least one), then deletes them again in one call, so that the
// database holds the base rows only. It returns inserts per second.
func (v *Vecbolt) MeasureInserts(ctx context.Context, vecs *Matrix, max int, budget time.Duration) (float64, error) {
	if v.c == nil {
		return 0, fmt.Errorf("%w: insert before build", ErrBadArgument)
	}
	max = min(max, vecs.Rows)
	if max <= 0 {
		return 0, fmt.Errorf("%w: no vectors to insert", ErrEmpty)
	}
	var keys []string
	t0 := time.Now()
	for i := 0; i < max && (i == 0 || time.Since(t0) < budget); i++ {
		key := "bench-insert-" + strconv.Itoa(i)
		if err := v.c.Upsert(ctx, key, vecs.Row(i), nil); err != nil {
			return 0, fmt.Errorf("bench: vecbolt: single insert %d: %w", i, err)
		}
		keys = append(keys, key)
	}
	rate := float64(len(keys)) / time.Since(t0).Seconds()
	if _, err := v.c.Delete(ctx, keys...); err != nil {
		return 0, fmt.Errorf("bench: vecbolt: removing the inserted records: %w", err)
	}
	return rate, nil
}

// Close closes the database; the file stays.
func (v *Vecbolt) Close() error {
	if v.db == nil {
		return nil
	}
	err := v.db.Close()
	v.db, v.c = nil, nil
	return err
}
