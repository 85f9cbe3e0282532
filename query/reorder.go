package query

import (
	"context"
	"fmt"
	"sort"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/store"
)

// Node orders for StageOptions.Order and DB.Reorder: how a bulk build or a
// rebuild renumbers the graph's nodes so that nodes searched together sit
// together in memory (index.Graph.Reorder). Keys, Seqs and results are
// unchanged; only the internal ids move.
const (
	// OrderAuto (""): DefaultOrder for a collection of at least
	// MinReorderLen records, and OrderNone below that, in DB.Reorder
	// (compact) and at a bulk build of a float32 collection that starts
	// empty; DefaultOrderINT8 there for an int8 one; OrderNone at other
	// bulk builds (see stageOrder).
	OrderAuto = ""
	// OrderNone keeps the ids in insertion order.
	OrderNone = "none"
	// OrderBFS numbers nodes breadth-first from the entry point.
	OrderBFS = "bfs"
	// OrderRCM is reverse Cuthill-McKee.
	OrderRCM = "rcm"
	// OrderGorder places each next the node sharing the most links with
	// the last few placed.
	OrderGorder = "gorder"
)

// DefaultOrder is the order OrderAuto uses. RCM: at 200,000 × 128 it took
// FP32 search from 0.98× hnswlib's QPS at recall 0.95 to 1.28× (Gorder
// 1.32×, BFS 1.05–1.20×), for a small part of Gorder's cost, which is
// O(n·M²) (docs/benchmarks.md, "Quantization and graph layout").
const DefaultOrder = OrderRCM

// MinReorderLen is the smallest collection OrderAuto renumbers: below it
// the graph and its vectors (a few tens of MiB) mostly sit in the CPU's
// caches, the layout buys little and the rewrite costs the same per record.
const MinReorderLen = 50000

// ValidateOrder returns nil for an Order constant and an error wrapping
// ErrInvalidOrder for anything else (names are lower case). O(1).
func ValidateOrder(order string) error {
	if order == OrderAuto {
		return nil
	}
	if _, err := index.ParseOrder(order); err != nil {
		return fmt.Errorf("%w %q (want none, bfs, rcm or gorder)", ErrInvalidOrder, order)
	}
	return nil
}

// DefaultOrderINT8 is the order OrderAuto uses at the bulk build of an
// int8 collection (stageOrder). Gorder: through `vecbolt bench` at
// 200,000 × 128 (bench/layout.sh, two interleaved rounds, docs/benchmarks.md
// "Renumbering at the bulk build and at compact"), INT8 search at recall
// 0.95 was 1.34–1.69× as fast with it as in insertion order, and RCM
// 1.11–1.12×. Its ordering is O(n·M²): at a 1M × 100 int8 import it
// added 17 s of CPU time (+8%) and no memory.
const DefaultOrderINT8 = OrderGorder

// stageOrder is the order a stage renumbers in: opts.Order, and for
// OrderAuto:
//
//   - a float32 or int8 collection that starts empty (a new collection,
//     an import that replaces one): OrderAuto, which Commit resolves
//     from MinReorderLen records to DefaultOrder (float32) or
//     DefaultOrderINT8 (autoOrder, resolveOrder). Such a build spills its
//     records until Commit and writes them once, in the final order
//     (stage.go, Spilled builds), so renumbering costs the import little:
//     at 1M × 100 its peak RSS was 1.07× hnswlib's build with RCM against
//     1.23× without, its CPU time 1.14× against 1.05×, and the file 558
//     against 567 MiB (docs/benchmarks.md, "Renumbering at the bulk build
//     and at compact");
//   - fp16, whose graph holds codes during the build (no spill: a
//     renumbering would rewrite the records), and a stage that starts as a
//     copy of records (it would rewrite the copy): OrderNone. `vecbolt
//     compact` (DB.Reorder) renumbers those.
func stageOrder(opts StageOptions, empty bool, cfg CollectionConfig) string {
	if opts.Order != OrderAuto {
		return opts.Order
	}
	if !empty || cfg.Quantize == store.EncodingFP16 {
		return OrderNone
	}
	return OrderAuto
}

// autoOrder is the order OrderAuto means at the bulk build of a
// collection configured cfg (stageOrder).
func autoOrder(cfg CollectionConfig) string {
	if cfg.Quantize == store.EncodingINT8 {
		return DefaultOrderINT8
	}
	return DefaultOrder
}

// resolveOrder is the index order that order means for a collection of n
// records, and whether there is anything to do; OrderAuto means auto from
// MinReorderLen records.
func resolveOrder(order, auto string, n int) (index.Order, bool, error) {
	if order == OrderAuto {
		if n < MinReorderLen {
			return index.OrderNone, false, nil
		}
		order = auto
	}
	if err := ValidateOrder(order); err != nil {
		return 0, false, err
	}
	o, _ := index.ParseOrder(order)
	return o, o != index.OrderNone && n > 1, nil
}

