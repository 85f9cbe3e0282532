package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/store"
)

// Group commit
//
// Every write (Upsert, UpsertBatch, Delete, SetMetadata) is validated by
// its caller, then queued as a writeReq on the collection's committer. The
// first writer to find no leader becomes the leader: under wmu it takes
// every queued request (its own included), applies them to the graph one
// after another in queue order (consecutive single inserts of new keys are
// linked together by one AddBatch on every core), writes them all in one bbolt transaction
// and commits once (one fsync), then publishes the new keys and wakes each
// writer with its result. A lone writer therefore commits at once with no
// added latency; writers that arrive while a commit is running queue up and
// go out together in the next one. When the leader is done it hands the
// lead to the oldest queued writer, so that no writer serves others for
// ever.
//
// Why not bbolt's DB.Batch: when a coalesced transaction fails, Batch runs
// each function again alone to find the culprit. The graph is in memory
// and the functions here have already changed it; running them again would
// apply them twice. Instead the leader owns failure:
//
//   - Input errors (bad vectors, keys, metadata) are found before queueing
//     and fail only their own call; a Delete or SetMetadata of a key that is
//     not there fails alone while the leader stages it, before it changes
//     anything.
//   - If a graph operation or a store write fails for one request, the
//     in-memory state is reloaded from the file (the last commit), that
//     request fails, and the others of its group are queued again at the
//     front, to be applied afresh.
//   - If the commit itself fails (I/O error, disk full), every write of the
//     group fails and memory is reloaded from the file: none of them is
//     visible afterwards, and every write committed before is still there.

// opKind is what a writeReq does.
type opKind uint8

const (
	opUpsert  opKind = iota // recs: insert or replace (Upsert, UpsertBatch)
	opDelete                // keys: remove (Delete)
	opSetMeta               // recs[0].Key, recs[0].Metadata: metadata only (SetMetadata)
)

// writeReq is one queued write call. The caller fills the input fields and
// must not touch the request again until submit returns; the leader fills
// the rest.
type writeReq struct {
	ctx   context.Context
	kind  opKind
	recs  []Record    // opUpsert: deduplicated, validated; opSetMeta: one record, no vector
	units [][]float32 // opUpsert: the graph's vector for recs[i]
	keys  []string    // opDelete: distinct keys
	opts  BatchOptions

	// opUpsert: the text of recs[i] (nil keeps it), and more writes for the
	// same transaction (doc_text.go).
	texts []*store.Text
	extra func(*store.Collection) error

	// Set by the leader.
	ids     []uint32 // opUpsert: the id of recs[i]; opDelete: of keys[i]; opSetMeta: of the key
	isNew   []bool   // opUpsert: recs[i] was a new key when staged
	done    bool     // finished: err and n are final
	err     error
	n       int       // opDelete: records removed
	wake    chan bool // true: lead now; false: finished by another leader
	staged  bool      // the graph holds this request's changes (this attempt)
	changed bool      // staging changed the graph
}

// committer is a collection's queue of writes waiting for a commit.
type committer struct {
	mu      sync.Mutex  // protects queue and leading
	queue   []*writeReq // waiting, oldest first
	leading bool        // a leader is running or has been woken
	stats   WriteStats  // what committed so far
}

// commitHook, when set (by tests only), runs inside every group's
// transaction after its writes, with the number of requests in the group;
// an error from it fails the commit as an I/O error would.
var commitHook func(requests int) error

// WriteStats counts a collection's committed writes since it was opened,
// for benchmarks and monitoring.
type WriteStats struct {
	// Commits is the number of write transactions committed. With
	// concurrent writers it grows more slowly than Writes (group commit);
	// a write that changed nothing commits nothing.
	Commits uint64
	// Writes is the number of write calls (Upsert, UpsertBatch, Delete,
	// SetMetadata) that returned nil.
	Writes uint64
	// Nodes is the number of graph nodes written or removed in the file.
	Nodes uint64
	// Where the committed groups' time went: applying them to the graph
	// (Stage), the store writes inside the transaction (Write), and
	// bbolt's commit, which writes the dirty pages and fsyncs (Commit).
	Stage, Write, Commit time.Duration
}

// WriteStats returns the collection's write counters. Safe for concurrent
// use; O(1).
func (c *Collection) WriteStats() WriteStats {
	c.commits.mu.Lock()
	defer c.commits.mu.Unlock()
	return c.commits.stats
}

