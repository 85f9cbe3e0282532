package query

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/store"
)

// Upsert writes one record: it inserts key, or replaces its vector and
// metadata when key exists. meta may be nil; otherwise it must be a JSON
// object. The vector is copied. Upsert returns after the record and the graph
// nodes it changed have committed in one transaction. Invalid input (see the
// store's errors) is rejected before anything changes.
func (c *Collection) Upsert(ctx context.Context, key string, vec []float32, meta json.RawMessage) error {
	return c.UpsertBatch(ctx, []Record{{Key: key, Vector: vec, Metadata: meta}}, BatchOptions{})
}

// BatchOptions tunes UpsertBatch. The zero value uses every core and reports
// no progress.
type BatchOptions struct {
	// Workers is the number of goroutines building the graph; 0 means
	// GOMAXPROCS.
	Workers int
	// Progress, if set, is called from the building goroutines with the
	// number of records linked so far. It must be safe for concurrent use.
	Progress func(done int)
}

// UpsertBatch writes many records in one transaction: either all of them
// commit or none does. The graph for new keys is built on opts.Workers
// cores. A key given twice keeps the last record. Every record is validated
// before anything changes; the first invalid one is reported with its
// position and key.
func (c *Collection) UpsertBatch(ctx context.Context, recs []Record, opts BatchOptions) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.db.st.ReadOnly() {
		return ErrReadOnly
	}
	// Validate and prepare outside the writer lock.
	scfg := c.cfg.storeConfig()
	last := make(map[string]int, len(recs))
	for i := range recs {
		r := &recs[i]
		if err := store.Validate(scfg, r.Key, r.Vector, r.Metadata); err != nil {
			return fmt.Errorf("query: record %d: %w", i, err)
		}
		last[r.Key] = i
	}
	units := make([][]float32, len(recs))
	for i := range recs {
		if last[recs[i].Key] != i {
			continue
		}
		units[i] = c.indexVector(recs[i].Vector)
	}

	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	c.mu.RLock()
	g := c.g
	existing := make([]uint32, len(recs))
	isNew := make([]bool, len(recs))
	var fresh [][]float32
	var freshAt []int
	for i := range recs {
		if units[i] == nil {
			continue
		}
		if id, ok := c.ids[recs[i].Key]; ok {
			existing[i] = id
		} else {
			isNew[i] = true
			fresh = append(fresh, units[i])
			freshAt = append(freshAt, i)
		}
	}
	c.mu.RUnlock()

	// Mutate the graph. From here on, any failure reloads from the file.
	ids := existing
	fail := func(err error) error {
		if rerr := c.load(context.WithoutCancel(ctx)); rerr != nil {
			c.closed.Store(true)
			return fmt.Errorf("%w (and reloading collection %q failed: %v; reopen the database)", err, c.name, rerr)
		}
		return err
	}
	for i := range recs {
		if units[i] == nil || isNew[i] {
			continue
		}
		if err := g.Update(existing[i], units[i]); err != nil {
			return fail(fmt.Errorf("query: record %d (%q): %w", i, recs[i].Key, err))
		}
	}
	if len(fresh) == 1 {
		id, err := g.Add(fresh[0])
		if err != nil {
			return fail(fmt.Errorf("query: record %q: %w", recs[freshAt[0]].Key, err))
		}
		ids[freshAt[0]] = id
	} else if len(fresh) > 1 {
		got, err := g.AddBatch(ctx, fresh, opts.Workers, opts.Progress)
		if err != nil {
			return fail(err)
		}
		for j, id := range got {
			ids[freshAt[j]] = id
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	dirty := g.TakeDirty()
	seqs := make([]uint64, len(recs))
	err := c.db.st.Update(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		batch := make([]store.Record, 0, len(fresh)+1)
		at := make([]int, 0, cap(batch))
		for i := range recs {
			if units[i] == nil {
				continue
			}
			batch = append(batch, store.Record{ID: ids[i], Key: recs[i].Key, Vector: recs[i].Vector, Metadata: recs[i].Metadata})
			at = append(at, i)
		}
		if err := sc.PutBatch(batch); err != nil {
			return err
		}
		for j, r := range batch {
			seqs[at[j]] = r.Seq
		}
		if err := c.putNodes(sc, g, dirty); err != nil {
			return err
		}
		return sc.SetGraphMeta(g.MarshalMeta())
	})
	if err != nil {
		return fail(err)
	}
	metas := c.parseMetas(recs, units)
	c.mu.Lock()
	for i := range recs {
		if units[i] == nil {
			continue
		}
		id := ids[i]
		c.meta.set(id, metas[i])
		for int(id) >= len(c.keys) {
			c.keys = append(c.keys, "")
			c.seqs = append(c.seqs, 0)
		}
		c.keys[id] = recs[i].Key
		c.seqs[id] = seqs[i]
		c.ids[recs[i].Key] = id
	}
	c.gen++
	c.mu.Unlock()
	return nil
}

