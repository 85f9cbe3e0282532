package query

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/store"
)

// Collection is a named set of records with its HNSW graph. It is safe for
// concurrent use: searches run in parallel with each other and with writes,
// and writes are serialised.
type Collection struct {
	db     *DB
	name   string
	cfg    CollectionConfig
	metric index.Metric
	closed atomic.Bool

	wmu     sync.Mutex // serialises writers: graph mutation plus commit
	commits committer  // writes waiting for a group commit (commit.go)

	mu   sync.RWMutex      // protects g, keys, ids, seqs (searches hold it for reading)
	g    *index.Graph      // in-memory graph; swapped whole on reload
	keys []string          // key by internal id; "" for a free or uncommitted slot
	ids  map[string]uint32 // internal id by key
	seqs []uint64          // insertion sequence by internal id
	meta metaIndex         // parsed metadata by internal id (filter.go); its intern map is written under wmu

	gen    uint64     // bumped under mu on every committed write
	cutMu  sync.Mutex // protects cut, cutN, cutGen
	cut    uint64     // cached restrictCutoff result
	cutN   int
	cutGen uint64

	sets filterSets // allowed-id sets of recent filters (plan.go)

	// lazy is set (under mu) while a read-only collection has no
	// catalogue (keys, ids, seqs, meta): see catalog.go. lc is what it
	// reads instead; catMu serialises building the catalogue.
	lazy  bool
	lc    lazyCatalog
	catMu sync.Mutex // protects the building of the catalogue (ensureCatalog)

	// pin is the read transaction whose mapped pages the graph's vectors
	// are views of (read-only databases, see load), or nil. It is set
	// by load and ended by DB.Close, after which g must not be searched.
	pin *store.Tx
	// qx gives the exact vectors an encoded graph re-ranks with
	// (quant_view.go); nil for a float32 graph. Protected by mu.
	qx *exactViews
	// deferGraph is set on a staged collection (Stage): commits write its
	// records and vectors but not its graph, whose dirty nodes
	// Staged.Commit writes once (writeGraph). Written under wmu.
	deferGraph bool
	// spill is set on a staged build in a node order (stage.go): its
	// records wait in memory and the store's spill until Staged.Commit
	// writes them under their final ids. Written under wmu.
	spill bool
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.name }

// Config returns the configuration fixed at creation, with defaults filled.
func (c *Collection) Config() CollectionConfig { return c.cfg }

// Len returns the number of records.
func (c *Collection) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.count()
}