// submit queues req and returns when it has committed or failed. The
// calling goroutine may become the leader and commit other writers'
// requests with its own.
func (c *Collection) submit(req *writeReq) error {
	req.wake = make(chan bool, 1)
	q := &c.commits
	q.mu.Lock()
	q.queue = append(q.queue, req)
	lead := !q.leading
	q.leading = true
	q.mu.Unlock()
	if !lead && !<-req.wake {
		return req.err
	}
	for !req.done {
		// Take the queue only once the writer lock is ours: whatever
		// queued while the previous commit ran goes out in this one.
		c.wmu.Lock()
		q.mu.Lock()
		group := q.queue
		q.queue = nil
		q.mu.Unlock()
		c.commitGroup(group)
		c.wmu.Unlock()
	}
	q.mu.Lock()
	if len(q.queue) > 0 {
		q.queue[0].wake <- true // the oldest waiter leads next
	} else {
		q.leading = false
	}
	q.mu.Unlock()
	return req.err
}

// finish sets a request's outcome and wakes its writer unless it is the
// leader itself (which reads done).
func (r *writeReq) finish(err error) {
	r.done, r.err = true, err
	r.wake <- false
}

// requeue puts unfinished requests back at the front of the queue, in
// their order.
func (c *Collection) requeue(reqs []*writeReq) {
	var again []*writeReq
	for _, r := range reqs {
		if !r.done {
			r.staged, r.changed = false, false
			again = append(again, r)
		}
	}
	if len(again) == 0 {
		return
	}
	q := &c.commits
	q.mu.Lock()
	q.queue = append(again, q.queue...)
	q.mu.Unlock()
}

// pending is what a group did to one key, so that later requests of the
// group see it before it commits.
type pending struct {
	id      uint32
	live    bool    // false: deleted in this group
	seq     uint64  // set by the store when the record is written
	meta    docMeta // parsed metadata, when metaSet
	metaSet bool    // the group changed the metadata
}

// groupState is the leader's view of one group while it is applied.
type groupState struct {
	g       *index.Graph
	keys    map[string]*pending // keys the group touched
	changed bool                // some request changed the graph
}

// lookup returns the id of key as the group sees it: its own changes first,
// then the committed maps. The caller holds wmu.
func (c *Collection) lookup(gs *groupState, key string) (uint32, bool) {
	if p, ok := gs.keys[key]; ok {
		return p.id, p.live
	}
	id, ok := c.ids[key]
	return id, ok
}

// reqError is a failure inside the transaction that belongs to one request.
type reqError struct {
	req *writeReq
	err error
}

func (e *reqError) Error() string { return e.err.Error() }
func (e *reqError) Unwrap() error { return e.err }

// errNoChange rolls back a transaction in which nothing was written.
var errNoChange = errors.New("query: nothing to commit")

