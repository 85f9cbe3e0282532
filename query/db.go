package query

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/store"
)

// Options configures Open. The zero value opens read-write, waits up to one
// second for the file lock and syncs every commit.
type Options struct {
	// ReadOnly opens the file with a shared lock; every write returns
	// ErrReadOnly. Several read-only opens may share a file. A read-only
	// collection loads its graph's links only: its vectors are views of the
	// file (under l2 and dot), and its keys are read from the file as
	// results need them, until an operation that needs every key (a
	// filter, a first-n restriction, an analogy, an evaluation, a scan,
	// Check) reads them all once (O(n)).
	ReadOnly bool
	// Timeout is how long Open waits for another process to release the file
	// lock before returning ErrLocked. Zero means one second.
	Timeout time.Duration
	// NoSync skips fsync on commit. Faster, and a crash may lose the last
	// commits (never consistency). For tests and throwaway databases.
	NoSync bool
	// Embedder configures the embedding servers of collections whose
	// embedder is ollama or openai (doc_embedder.go).
	Embedder EmbedderOptions
	// LeanReads, with ReadOnly, keeps the resident set of an INT8
	// collection near its graph: its re-ranking reads each exact row with
	// a positioned read of the file (pread) into a buffer instead of
	// through the mapping, whose pages Linux maps a folio (up to about 1
	// MiB) at a time and counts in the process's resident set. At 200,000
	// × 128 the process holds 68–71 MiB after one query and 78–89 MiB
	// after a hundred, against 71–87 and 156–173 without (hnswlib: 151);
	// it costs a system call per re-ranked row (k·oversample a query):
	// 0.51–0.78× the QPS on a VM where a call costs 1.2 µs
	// (docs/benchmarks.md, "RSS after open"). Every read-only open of an
	// INT8 collection packs its level-0 lists (index.Graph.PackLevel0),
	// with or without it. Ignored without ReadOnly.
	LeanReads bool
}

// DB is an open vecbolt database file. It is safe for concurrent use.
type DB struct {
	st *store.DB

	mu      sync.Mutex             // protects cols, loading and closed
	cols    map[string]*Collection // loaded collections by name
	loading map[string]*loadCall   // loads in progress, by name
	closed  bool

	embOpts   EmbedderOptions
	embedders embedderCache // resolved embedders (doc_embedder.go)
	lean      bool          // Options.LeanReads on a read-only open
}

// loadCall is one collection load in progress: later callers for the same
// name wait for it instead of loading again.
type loadCall struct {
	done chan struct{} // closed when c and err are set
	c    *Collection
	err  error
}

// Open opens the database at path, creating it unless opts.ReadOnly is set.
// A file locked read-write by another process gives ErrLocked after
// opts.Timeout; a file that is not a vecbolt database gives ErrNotVecbolt.
func Open(path string, opts Options) (*DB, error) {
	st, err := store.Open(path, store.Options{ReadOnly: opts.ReadOnly, Timeout: opts.Timeout, NoSync: opts.NoSync})
	if err != nil {
		return nil, err
	}
	return &DB{st: st, cols: make(map[string]*Collection), loading: make(map[string]*loadCall), embOpts: opts.Embedder, lean: opts.LeanReads && opts.ReadOnly}, nil
}

// Close releases the file. Collections obtained from db must not be used
// afterwards: their methods return ErrClosed. Close waits for writes in
// progress; a writer still waiting for its turn returns ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	for _, c := range db.cols {
		c.wmu.Lock() // wait for a writer in flight
		c.closed.Store(true)
		c.wmu.Unlock() // writers queued behind it see closed and return ErrClosed
		c.mu.Lock()    // wait for searches in flight: the graph may view the file
		if c.pin != nil {
			_ = c.pin.End()
			c.pin = nil
		}
		c.mu.Unlock()
	}
	db.closed = true
	return db.st.Close()
}

// Path returns the file name given to Open.
func (db *DB) Path() string { return db.st.Path() }

// ReadOnly reports whether db was opened read-only.
func (db *DB) ReadOnly() bool { return db.st.ReadOnly() }

// FileSize returns the size of the database file in bytes.
func (db *DB) FileSize() (int64, error) { return db.st.Size() }

