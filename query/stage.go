package query

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/vecbolt/vecbolt/index/quant"
	"github.com/vecbolt/vecbolt/store"
)

// Staged is an all-or-nothing load into a collection: records go to a
// hidden staged collection, over as many transactions as the caller likes,
// and Commit swaps it in under the target name in one transaction. Until
// then the target is untouched and no other reader sees the staged
// records; if the process dies first, the next read-write Open drops the
// staged collection. A Staged is safe for concurrent use, like a
// Collection; Commit and Abort end it.
//
// Since an interrupted stage is dropped whole, its graph is kept in memory
// only until Commit writes it, once: each write transaction writes the
// records and vectors alone, so a batch's commit costs O(batch) whatever
// the size of the collection (writing the graph nodes a batch relinks,
// spread over every block of the collection, made the commits of a bulk
// load grow with n). In exchange, a write to the staged collection that
// fails in the graph or the file ends the stage, as the file cannot
// restore the graph: the write returns the error, later writes and Commit
// fail, and Abort drops the stage. A stage that starts empty and
// renumbers its graph at Commit (StageOptions.Order) keeps its records
// out of the file too, so that they are written once, in the final order
// (see Spilled builds below).
type Staged struct {
	db     *DB
	c      *Collection
	target string
	hidden string
	held   *Collection // the loaded target, whose writers wait until the end
	order  string      // StageOptions.Order (reorder.go)
	// spilled: the stage started spilling its records (Spilled builds).
	spilled bool

	mu   sync.Mutex // protects done
	done bool
}

// StageOptions configures DB.Stage.
type StageOptions struct {
	// Copy starts the staged collection as a copy of the existing target
	// (records and graph), so Commit adds to it. Without Copy, or when the
	// target does not exist, the staged collection starts empty and Commit
	// replaces the target wholesale.
	Copy bool
	// Order renumbers the graph for locality at Commit (reorder.go):
	// OrderAuto (""; see stageOrder: from MinReorderLen records,
	// DefaultOrder for a float32 collection that starts empty and
	// DefaultOrderINT8 for an int8 one; OrderNone otherwise), OrderNone,
	// OrderBFS, OrderRCM or OrderGorder.
	Order string
}

// Stage starts an all-or-nothing load into collection target. cfg is the
// configuration of a new (or replacing) collection; with opts.Copy and an
// existing target, the target's configuration is kept and cfg is ignored.
// Writers of a loaded target wait until Commit or Abort, so no write to it
// is lost by the swap. Cost: O(1) for an empty stage; O(size of target)
// with opts.Copy (the copy is written and loaded; it needs that much free
// disk space).
func (db *DB) Stage(ctx context.Context, target string, cfg CollectionConfig, opts StageOptions) (s *Staged, err error) {
	if db.st.ReadOnly() {
		return nil, ErrReadOnly
	}
	if err := store.ValidateName(target); err != nil {
		return nil, err
	}
	if err := ValidateOrder(opts.Order); err != nil { // reorder.go
		return nil, err
	}
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil, ErrClosed
	}
	held := db.cols[target]
	db.mu.Unlock()
	if held != nil {
		held.wmu.Lock()
		defer func() {
			if err != nil {
				held.wmu.Unlock()
			}
		}()
	}
	names, err := db.Collections()
	if err != nil {
		return nil, err
	}
	exists := false
	for _, n := range names {
		exists = exists || n == target
	}
	var hidden string
	if opts.Copy && exists {
		if hidden, err = db.stageUntrained(target); err != nil { // quant.go: an empty int8 target trains its bulk build
			return nil, err
		}
	}
	if opts.Copy && exists && hidden == "" {
		if hidden, err = db.st.StageCopy(ctx, target); err != nil {
			return nil, err
		}
	} else if hidden == "" {
		cfg = cfg.withDefaults()
		if cfg.Embedder, err = canonicalEmbedder(cfg.Embedder); err != nil { // doc_embedder.go
			return nil, fmt.Errorf("query: collection %q: %w", target, err)
		}
		if err := db.st.Update(func(tx *store.Tx) error {
			var err error
			hidden, _, err = tx.CreateStaged(target, cfg.storeConfig())
			return err
		}); err != nil {
			return nil, err
		}
	}
	c := &Collection{db: db, name: hidden}
	if err := c.load(ctx); err != nil {
		_ = db.st.Update(func(tx *store.Tx) error { return tx.DropCollection(hidden) })
		return nil, err
	}
	c.deferGraph = true // no other goroutine has c yet
	empty := c.count() == 0 && c.g.MaxID() == 0
	order := stageOrder(opts, empty, c.cfg) // reorder.go
	// A build that starts empty in a node order spills its records until
	// Commit (see Spilled builds); not under fp16, whose graph holds codes
	// and whose searches rescore with the vectors in the file.
	c.spill = order != OrderNone && empty && c.g.Encoding() == quant.None
	return &Staged{db: db, c: c, target: target, hidden: hidden, held: held, order: order, spilled: c.spill}, nil
}