// commitGroup applies and commits the requests of one group, finishing
// each one that succeeds or fails and requeueing the others (see the
// comment at the top of this file). The caller holds wmu.
func (c *Collection) commitGroup(group []*writeReq) {
	if c.closed.Load() {
		for _, r := range group {
			r.finish(ErrClosed)
		}
		return
	}
	if c.spill && !c.spillable(group) { // stage.go
		if err := c.unspill(); err != nil {
			c.recover(nil, err, group)
			return
		}
	}
	c.mu.RLock()
	gs := &groupState{g: c.g, keys: make(map[string]*pending)}
	c.mu.RUnlock()

	// Stage: apply every request to the graph, in order. Runs of single
	// inserts of new keys are linked together on every core.
	t0 := time.Now()
	var live []*writeReq
	for i := 0; i < len(group); i++ {
		r := group[i]
		if err := r.ctx.Err(); err != nil {
			r.finish(err)
			continue
		}
		if run := c.insertRun(gs, group[i:]); len(run) > 1 {
			if err := c.stageRun(gs, run); err != nil {
				c.recover(nil, err, group)
				return
			}
			live = append(live, run...)
			i += len(run) - 1
			continue
		}
		err := c.stage(gs, r)
		if err == nil {
			live = append(live, r)
			continue
		}
		if !r.staged {
			r.finish(err) // failed before changing anything
			continue
		}
		// The graph may be half changed: start again from the file.
		c.recover(r, err, group)
		return
	}
	if len(live) == 0 {
		return
	}
	// A staged collection's graph is written once, at Staged.Commit
	// (deferGraph): its dirty nodes stay marked until then.
	persist := gs.changed && !c.deferGraph
	var dirty []uint32
	if persist {
		dirty = gs.g.TakeDirty()
	}

	// One transaction, one commit.
	c.markExact(live) // quant_view.go: the exact-vector views re-read these blocks
	t1 := time.Now()
	var t2 time.Time
	err := c.db.st.Update(func(tx *store.Tx) error {
		defer func() { t2 = time.Now() }()
		if bulkGroup(live) {
			// A bulk batch reads many of the file's pages: drop them from
			// the resident set, as the memory they took counts in RSS.
			defer tx.ReleaseMapped()
		}
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		wrote := false
		for _, r := range live {
			w, err := c.write(sc, gs, r)
			if err != nil {
				return &reqError{req: r, err: err}
			}
			wrote = wrote || w
		}
		if persist {
			if err := c.putNodes(sc, gs.g, dirty); err != nil {
				return err
			}
			if err := sc.SetGraphMeta(gs.g.MarshalMeta()); err != nil {
				return err
			}
			wrote = true
		}
		if !wrote {
			return errNoChange
		}
		if err := tx.Flush(); err != nil {
			return err
		}
		if commitHook != nil {
			return commitHook(len(live))
		}
		return nil
	})
	t3 := time.Now()
	c.commits.mu.Lock()
	if err == nil {
		st := &c.commits.stats
		st.Commits++
		st.Nodes += uint64(len(dirty))
		st.Stage += t1.Sub(t0)
		st.Write += t2.Sub(t1)
		st.Commit += t3.Sub(t2)
	}
	if err == nil || errors.Is(err, errNoChange) {
		c.commits.stats.Writes += uint64(len(live))
	}
	c.commits.mu.Unlock()
	if err != nil && !errors.Is(err, errNoChange) {
		var re *reqError
		if errors.As(err, &re) {
			c.recover(re.req, re.err, group)
			return
		}
		c.recover(nil, err, group)
		return
	}

	// Committed: publish the group's keys.
	c.mu.Lock()
	for key, p := range gs.keys {
		if !p.live {
			continue // deletes were applied when staged
		}
		id := p.id
		for int(id) >= len(c.keys) {
			c.keys = append(c.keys, "")
			c.seqs = append(c.seqs, 0)
		}
		c.keys[id] = key
		if p.seq != 0 {
			c.seqs[id] = p.seq
		}
		c.ids[key] = id
		if p.metaSet {
			c.meta.set(id, p.meta)
		}
	}
	c.gen++
	c.mu.Unlock()
	for _, r := range live {
		r.finish(nil)
	}
}

// recover handles a failure after the graph changed: the in-memory state is
// reloaded from the file (the last commit). If culprit is not nil, it
// alone fails with err and the rest of the group is queued again;
// otherwise (the commit failed) every unfinished request of the group
// fails with err. The caller holds wmu.
func (c *Collection) recover(culprit *writeReq, err error, group []*writeReq) {
	if c.deferGraph {
		// The file does not hold the staged graph: there is nothing to
		// reload, and the stage ends (Commit refuses it, Abort drops it).
		c.closed.Store(true)
		err = fmt.Errorf("%w (the staged load of %q cannot continue)", err, c.name)
		culprit = nil
	} else if rerr := c.load(context.Background()); rerr != nil {
		c.closed.Store(true)
		err = fmt.Errorf("%w (and reloading collection %q failed: %v; reopen the database)", err, c.name, rerr)
		culprit = nil
	}
	if culprit != nil {
		culprit.finish(err)
		c.requeue(group)
		return
	}
	for _, r := range group {
		if !r.done {
			r.finish(err)
		}
	}
}

