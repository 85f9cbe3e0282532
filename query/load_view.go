package query

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
	"github.com/vecbolt/vecbolt/store"
)

// fixedLists makes a read-only open leave the level-0 lists of an INT8
// collection at their fixed stride instead of packing them: for the tests
// and the A/B measurement that compare the two (exact_rows_*_test.go).
var fixedLists atomic.Bool

// loadView is load on a read-only database: it reads the graph's links
// and nothing else. The vectors are views of the file's mapped vector
// blocks (under cosine, unit copies of them, made on every core), the
// records are not read (the catalogue is lazy: catalog.go), and the read
// transaction stays open until DB.Close (c.pin) so that the views and the
// key lookups stay valid. The level-0 lists of an INT8 graph are packed
// (index.Graph.PackLevel0: 35% fewer bytes, about the same speed), and
// with Options.LeanReads its exact rows are read through a second handle
// on the file instead of the mapping (quant_view.go). Cost: the checksums
// of the vector and graph blocks and one pass over the links, on every
// core; no allocation per node (packing: O(n·M) and one allocation per
// chunk of 65,536 nodes). The caller recovers panics and pauses the
// collector.
func (c *Collection) loadView(ctx context.Context) (err error) {
	tx, err := c.db.st.BeginView()
	if err != nil {
		return err
	}
	pinned := false
	defer func() {
		if !pinned {
			_ = tx.End()
		}
	}()
	sc, err := tx.Collection(c.name)
	if err != nil {
		return err
	}
	cfg := configFromStore(sc.Config()).withDefaults()
	metric, err := index.ParseMetric(string(cfg.Metric))
	if err != nil {
		return fmt.Errorf("query: collection %q: %w", c.name, err)
	}
	maxID, err := sc.MaxNodeID()
	if err != nil {
		return err
	}
	if maxID > 0 {
		// Everything below is sized by maxID: check that the highest node
		// is a record before trusting it, or a corrupt node key asks for
		// billions of slots.
		if _, err := sc.GetByID(maxID - 1); err != nil {
			return fmt.Errorf("query: collection %q: graph node %d has no record (%v): %w", c.name, maxID-1, err, store.ErrCorrupt)
		}
	}
	meta, err := sc.ReadGraphMeta()
	if err != nil {
		return err
	}
	var g *index.Graph
	var qx *exactViews
	if meta == nil {
		if sc.Len() != 0 || maxID != 0 {
			return fmt.Errorf("query: collection %q: %d records but no graph: %w", c.name, sc.Len(), store.ErrCorrupt)
		}
		if g, err = index.New(cfg.Dim, metric, cfg.indexOptions()); err != nil {
			return err
		}
		if qx, err = encodeEmpty(c.db.st, tx, sc, g, true); err != nil { // quant.go
			return err
		}
	} else {
		r, err := index.Restore(cfg.Dim, metric, cfg.indexOptions(), meta, maxID)
		if err != nil {
			return fmt.Errorf("query: collection %q: %w", c.name, err)
		}
		coded, err := restoreCodes(c.name, sc, r, true) // quant.go: the graph views the stored codes
		if err != nil {
			return err
		}
		if !coded {
			shift, chunks, _, err := sc.VectorChunks()
			if err != nil {
				return err
			}
			if metric == index.Cosine {
				if chunks, err = unitChunks(chunks, cfg.Dim); err != nil {
					return fmt.Errorf("query: collection %q: %w", c.name, err)
				}
			}
			if err := r.SetVectors(shift, chunks); err != nil {
				return fmt.Errorf("query: collection %q: %w", c.name, err)
			}
		}
		if err := sc.ForEachNodeParallel(ctx, runtime.GOMAXPROCS(0), func(_ int, id uint32, node []byte) error {
			if err := r.Node(id, nil, node); err != nil {
				return fmt.Errorf("query: collection %q: %w", c.name, err)
			}
			return nil
		}); err != nil {
			return err
		}
		if g, err = r.Finish(); err != nil {
			return c.diagnose(ctx, sc, fmt.Errorf("query: collection %q: %w", c.name, err))
		}
		if coded {
			var rf *store.RowFile
			if g.Encoding() == quant.INT8 {
				// Searched only: the lists need no room to grow, and
				// packed they search as fast (index/packed.go).
				if !fixedLists.Load() {
					g.PackLevel0()
				}
				if c.db.lean {
					if rf, err = c.db.st.RowFile(); err != nil {
						return err
					}
				}
			}
			if qx, err = newExactViewsVia(c.db.st, tx, sc, true, rf); err != nil { // quant_view.go
				return err
			}
			tx.ReleaseMapped() // verified: codes and vectors fault back in as searches touch them
		}
	}
	if g.Len() != sc.Len() {
		return c.diagnose(ctx, sc, fmt.Errorf("query: collection %q: %d graph nodes, %d records: %w", c.name, g.Len(), sc.Len(), store.ErrCorrupt))
	}
	// As load does: hand the loader's garbage (decode and verification
	// buffers, the restorer's bookkeeping) back to the OS at once, so that
	// the open costs its working set; small collections skip the forced GC.
	if g.MaxID() >= 1<<16 {
		debug.FreeOSMemory()
	}
	c.cfg, c.metric = cfg, metric
	c.mu.Lock()
	c.g, c.pin, c.gen, c.qx = g, tx, c.gen+1, qx
	c.lazy, c.lc = true, lazyCatalog{reader: sc.Reader(), col: sc, n: sc.Len()}
	c.mu.Unlock()
	pinned = true
	return nil
}

// unitChunks returns copies of the vector chunks of dim components with
// every row scaled to unit length (zero rows stay zero), made on every
// core: the graph of a cosine collection holds unit vectors, which the
// file does not store. A fault reading the chunks (views of a damaged
// file) is an error wrapping store.ErrCorrupt.
func unitChunks(chunks [][]float32, dim int) ([][]float32, error) {
	out := make([][]float32, len(chunks))
	var fault atomic.Value
	var wg sync.WaitGroup
	work := make(chan int, len(chunks))
	for i := range chunks {
		work <- i
	}
	close(work)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					fault.Store(fmt.Errorf("reading the file: %v: %w", r, store.ErrCorrupt))
				}
			}()
			debug.SetPanicOnFault(true)
			for i := range work {
				if chunks[i] == nil {
					continue
				}
				u := append([]float32(nil), chunks[i]...)
				for r := 0; r+dim <= len(u); r += dim {
					normalize(u[r : r+dim])
				}
				out[i] = u
			}
		}()
	}
	wg.Wait()
	if err, _ := fault.Load().(error); err != nil {
		return nil, err
	}
	return out, nil
}

// diagnose looks for the record without a graph node, or the node without
// a record, behind err (a graph that does not match the records, found by
// loadView without reading them), with the walk of records and nodes
// together that a read-write open does, and returns what it finds, or
// err. O(n), on the error path only.
func (c *Collection) diagnose(ctx context.Context, sc *store.Collection, err error) error {
	if werr := sc.ForEachLoadLinks(ctx, runtime.GOMAXPROCS(0), func(int, uint32, []byte, uint64, []float32, []byte, []byte) error {
		return nil
	}); werr != nil {
		return fmt.Errorf("query: collection %q: %w", c.name, werr)
	}
	return err
}