// putNodes writes the stored form of every dirty node, deleting freed ones,
// in id order: bbolt inserts sorted keys in linear time.
func (c *Collection) putNodes(sc *store.Collection, g *index.Graph, dirty []uint32) error {
	slices.Sort(dirty)
	var buf []byte
	for _, id := range dirty {
		buf = g.MarshalNode(id, buf[:0])
		if buf == nil {
			if err := sc.DeleteNode(id); err != nil {
				return err
			}
			continue
		}
		if err := sc.PutNode(id, buf); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the records under keys in one transaction and repairs the
// graph around them. Every key must exist: an unknown key gives a *KeyError
// and nothing is deleted. It returns the number of records removed.
func (c *Collection) Delete(ctx context.Context, keys ...string) (int, error) {
	if c.closed.Load() {
		return 0, ErrClosed
	}
	if c.db.st.ReadOnly() {
		return 0, ErrReadOnly
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return 0, ErrClosed
	}
	c.mu.RLock()
	g := c.g
	seen := make(map[string]bool, len(keys))
	var ids []uint32
	var uniq []string
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		id, ok := c.ids[k]
		if !ok {
			c.mu.RUnlock()
			return 0, &KeyError{Collection: c.name, Key: k}
		}
		ids = append(ids, id)
		uniq = append(uniq, k)
	}
	c.mu.RUnlock()
	if len(ids) == 0 {
		return 0, nil
	}
	fail := func(err error) error {
		if rerr := c.load(context.WithoutCancel(ctx)); rerr != nil {
			c.closed.Store(true)
			return fmt.Errorf("%w (and reloading collection %q failed: %v; reopen the database)", err, c.name, rerr)
		}
		return err
	}
	if err := g.Delete(ids...); err != nil {
		return 0, fail(err)
	}
	dirty := g.TakeDirty()
	err := c.db.st.Update(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		for _, k := range uniq {
			if _, err := sc.Delete(k); err != nil {
				return fmt.Errorf("query: delete %q: %w", k, err)
			}
		}
		if err := c.putNodes(sc, g, dirty); err != nil {
			return err
		}
		return sc.SetGraphMeta(g.MarshalMeta())
	})
	if err != nil {
		return 0, fail(err)
	}
	c.mu.Lock()
	for i, k := range uniq {
		delete(c.ids, k)
		c.meta.set(ids[i], nil)
		c.keys[ids[i]] = ""
		c.seqs[ids[i]] = 0
	}
	c.gen++
	c.mu.Unlock()
	return len(uniq), nil
}

// indexVector returns the vector the graph holds for v: a unit-length copy
// under cosine, a plain copy otherwise.
func (c *Collection) indexVector(v []float32) []float32 {
	out := make([]float32, len(v))
	copy(out, v)
	if c.cfg.Metric == Cosine {
		normalize(out)
	}
	return out
}

// normalize scales v to unit length in place, accumulating in float64. It
// leaves a zero vector unchanged.
func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
}