// stage applies r to the graph and records its effect on keys in gs. It
// returns an error with r.staged false when it failed before changing
// anything (r alone fails), with r.staged true when the graph may have
// changed. The caller holds wmu.
func (c *Collection) stage(gs *groupState, r *writeReq) error {
	switch r.kind {
	case opDelete:
		return c.stageDelete(gs, r)
	case opSetMeta:
		id, ok := c.lookup(gs, r.recs[0].Key)
		if !ok {
			return &KeyError{Collection: c.name, Key: r.recs[0].Key}
		}
		r.ids = []uint32{id}
		p := c.touch(gs, r.recs[0].Key, id)
		p.meta, p.metaSet = c.parseMetaInterned(r.recs[0].Metadata), true
		return nil
	}
	g := gs.g
	r.ids = make([]uint32, len(r.recs))
	r.isNew = make([]bool, len(r.recs))
	var fresh [][]float32
	var freshAt []int
	for i := range r.recs {
		id, ok := c.lookup(gs, r.recs[i].Key)
		if !ok {
			r.isNew[i] = true
			fresh = append(fresh, r.units[i])
			freshAt = append(freshAt, i)
			continue
		}
		r.ids[i] = id
		if c.sameGraphVector(g, id, r.units[i]) { // quant_search.go: bits, or the code of an encoded graph
			continue // no graph work for no change
		}
		r.staged, r.changed, gs.changed = true, true, true
		if err := g.Update(id, r.units[i]); err != nil {
			return fmt.Errorf("query: record %q: %w", r.recs[i].Key, err)
		}
	}
	if len(fresh) > 0 {
		r.staged, r.changed, gs.changed = true, true, true
	}
	if len(fresh) == 1 {
		id, err := g.Add(fresh[0])
		if err != nil {
			return fmt.Errorf("query: record %q: %w", r.recs[freshAt[0]].Key, err)
		}
		r.ids[freshAt[0]] = id
	} else if len(fresh) > 1 {
		add := g.AddBatch
		if bulkBatch(len(fresh), g.Len()) {
			add = g.AddBulk
		}
		got, err := add(r.ctx, fresh, r.opts.Workers, r.opts.Progress)
		if err != nil {
			return err
		}
		for j, id := range got {
			r.ids[freshAt[j]] = id
		}
	}
	for i := range r.recs {
		p := c.touch(gs, r.recs[i].Key, r.ids[i])
		if m := r.recs[i].Metadata; metaGiven(m) || r.isNew[i] {
			p.meta, p.metaSet = c.parseMetaInterned(m), true
		}
	}
	return nil
}

// insertRun returns the longest prefix of reqs made of single-record
// upserts of distinct keys that are new to the group and the collection,
// with a live context: their graph work is independent and can run on
// every core at once. The caller holds wmu.
func (c *Collection) insertRun(gs *groupState, reqs []*writeReq) []*writeReq {
	n := 0
	seen := map[string]bool{}
	for _, r := range reqs {
		if r.kind != opUpsert || len(r.recs) != 1 || r.opts.Progress != nil || r.ctx.Err() != nil {
			break
		}
		k := r.recs[0].Key
		if _, ok := c.lookup(gs, k); ok || seen[k] {
			break
		}
		if _, ok := gs.keys[k]; ok {
			break // deleted earlier in the group: keep the order simple
		}
		seen[k] = true
		n++
	}
	return reqs[:n]
}

// stageRun links the new keys of run (see insertRun) with one AddBatch on
// every core. An error leaves the graph half changed. The caller holds wmu.
func (c *Collection) stageRun(gs *groupState, run []*writeReq) error {
	vecs := make([][]float32, len(run))
	for i, r := range run {
		vecs[i] = r.units[0]
		r.staged, r.changed = true, true
	}
	gs.changed = true
	ids, err := gs.g.AddBatch(context.Background(), vecs, 0, nil)
	if err != nil {
		return err
	}
	for i, r := range run {
		r.ids, r.isNew = []uint32{ids[i]}, []bool{true}
		p := c.touch(gs, r.recs[0].Key, ids[i])
		p.meta, p.metaSet = c.parseMetaInterned(r.recs[0].Metadata), true
	}
	return nil
}

// stageDelete removes r's keys from the graph and hides them from
// searches at once (a search must not pair a freed slot, reused by a later
// insert of the group, with the deleted key). The caller holds wmu.
func (c *Collection) stageDelete(gs *groupState, r *writeReq) error {
	r.ids = make([]uint32, len(r.keys))
	for i, k := range r.keys {
		id, ok := c.lookup(gs, k)
		if !ok {
			return &KeyError{Collection: c.name, Key: k}
		}
		r.ids[i] = id
	}
	r.staged, r.changed, gs.changed = true, true, true
	if err := gs.g.Delete(r.ids...); err != nil {
		return err
	}
	c.mu.Lock()
	for i, k := range r.keys {
		p := c.touch(gs, k, r.ids[i])
		p.live, p.metaSet, p.meta = false, false, nil
		if cur, ok := c.ids[k]; ok && cur == r.ids[i] {
			delete(c.ids, k)
			c.keys[cur] = ""
			c.seqs[cur] = 0
			c.meta.set(cur, nil)
		}
	}
	c.gen++
	c.mu.Unlock()
	r.n = len(r.keys)
	return nil
}

// touch returns the group's entry for key, live under id.
func (c *Collection) touch(gs *groupState, key string, id uint32) *pending {
	p, ok := gs.keys[key]
	if !ok {
		p = &pending{}
		gs.keys[key] = p
	}
	p.id, p.live = id, true
	return p
}

