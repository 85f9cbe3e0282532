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

// Upsert writes one record: it inserts key, or replaces its vector when key
// exists. The vector is copied.
//
// Metadata: meta must be nil, JSON null or a JSON object. For a new key,
// nil and null both mean no metadata. For an existing key, nil (or empty)
// keeps the stored metadata, json.RawMessage("null") clears it, and an
// object replaces it. SetMetadata changes metadata alone.
//
// Upsert returns after the record and the graph nodes it changed have
// committed: when it returns nil the write is durable. Invalid input (see
// the store's errors) is rejected before anything is queued, and fails this
// call only.
//
// Cost: for a new key or a changed vector, one graph insert or update
// (O(M·efConstruction) distance computations once the index repairs
// locally) plus the record and the few nodes it changed, written in one
// transaction. Re-upserting a key with the identical vector does no graph
// work and rewrites no node; if the metadata is unchanged as well, nothing
// is written at all. Concurrent writers to one collection share
// transactions (group commit, see the package documentation): with many
// writers, the fsync is paid once per group, not once per write.
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

// UpsertBatch writes many records: either all of them commit or none does.
// The graph for new keys is built on opts.Workers cores. A key given twice
// keeps the last record. Every record is validated before anything is
// queued; the first invalid one is reported with its position and key.
// Metadata follows Upsert: nil keeps what an existing key has, JSON null
// clears it.
//
// Cost: O(len(recs)·M·efConstruction) distance computations for new keys
// and changed vectors, none for records whose vector is unchanged; records
// whose vector and metadata are both unchanged are not rewritten, so
// importing a file again into its own collection reads and compares but
// writes nothing. Safe for concurrent use: a batch commits in one
// transaction, possibly together with concurrent single writes.
func (c *Collection) UpsertBatch(ctx context.Context, recs []Record, opts BatchOptions) error {
	if err := c.writable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Validate and prepare outside any lock.
	scfg := c.cfg.storeConfig()
	last := make(map[string]int, len(recs))
	for i := range recs {
		r := &recs[i]
		if err := store.Validate(scfg, r.Key, r.Vector, r.Metadata); err != nil {
			return fmt.Errorf("query: record %d: %w", i, err)
		}
		last[r.Key] = i
	}
	req := &writeReq{ctx: ctx, kind: opUpsert, opts: opts}
	if len(last) == len(recs) {
		req.recs = recs
	} else {
		req.recs = make([]Record, 0, len(last))
		for i := range recs {
			if last[recs[i].Key] == i {
				req.recs = append(req.recs, recs[i])
			}
		}
	}
	req.units = make([][]float32, len(req.recs))
	for i := range req.recs {
		req.units[i] = c.indexVector(req.recs[i].Vector)
	}
	var err error
	if req.texts, err = recordTexts(req.recs); err != nil { // doc_text.go
		return err
	}
	if len(req.recs) == 0 {
		return nil
	}
	if err := c.trainFirstBatch(ctx, req.units); err != nil { // quant.go: an empty int8 collection trains on it
		return err
	}
	return c.submit(req)
}

// SetMetadata replaces the metadata of the record under key and leaves its
// vector and the graph alone. meta must be nil, JSON null (both clear the
// metadata) or a JSON object; anything else gives an error wrapping
// store.ErrInvalidMetadata. A missing key gives a *KeyError wrapping
// ErrKeyNotFound.
//
// Cost: no graph work, whatever n is: one record read and, if the metadata
// differs, one record rewritten (O(log n) page reads, a few pages
// written), in one transaction shared with concurrent writers (group
// commit). It returns when the change is durable. Safe for concurrent use.
func (c *Collection) SetMetadata(ctx context.Context, key string, meta json.RawMessage) error {
	if err := c.writable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.ValidateKey(key); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	if metaGiven(meta) && !isNull(meta) {
		// Any valid vector will do: only the metadata is checked here.
		probe := make([]float32, c.cfg.Dim)
		probe[0] = 1
		if err := store.Validate(c.cfg.storeConfig(), key, probe, meta); err != nil {
			return fmt.Errorf("query: %w", err)
		}
	}
	return c.submit(&writeReq{ctx: ctx, kind: opSetMeta, recs: []Record{{Key: key, Metadata: meta}}})
}

// writable reports why c cannot be written, if it cannot.
func (c *Collection) writable() error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.db.st.ReadOnly() {
		return ErrReadOnly
	}
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
// and nothing is deleted. A key given twice counts once. It returns the
// number of records removed, once the removal is durable.
//
// Cost: the graph repair of the removed nodes (bounded by their
// neighbourhoods once the index repairs locally) plus their records and the
// nodes the repair changed, in one transaction shared with concurrent
// writers (group commit). A deleted record may disappear from searches a
// moment before the commit; if the commit fails it is back. Safe for
// concurrent use.
func (c *Collection) Delete(ctx context.Context, keys ...string) (int, error) {
	if err := c.writable(); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	seen := make(map[string]bool, len(keys))
	uniq := make([]string, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	if len(uniq) == 0 {
		return 0, nil
	}
	req := &writeReq{ctx: ctx, kind: opDelete, keys: uniq}
	if err := c.submit(req); err != nil {
		return 0, err
	}
	return req.n, nil
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