// Collection returns the staged collection: write to it (UpsertBatch,
// Delete) and search it like any other. It stops working after Commit or
// Abort; after Commit use DB.Collection(target).
func (s *Staged) Collection() *Collection { return s.c }

// Target returns the name the staged collection will take.
func (s *Staged) Target() string { return s.target }

// errStageDone is returned by Commit or Abort after either has run.
var errStageDone = errors.New("query: staged load already committed or aborted")

// Commit renumbers the staged graph for locality (StageOptions.Order; see
// Staged.reorder for its cost), writes the staged graph (the nodes the
// stage changed, in blocks, a few blocks per transaction: O(n) for a new
// collection; a renumbering writes them all), folds the
// deltas left in the vector blocks (O(size of the blocks that have
// deltas)); a spilled build instead renumbers in memory and writes its
// records, vectors and graph once (commitSpilled, O(n·(dim+M)) written).
// Then it swaps the staged collection in under the target name in
// one transaction, dropping the previous target if there was one (its
// pages are freed: O(its pages)). After Commit, DB.Collection(target)
// returns the staged collection, already loaded. If Commit fails, the
// target is as it was and the staged collection is dropped.
func (s *Staged) Commit(ctx context.Context) error {
	if err := s.finish(); err != nil {
		return err
	}
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if s.held != nil {
		defer s.held.wmu.Unlock()
	}
	if c.closed.Load() {
		// A failed write ended the stage (see Staged).
		_ = s.db.st.Update(func(tx *store.Tx) error { return tx.DropCollection(s.hidden) })
		return fmt.Errorf("query: commit staged collection %q: an earlier write failed: %w (the collection is as it was)", s.target, ErrClosed)
	}
	var err error
	if c.spill {
		// Renumber in memory, then write records, vectors and graph once.
		err = s.commitSpilled(ctx)
	} else {
		if s.spilled && s.order == OrderAuto {
			// A write the spill could not take wrote the records: the
			// default renumbering would write them again (see Spilled
			// builds); compact renumbers instead.
			s.order = OrderNone
		}
		// The graph is complete here and not yet in the file: renumber it
		// (which writes it), or write the graph the batches kept in
		// memory; then fold the deltas the batches left where their
		// vector blocks met, so that the collection opens from its blocks
		// alone.
		err = s.reorder(ctx) // reorder.go
		if err == nil {
			err = c.writeGraph(ctx)
		}
		if err == nil {
			err = s.db.st.FoldDeltas(ctx, s.hidden)
		}
	}
	if err != nil {
		_ = s.db.st.Update(func(tx *store.Tx) error { return tx.DropCollection(s.hidden) })
		c.closed.Store(true)
		return fmt.Errorf("query: commit staged collection %q: %w (the collection is as it was)", s.target, err)
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	if s.db.closed {
		return ErrClosed
	}
	if err := c.finishEncoding(ctx); err != nil { // quant.go: an int8 bulk build trains and encodes now
		_ = s.db.st.Update(func(tx *store.Tx) error { return tx.DropCollection(s.hidden) })
		c.closed.Store(true)
		return fmt.Errorf("query: commit staged collection %q: %w (the collection is as it was)", s.target, err)
	}
	if err := s.db.st.Update(func(tx *store.Tx) error { return tx.CommitStaged(s.hidden, s.target) }); err != nil {
		_ = s.db.st.Update(func(tx *store.Tx) error { return tx.DropCollection(s.hidden) })
		c.closed.Store(true)
		return fmt.Errorf("query: commit staged collection %q: %w (the collection is as it was)", s.target, err)
	}
	if old := s.db.cols[s.target]; old != nil {
		old.closed.Store(true)
	}
	c.mu.Lock()
	c.name = s.target
	c.mu.Unlock()
	s.db.cols[s.target] = c
	return nil
}

// Abort drops the staged collection; the target is left as it was. Abort
// after Commit or Abort returns an error and does nothing.
func (s *Staged) Abort() error {
	if err := s.finish(); err != nil {
		return err
	}
	s.c.wmu.Lock()
	defer s.c.wmu.Unlock()
	if s.held != nil {
		defer s.held.wmu.Unlock()
	}
	s.c.closed.Store(true)
	return s.db.st.Update(func(tx *store.Tx) error { return tx.DropCollection(s.hidden) })
}

func (s *Staged) finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return errStageDone
	}
	s.done = true
	return nil
}