// Store returns the underlying store, for maintenance tools (backup, compact,
// check). Writing through it behind the query layer's back desynchronises the
// in-memory graphs: reopen the database afterwards.
func (db *DB) Store() *store.DB { return db.st }

// Metric names a distance. See the package documentation for the scores
// each one reports.
type Metric string

// The metrics a collection can use.
const (
	Cosine Metric = "cosine"
	Dot    Metric = "dot"
	L2     Metric = "l2"
)

// CollectionConfig fixes a collection's shape at creation. Zero values of
// the index fields mean the defaults: M=16, EfConstruction=200, Ef=64.
type CollectionConfig struct {
	Dim            int    `json:"dim"`
	Metric         Metric `json:"metric"` // "" means Cosine
	M              int    `json:"m"`
	EfConstruction int    `json:"ef_construction"`
	// Ef is the default search beam width; a query uses max(k, ef).
	Ef   int   `json:"ef"`
	Seed int64 `json:"seed"` // seed of the level generator; 0 is a valid seed
	// Embedder is the spec of the embedder that turns text into this
	// collection's vectors (package query/embed: "words:glove",
	// "ollama:nomic-embed-text", "openai:text-embedding-3-small"), ""
	// for none. CreateCollection stores its canonical form (every default
	// spelled out); texts and queries are refused when the embedder used
	// differs (see doc_embedder.go).
	Embedder string `json:"embedder,omitempty"`
	// Quantize is how the graph holds the vectors in memory: "" or "none"
	// (float32), "fp16" (2 bytes a component) or "int8" (1 byte a
	// component plus 4 a vector). The exact float32 vectors stay in the
	// file and searches re-rank with them, so scores stay exact (see
	// quant.go). INT8 parameters start from quant.Default (which clips
	// components beyond ±1 under dot and l2) unless the first write is a
	// bulk one: a Stage (import) or an UpsertBatch of 256 or more records
	// into the empty collection trains them on the data. DB.Quantize (and
	// compact) retrains. The encoding changes only by rebuilding:
	// DB.Quantize.
	Quantize string `json:"quantize,omitempty"`
}

func (cfg CollectionConfig) withDefaults() CollectionConfig {
	d := index.DefaultOptions()
	cfg.Quantize = canonicalQuantize(cfg.Quantize) // quant.go
	if cfg.Metric == "" {
		cfg.Metric = Cosine
	}
	if cfg.M == 0 {
		cfg.M = d.M
	}
	if cfg.EfConstruction == 0 {
		cfg.EfConstruction = d.EfConstruction
	}
	if cfg.Ef == 0 {
		cfg.Ef = d.Ef
	}
	return cfg
}

func (cfg CollectionConfig) storeConfig() store.Config {
	return store.Config{Dim: cfg.Dim, Metric: string(cfg.Metric), M: cfg.M, EfConstruction: cfg.EfConstruction, Ef: cfg.Ef, Seed: cfg.Seed, Embedder: cfg.Embedder,
		Encoding: canonicalQuantize(cfg.Quantize)}
}

func configFromStore(sc store.Config) CollectionConfig {
	return CollectionConfig{Dim: sc.Dim, Metric: Metric(sc.Metric), M: sc.M, EfConstruction: sc.EfConstruction, Ef: sc.Ef, Seed: sc.Seed, Embedder: sc.Embedder,
		Quantize: canonicalQuantize(sc.Encoding)}
}

func (cfg CollectionConfig) indexOptions() index.Options {
	return index.Options{M: cfg.M, EfConstruction: cfg.EfConstruction, Ef: cfg.Ef, Seed: cfg.Seed}
}