// reorder renumbers the staged collection's graph in order s.order
// (Staged.Commit calls it before the graph is written, holding c.wmu): it
// reorders the graph in memory, copies the staged collection's records,
// vectors and texts into a new staged one under the new ids, with every
// node taken from the graph (store.DB.StageRenumbered, which so replaces
// writeGraph), drops the old one, and maps the in-memory keys, Seqs and
// metadata onto the new ids. A failure
// leaves s.hidden as it was, and the caller drops it. Cost: the order
// (BFS and RCM O(n·M), Gorder O(n·M²)), O(n·(dim+M)) to move the graph in
// memory and O(size of the collection) written to the file; about
// twice the graph's memory while the graph is moved.
func (s *Staged) reorder(ctx context.Context) error {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	o, do, err := resolveOrder(s.order, autoOrder(c.cfg), c.count())
	if err != nil || !do {
		return err
	}
	perm, err := c.g.Reorder(o)
	if err != nil {
		return err
	}
	c.g.TakeDirty() // every node is rewritten below
	g := c.g
	hidden, err := s.db.st.StageRenumbered(ctx, s.hidden, perm, g.MarshalMeta(), g.MarshalNode)
	if err != nil {
		return err
	}
	old := s.hidden
	s.hidden, c.name = hidden, hidden
	c.deferGraph = false // every node and the graph's metadata are written
	if err := s.db.st.Update(func(tx *store.Tx) error { return tx.DropCollection(old) }); err != nil {
		return err
	}
	c.permute(perm)
	if c.qx != nil {
		return s.db.st.View(func(tx *store.Tx) error {
			sc, err := tx.Collection(hidden)
			if err != nil {
				return err
			}
			c.qx, err = newExactViews(c.db.st, tx, sc, false) // quant_view.go
			return err
		})
	}
	return nil
}

// permute maps the id-keyed catalogue (keys, ids, seqs, metadata) through
// perm (perm[old] = new id, index.NoID for none) and invalidates the
// caches keyed by collection version. Caller holds mu. O(n).
func (c *Collection) permute(perm []uint32) {
	n := 0
	for _, nu := range perm {
		if nu != index.NoID {
			n = max(n, int(nu)+1)
		}
	}
	keys := make([]string, n)
	seqs := make([]uint64, n)
	var docs []docMeta
	if c.meta.n > 0 {
		docs = make([]docMeta, n)
	}
	for old, nu := range perm {
		if nu == index.NoID {
			continue
		}
		if old < len(c.keys) {
			keys[nu] = c.keys[old]
		}
		if old < len(c.seqs) {
			seqs[nu] = c.seqs[old]
		}
		if docs != nil && old < len(c.meta.docs) {
			docs[nu] = c.meta.docs[old]
		}
	}
	for k, id := range c.ids {
		c.ids[k] = perm[id]
	}
	c.keys, c.seqs = keys, seqs
	if docs != nil {
		c.meta.docs = docs
	}
	c.gen++
}

// Reorder renumbers collection name's graph in order (an Order constant;
// OrderAuto renumbers only collections of at least MinReorderLen records)
// through a staged copy swapped in at the end, all or nothing: after a
// failure or a crash the collection is as it was. Keys, vectors,
// metadata, texts and search results are unchanged. `vecbolt compact`
// calls it on every collection before compacting the file. Writers of
// the collection wait until it returns. It reports whether it renumbered.
// Cost: O(size of the collection) copied twice (the staged copy, then the
// renumbered one) plus the order (see Staged.Commit); it needs about twice
// the collection's size of free disk space.
func (db *DB) Reorder(ctx context.Context, name, order string) (bool, error) {
	if err := ValidateOrder(order); err != nil {
		return false, err
	}
	// The record count from the file: a collection left alone is not
	// loaded (nor refused for options an older version saved).
	var n int
	if err := db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(name)
		if err == nil {
			n = sc.Len()
		}
		return err
	}); err != nil {
		return false, err
	}
	o, do, err := resolveOrder(order, DefaultOrder, n)
	if err != nil || !do {
		return false, err
	}
	s, err := db.Stage(ctx, name, CollectionConfig{}, StageOptions{Copy: true, Order: o.String()})
	if err != nil {
		return false, err
	}
	if err := s.Commit(ctx); err != nil {
		return false, fmt.Errorf("query: reorder %q: %w", name, err)
	}
	return true, nil
}

// ReorderAll runs Reorder on every collection of the database, in name
// order, and returns the names of those it renumbered.
func (db *DB) ReorderAll(ctx context.Context, order string) ([]string, error) {
	if err := ValidateOrder(order); err != nil {
		return nil, err
	}
	names, err := db.Collections()
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var done []string
	for _, name := range names {
		did, err := db.Reorder(ctx, name, order)
		if err != nil {
			return done, err
		}
		if did {
			done = append(done, name)
		}
	}
	return done, nil
}