// graphWriteShift: writeGraph covers 1<<graphWriteShift ids per
// transaction: whole blocks of the store (a multiple of its largest block,
// 65,536 ids), at most about 16 MiB of node bytes at M 16. A variable so
// that tests can write in many transactions.
var graphWriteShift = 17

// writeGraph writes the nodes a staged collection's writes changed (all
// of them for a new collection) and the graph metadata, in id order,
// 1<<graphWriteShift ids to a transaction (so that bbolt's dirty pages stay
// bounded), then stops deferring. O(changed nodes · M). The caller holds
// wmu; on error the staged collection is to be dropped.
func (c *Collection) writeGraph(ctx context.Context) error {
	if !c.deferGraph {
		return nil
	}
	c.mu.RLock()
	g := c.g
	c.mu.RUnlock()
	dirty := g.TakeDirty()
	slices.Sort(dirty)
	for len(dirty) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := dirty[0] >> graphWriteShift
		n := sort.Search(len(dirty), func(i int) bool { return dirty[i]>>graphWriteShift != part })
		chunk, final := dirty[:n], n == len(dirty)
		dirty = dirty[n:]
		if err := c.db.st.Update(func(tx *store.Tx) error {
			defer tx.ReleaseMapped()
			sc, err := tx.Collection(c.name)
			if err != nil {
				return err
			}
			if err := c.putNodes(sc, g, chunk); err != nil {
				return err
			}
			if final {
				if err := sc.SetGraphMeta(g.MarshalMeta()); err != nil {
					return err
				}
			}
			return tx.Flush()
		}); err != nil {
			return fmt.Errorf("query: write the graph of %q: %w", c.name, err)
		}
	}
	c.deferGraph = false
	return nil
}

// Spilled builds
//
// A staged collection that starts empty and is built in a node order
// (StageOptions.Order other than OrderNone) would otherwise write every
// record and vector twice: once per batch under the ids of the build, once
// more renumbered at Commit (at 1M × 100 that rewrite took the import's
// peak RSS from 1.19× to 1.63× hnswlib's build and left the file 1.8×
// larger). Instead its batches write nothing keyed or valued by id: the
// keys and Seqs stay in the collection's tables (memory the collection
// holds anyway), the exact vectors in the graph under dot and l2 (the
// graph's float32 copy is the vector), and the store's spill, keyed by
// Seq, takes what memory does not hold: the norm and the exact vector
// under cosine (the graph holds the unit vector, from which the stored
// vector cannot be recovered bit for bit), and metadata (store.SpillBatch).
// Commit renumbers the graph in memory and writes records, vectors,
// nodes, insertion order and keys once, under the final ids, each bucket
// in key order (store.DB.WriteSpilled). Under dot and l2 without metadata
// the spill is empty: the file is the one a build without an order
// writes, and the import's memory grows by 8 bytes a record at Commit
// (the Seq and key orders).
//
// The spill takes new keys only. The first write that is anything else
// (a replaced key, a delete, metadata alone, a text) first writes the
// spilled records under their current ids (unspill), and the stage goes
// on as one without an order would, renumbering at Commit by a copy
// (Staged.reorder) when the order was asked for; OrderAuto then renumbers
// nothing, as the copy would write every record again. Until Commit, a spilled stage holds no records in the
// file: searches of Staged.Collection return keys and scores, but not
// stored metadata or vectors, and Get does not find the records.