// load reads the configuration, records and persisted graph from the store
// and replaces the in-memory state. The caller holds wmu or owns c alone.
// It reads the graph as stored; it never rebuilds it.
//
// bbolt trusts the pages it reads: on a damaged file it panics, or faults
// on memory past the end of the file. load turns both into an error
// wrapping store.ErrCorrupt, so that opening a corrupt file never crashes
// the process.
//
// On a read-only database (loadView) the records are not read and, under
// l2 and dot, the graph's vectors are not copied: they are views of the
// file's mapped vector blocks, kept valid by a read transaction that lives
// until DB.Close (c.pin). The open then costs the graph's links only; keys
// are read from the file as results need them (catalog.go).
func (c *Collection) load(ctx context.Context) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("query: collection %q: reading the file: %v: %w", c.name, r, store.ErrCorrupt)
		}
	}()
	view := c.db.st.ReadOnly() && c.pin == nil
	// The loader's allocations are few and large and nearly all live
	// afterwards: a collection during the load would only rescan them.
	defer pauseGC()()
	if view {
		return c.loadView(ctx)
	}
	var (
		g      *index.Graph
		cfg    CollectionConfig
		keys   []string
		seqs   []uint64
		ids    map[string]uint32
		mix    metaIndex
		metric index.Metric
		qx     *exactViews
	)
	err = c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		cfg = configFromStore(sc.Config()).withDefaults()
		if metric, err = index.ParseMetric(string(cfg.Metric)); err != nil {
			return fmt.Errorf("query: collection %q: %w", c.name, err)
		}

		maxID, err := sc.MaxNodeID()
		if err != nil {
			return err
		}
		if maxID > 0 {
			// Everything below is sized by maxID: check that the highest
			// node is a record before trusting it, or a corrupt node key
			// asks for billions of slots.
			if _, err := sc.GetByID(maxID - 1); err != nil {
				return fmt.Errorf("query: collection %q: graph node %d has no record (%v): %w", c.name, maxID-1, err, store.ErrCorrupt)
			}
		}
		keys = make([]string, maxID)
		seqs = make([]uint64, maxID)
		ids = make(map[string]uint32, sc.Len())
		meta, err := sc.ReadGraphMeta()
		if err != nil {
			return err
		}
		if meta == nil {
			if sc.Len() != 0 || maxID != 0 {
				return fmt.Errorf("query: collection %q: %d records but no graph: %w", c.name, sc.Len(), store.ErrCorrupt)
			}
			if g, err = index.New(cfg.Dim, metric, cfg.indexOptions()); err != nil {
				return err
			}
			qx, err = encodeEmpty(c.db.st, tx, sc, g, false) // quant.go
			return err
		}
		r, err := index.Restore(cfg.Dim, metric, cfg.indexOptions(), meta, maxID)
		if err != nil {
			return fmt.Errorf("query: collection %q: %w", c.name, err)
		}
		// Decode on every core, straight into the graph's slabs. Keys are
		// copied into per-worker arenas of up to 1 MiB, not one string each;
		// metadata (rare in bulk vector sets) is parsed afterwards, in
		// id order, because its intern table is not concurrent.
		workers := runtime.GOMAXPROCS(0)
		arenas := make([][]byte, workers)
		metas := make([][]metaAt, workers)
		cosine := cfg.Metric == Cosine
		arenaSize := min(1<<20, max(4096, 16*int(maxID)/workers))
		each := sc.ForEachLoadParallel
		coded, err := restoreCodes(c.name, sc, r, false) // quant.go: the graph holds codes
		if err != nil {
			return err
		}
		if coded {
			each = sc.ForEachLoadLinks // vec is nil: the graph has the codes
		}
		if err := each(ctx, workers, func(w int, id uint32, key []byte, seq uint64, vec []float32, node, meta []byte) error {
			if id >= maxID {
				return fmt.Errorf("query: collection %q: record %d (%q) has no graph node: %w", c.name, id, key, store.ErrCorrupt)
			}
			if cosine {
				normalize(vec)
			}
			if err := r.Node(id, vec, node); err != nil {
				return fmt.Errorf("query: collection %q: record %q: %w", c.name, key, err)
			}
			if cap(arenas[w])-len(arenas[w]) < len(key) {
				arenas[w] = make([]byte, 0, max(arenaSize, len(key)))
			}
			at := len(arenas[w])
			arenas[w] = append(arenas[w], key...)
			keys[id] = unsafe.String(&arenas[w][at], len(key))
			seqs[id] = seq
			if len(meta) > 0 {
				metas[w] = append(metas[w], metaAt{id, bytes.Clone(meta)})
			}
			return nil
		}); err != nil {
			return err
		}
		for id, k := range keys {
			if k != "" {
				if _, dup := ids[k]; dup {
					return fmt.Errorf("query: collection %q: key %q stored twice: %w", c.name, k, store.ErrCorrupt)
				}
				ids[k] = uint32(id)
			}
		}
		mix = metaIndex{intern: make(map[string]string)}
		var all []metaAt
		for _, m := range metas {
			all = append(all, m...)
		}
		slices.SortFunc(all, func(a, b metaAt) int { return cmp.Compare(a.id, b.id) })
		for _, m := range all {
			mix.set(m.id, parseMeta(m.raw, mix.intern))
		}
		g, err = r.Finish()
		if err != nil {
			return fmt.Errorf("query: collection %q: %w", c.name, err)
		}
		if coded {
			if qx, err = newExactViews(c.db.st, tx, sc, false); err != nil { // quant_view.go
				return err
			}
		}
		// Everything is copied into memory now: drop the file's pages
		// from the resident set so the data is not held twice.
		tx.ReleaseMapped()
		return nil
	})
	if err != nil {
		return err
	}
	// Hand the loader's garbage back to the OS at once: a freshly opened
	// database should cost its working set, not a GC cycle's headroom. A
	// forced GC costs tens of milliseconds: small collections skip it.
	if len(keys) >= 1<<16 {
		debug.FreeOSMemory()
	}
	// cfg and metric are fixed at creation and read without locks: set them
	// on the first load only, while c is not yet shared (c.g is written
	// only here, under wmu, so reading it is safe).
	if c.g == nil {
		c.cfg, c.metric = cfg, metric
	} else if cfg != c.cfg || metric != c.metric {
		return fmt.Errorf("query: collection %q: configuration changed on disk while open: %w", c.name, store.ErrCorrupt)
	}
	c.mu.Lock()
	c.g, c.keys, c.seqs, c.ids = g, keys, seqs, ids
	c.meta = mix
	c.qx = qx
	c.gen++
	c.mu.Unlock()
	return nil
}

// gcPause counts the loads running with the garbage collector paused
// (pauseGC); the first pauses it, the last restores its setting.
var gcPause struct {
	sync.Mutex // protects n and percent
	n          int
	percent    int
}

// pauseGC turns the garbage collector off until the returned function is
// called, counting overlapping calls so that concurrent loads restore the
// setting found by the first.
func pauseGC() (resume func()) {
	gcPause.Lock()
	if gcPause.n == 0 {
		gcPause.percent = debug.SetGCPercent(-1)
	}
	gcPause.n++
	gcPause.Unlock()
	return func() {
		gcPause.Lock()
		if gcPause.n--; gcPause.n == 0 {
			debug.SetGCPercent(gcPause.percent)
		}
		gcPause.Unlock()
	}
}

// metaAt is one record's metadata, copied out of the file during a load.
type metaAt struct {
	id  uint32
	raw []byte
}

// Record is a stored record as returned to callers.
type Record struct {
	Key      string
	Vector   []float32       // the vector exactly as written (under cosine too: not the unit vector)
	Metadata json.RawMessage // nil when the record has none
	// Text is the record's text, stored in the same transaction as the
	// record (see doc_text.go); "" means none. On an upsert of an existing
	// key, "" keeps the stored text, as nil metadata keeps the metadata.
	// For a chunk of a document (AddDocuments) it is the chunk's span of
	// the document's text.
	Text string
}

// Get returns the record stored under key. The returned slices belong to the
// caller. A missing key gives a *KeyError wrapping ErrKeyNotFound.
func (c *Collection) Get(ctx context.Context, key string) (Record, error) {
	if c.closed.Load() {
		return Record{}, ErrClosed
	}
	return c.db.Get(ctx, c.name, key)
}

// Has reports whether key is in the collection (committed).
func (c *Collection) Has(key string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok, _ := c.idOf(key) // a damaged key index reads as absent here; Get and Check report it
	return ok
}

// Keys calls fn for every key in insertion order, stopping at the first
// error, which it returns.
func (c *Collection) Keys(ctx context.Context, fn func(key string) error) error {
	return c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		return sc.ForEach(func(r *store.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(r.Key)
		})
	})
}

// ForEach calls fn for every record in insertion order. The record's slices
// are valid only during the call.
func (c *Collection) ForEach(ctx context.Context, fn func(r Record) error) error {
	return c.db.ForEach(ctx, c.name, fn)
}