// parseMetaInterned parses metadata for the filter index; nil, empty and
// JSON null give nil. The caller holds wmu (it interns names).
func (c *Collection) parseMetaInterned(m json.RawMessage) docMeta {
	if !metaGiven(m) || isNull(m) {
		return nil
	}
	if c.meta.intern == nil {
		c.meta.intern = make(map[string]string)
	}
	return parseMeta(m, c.meta.intern)
}

// metaGiven reports whether an upsert's metadata says anything: nil, empty
// or white space keeps the stored metadata.
func metaGiven(m json.RawMessage) bool { return len(bytes.TrimSpace(m)) > 0 }

// isNull reports whether m is JSON null, which clears metadata.
func isNull(m json.RawMessage) bool { return string(bytes.TrimSpace(m)) == "null" }

// write performs r's store writes in the group's transaction and reports
// whether it wrote anything. A replaced record whose vector and metadata
// are unchanged is not rewritten. The caller holds wmu.
func (c *Collection) write(sc *store.Collection, gs *groupState, r *writeReq) (bool, error) {
	switch r.kind {
	case opDelete:
		for _, k := range r.keys {
			if _, err := sc.Delete(k); err != nil {
				return false, fmt.Errorf("query: delete %q: %w", k, err)
			}
		}
		return len(r.keys) > 0, nil
	case opSetMeta:
		key := r.recs[0].Key
		old, err := sc.GetByID(r.ids[0])
		if err != nil {
			return false, fmt.Errorf("query: set metadata of %q: %w", key, err)
		}
		if sameMeta(old.Metadata, r.recs[0].Metadata) {
			return false, nil
		}
		rec := store.Record{ID: r.ids[0], Key: key, Vector: old.Vector, Metadata: r.recs[0].Metadata}
		if err := sc.Put(&rec); err != nil {
			return false, err
		}
		gs.keys[key].seq = rec.Seq
		return true, nil
	}
	if c.spill {
		return c.spillWrite(sc, gs, r) // stage.go
	}
	wroteText, err := c.writeTexts(sc, r) // doc_text.go
	if err != nil {
		return false, err
	}
	batch := make([]store.Record, 0, len(r.recs))
	at := make([]int, 0, len(r.recs))
	for i := range r.recs {
		rec := store.Record{ID: r.ids[i], Key: r.recs[i].Key, Vector: r.recs[i].Vector, Metadata: r.recs[i].Metadata}
		if !r.isNew[i] {
			old, err := sc.GetByID(r.ids[i])
			if err != nil {
				return false, fmt.Errorf("query: record %q: %w", rec.Key, err)
			}
			if !metaGiven(rec.Metadata) {
				rec.Metadata = old.Metadata // nil metadata keeps what is stored
			}
			if sameBits(old.Vector, rec.Vector) && sameMeta(old.Metadata, rec.Metadata) {
				continue // nothing to rewrite
			}
		}
		batch = append(batch, rec)
		at = append(at, i)
	}
	if len(batch) == 0 {
		return wroteText, nil
	}
	if err := sc.PutBatch(batch); err != nil {
		return false, err
	}
	for j, rec := range batch {
		gs.keys[r.recs[at[j]].Key].seq = rec.Seq
	}
	return true, nil
}

// sameMeta reports whether stored metadata old equals what m would store
// (nil, empty and JSON null are all "none").
func sameMeta(old, m json.RawMessage) bool {
	m = bytes.TrimSpace(m)
	if len(m) == 0 || string(m) == "null" {
		return len(old) == 0
	}
	return bytes.Equal(old, m)
}

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// bulkGroup reports whether a group of writes holds a bulk batch (1,024
// records or more), after whose commit the mapped pages it read are
// released (store.Tx.ReleaseMapped).
func bulkGroup(live []*writeReq) bool {
	for _, r := range live {
		if len(r.recs) >= 1024 {
			return true
		}
	}
	return false
}

// bulkBatch reports whether a batch of n new records into a graph of live
// nodes is linked with index.Graph.AddBulk (one traversal of the graph to
// prove reachability, O(live)) rather than AddBatch (a proof per insert):
// from 1,024 records and live/64. The proofs cost 27 s of CPU over a 1M ×
// 100 import (27 µs an insert on average) and a traversal 0.045 s at 150k
// nodes, O(live): the traversal pays well before live/64.
func bulkBatch(n, live int) bool { return n >= 1024 && n*64 >= live }