// spillable reports whether every request of group is an upsert of new
// keys without texts, which a spilled stage can take. The caller holds
// wmu.
func (c *Collection) spillable(group []*writeReq) bool {
	seen := make(map[string]bool)
	for _, r := range group {
		if r.kind != opUpsert || r.texts != nil || r.extra != nil {
			return false
		}
		for i := range r.recs {
			k := r.recs[i].Key
			if _, ok := c.ids[k]; ok || seen[k] {
				return false
			}
			seen[k] = true
		}
	}
	return true
}

// spillWrite writes r's new records to the store's spill (see Spilled
// builds). The caller holds wmu.
func (c *Collection) spillWrite(sc *store.Collection, gs *groupState, r *writeReq) (bool, error) {
	batch := make([]store.Record, len(r.recs))
	for i := range r.recs {
		if !r.isNew[i] {
			return false, fmt.Errorf("query: record %q: a replaced key in a spilled stage", r.recs[i].Key) // spillable prevents it
		}
		batch[i] = store.Record{Key: r.recs[i].Key, Vector: r.recs[i].Vector, Metadata: r.recs[i].Metadata}
	}
	if err := sc.SpillBatch(batch, c.cfg.Metric == Cosine); err != nil {
		return false, err
	}
	for i := range batch {
		gs.keys[batch[i].Key].seq = batch[i].Seq
	}
	return len(batch) > 0, nil
}

// unspill writes the records a spilled stage holds under their current ids
// and ends the spilling: the stage goes on as one without an order. The
// caller holds wmu. O(n·dim) written.
func (c *Collection) unspill() error {
	c.mu.RLock()
	g, keys, seqs := c.g, c.keys, c.seqs
	c.mu.RUnlock()
	if err := c.db.st.WriteSpilled(context.Background(), c.name, keys, seqs, g.Vector, nil, nil); err != nil {
		return err
	}
	c.spill = false
	return nil
}

// commitSpilled renumbers a spilled stage's graph in memory in s.order
// (if the collection is large enough, see resolveOrder), maps the keys
// and Seqs onto the new ids, and writes records, vectors, graph nodes,
// insertion order and keys once (store.DB.WriteSpilled). The caller holds
// wmu; on error the staged collection is to be dropped. Cost: the order
// (see Staged.reorder) plus O(n·(dim+M)) written and O(n log n) to sort
// the keys; 8 bytes a record of memory beyond the build's.
func (s *Staged) commitSpilled(ctx context.Context) error {
	c := s.c
	c.mu.Lock()
	o, do, err := resolveOrder(s.order, autoOrder(c.cfg), c.count())
	if err == nil && do {
		var perm []uint32
		if perm, err = c.g.Reorder(o); err == nil {
			c.permute(perm) // reorder.go
		}
	}
	g, keys, seqs := c.g, c.keys, c.seqs
	c.mu.Unlock()
	if err != nil {
		return err
	}
	g.TakeDirty() // every node is written below
	if err := s.db.st.WriteSpilled(ctx, s.hidden, keys, seqs, g.Vector, g.MarshalNode, g.MarshalMeta()); err != nil {
		return err
	}
	c.spill, c.deferGraph = false, false
	return nil
}