// CreateCollection creates a collection, or returns the existing one when it
// was created with the same configuration. A different configuration gives
// an error wrapping ErrCollectionExists that names the differing field.
func (db *DB) CreateCollection(ctx context.Context, name string, cfg CollectionConfig) (*Collection, error) {
	cfg = cfg.withDefaults()
	metric, err := index.ParseMetric(string(cfg.Metric))
	if err != nil {
		return nil, fmt.Errorf("query: collection %q: %w", name, err)
	}
	if cfg.Embedder, err = db.checkEmbedderSpec(name, cfg); err != nil { // doc_embedder.go
		return nil, err
	}
	// Every option the graph will refuse on load is refused before anything
	// is written (index.ErrOptions): an empty graph costs O(1) to make.
	if err := cfg.storeConfig().Validate(); err != nil {
		return nil, err
	}
	if _, err := index.New(cfg.Dim, metric, cfg.indexOptions()); err != nil {
		return nil, fmt.Errorf("query: collection %q: %w", name, err)
	}
	scfg, err := cfg.createConfig() // quant.go: untrained int8 starts from quant.Default
	if err != nil {
		return nil, fmt.Errorf("query: collection %q: %w", name, err)
	}
	if err := db.st.Update(func(tx *store.Tx) error {
		_, err := tx.CreateCollection(name, scfg)
		return err
	}); err != nil {
		return nil, err
	}
	return db.Collection(ctx, name)
}

// Collection returns the named collection, loading its graph from the file
// on first use (never rebuilding it). Later calls return the same value.
// The load (O(n), decoded on all cores) does not hold the database's lock:
// other collections can be opened meanwhile, and concurrent callers for
// the same name wait for the one load (or for ctx).
func (db *DB) Collection(ctx context.Context, name string) (*Collection, error) {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil, ErrClosed
	}
	if c, ok := db.cols[name]; ok {
		db.mu.Unlock()
		return c, nil
	}
	if l, ok := db.loading[name]; ok {
		db.mu.Unlock()
		select {
		case <-l.done:
			return l.c, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l := &loadCall{done: make(chan struct{})}
	db.loading[name] = l
	db.mu.Unlock()

	c := &Collection{db: db, name: name}
	err := c.load(ctx)
	db.mu.Lock()
	delete(db.loading, name)
	switch {
	case err != nil:
		l.err = err
	case db.closed:
		l.err = ErrClosed
	default:
		l.c = c
		db.cols[name] = c
	}
	db.mu.Unlock()
	close(l.done)
	return l.c, l.err
}

// Collections lists the collection names in the file, sorted.
func (db *DB) Collections() ([]string, error) {
	var names []string
	err := db.st.View(func(tx *store.Tx) error {
		var err error
		names, err = tx.Collections()
		return err
	})
	sort.Strings(names)
	return names, err
}

// DropCollection deletes a collection and everything in it.
func (db *DB) DropCollection(name string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return ErrClosed
	}
	c, loaded := db.cols[name]
	if loaded {
		c.wmu.Lock() // no write in flight while the collection goes
		defer c.wmu.Unlock()
	}
	if err := db.st.Update(func(tx *store.Tx) error { return tx.DropCollection(name) }); err != nil {
		return err
	}
	if loaded {
		c.closed.Store(true)
	}
	delete(db.cols, name)
	return nil
}

// RenameCollection gives collection oldName the name newName in one small
// transaction, whatever the collection's size (O(1): collections are
// stored under ids). An unknown oldName gives ErrUnknownCollection, an
// existing newName ErrCollectionExists, an invalid one an error wrapping
// store.ErrInvalidName. A loaded *Collection for oldName stays valid and
// answers to newName afterwards.
func (db *DB) RenameCollection(ctx context.Context, oldName, newName string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return ErrClosed
	}
	c, loaded := db.cols[oldName]
	if loaded {
		c.wmu.Lock() // no write in flight while the name changes
		defer c.wmu.Unlock()
	}
	if err := db.st.Update(func(tx *store.Tx) error { return tx.RenameCollection(oldName, newName) }); err != nil {
		return err
	}
	if loaded {
		c.mu.Lock()
		c.name = newName
		c.mu.Unlock()
		delete(db.cols, oldName)
		db.cols[newName] = c
	}
	return nil
}

// Upgrade rewrites the database file at path from an older format version
// into the current one (see store.Upgrade): the new file is written beside
// it, checked, and renamed over it, so a crash at any point leaves the old
// file readable. It returns the version found; a current file is left
// alone. The file must not be open. Cost: O(file size).
func Upgrade(ctx context.Context, path string, timeout time.Duration) (from uint32, err error) {
	return store.Upgrade(ctx, path, timeout)
}
