package query

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
	"github.com/vecbolt/vecbolt/store"
)

// Quantized collections
//
// A collection created with CollectionConfig.Quantize "fp16" or "int8"
// keeps its exact float32 vectors in the file, as every collection does,
// and also their codes (store code blocks); the in-memory graph holds only
// the codes (package index, Graph.SetEncoding), so vector RAM drops 2× or
// about 4×. Searches traverse the codes, then re-rank an oversampled
// candidate set (SearchOptions.Oversample) with the exact vectors read
// from the mapped file (quant_view.go), so result scores are exact.
//
// INT8 parameters: a collection created empty (CreateCollection) starts
// from quant.Default (symmetric, bound 1: exact for unit vectors, clipping
// beyond ±1 under dot and l2) and its single writes encode with them,
// unless its first write is an UpsertBatch of at least 256 records, which
// trains them on a sample of the batch first (trainFirstBatch); a
// bulk build into a new staged collection (DB.Stage, `vecbolt import`)
// builds the graph on the float32 vectors and, at Commit, trains
// per-dimension min/max parameters on a seeded sample (trainParams) and
// encodes everything ("build on FP32, then quantize"). DB.Quantize (and
// `vecbolt compact`) re-trains and re-encodes an existing collection
// through a staged copy: all or nothing.
//
// Memory, GloVe 50k × 100 (cosine), imported with and without --quantize
// int8, opened read-only in a fresh process that answers one query
// (`vecbolt --db D -c glove bench probe-open --query <king's vector>`,
// two runs each, load average 17, 2 Dec 2026, after merging s18-open's
// read-only loader):
//
//	                    none       int8
//	Go heap after open  31.7 MiB   12.6 MiB   (-19.1: the float32 unit vectors)
//	RSS after open      73.3 MiB   37.2 MiB   (0.51×; file pages 43.3 / 25.9)
//
// The int8 graph's codes (5.0 MiB) and the exact vectors are pages of the
// mapped file, faulted in as searches touch them and dropped from the
// resident set after the load's verification pass.

// canonicalQuantize maps the accepted spellings of an encoding to the
// stored one: "" for none (also "none", "fp32"), "fp16", "int8"; other
// values are kept as given (lower-cased) for Validate to refuse.
func canonicalQuantize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == store.EncodingNone || s == "fp32" {
		return ""
	}
	return s
}

// quantMetric maps a collection metric to quant's.
func quantMetric(m Metric) quant.Metric {
	switch m {
	case Dot:
		return quant.Dot
	case L2:
		return quant.L2
	}
	return quant.Cosine
}

// createConfig is the store configuration CreateCollection writes: an
// int8 collection starts from quant.Default parameters. O(dim).
func (cfg CollectionConfig) createConfig() (store.Config, error) {
	sc := cfg.storeConfig()
	if sc.Encoding != store.EncodingINT8 {
		return sc, nil
	}
	q, err := quant.Default(cfg.Dim, quantMetric(cfg.Metric))
	if err != nil {
		return store.Config{}, err
	}
	sc.EncodingParams = store.EncodeParams(q)
	return sc, nil
}

// EncodingInfo describes how a collection holds its vectors in memory.
type EncodingInfo struct {
	// Encoding is "none", "fp16" or "int8".
	Encoding string `json:"encoding"`
	// VectorBytes is the bytes one vector costs in the graph: 4·dim,
	// 2·dim, or dim+4 (int8 codes and a float32 correction).
	VectorBytes int `json:"vector_bytes"`
	// Params describes the INT8 parameters: "default symmetric (bound
	// 1)", "trained per-dimension", ...; "untrained" for an int8
	// collection whose bulk build has not finished; "" otherwise.
	Params string `json:"params,omitempty"`
	// ExactInRAM is the number of exact vectors held in memory for
	// re-ranking (the rows written since their block's last fold); the
	// others are read from the mapped file.
	ExactInRAM int `json:"exact_in_ram"`
}

// Encoding returns how the collection holds its vectors in memory. Safe
// for concurrent use; O(1) plus O(blocks) for ExactInRAM.
func (c *Collection) Encoding() EncodingInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.encodingLocked()
}

// encodingLocked is Encoding; the caller holds c.mu.
func (c *Collection) encodingLocked() EncodingInfo {
	g := c.g
	info := EncodingInfo{Encoding: g.Encoding().String()}
	switch g.Encoding() {
	case quant.None:
		info.VectorBytes = 4 * c.cfg.Dim
		if c.cfg.Quantize == store.EncodingINT8 {
			info.Params = "untrained (float32 until its bulk build commits or compact)"
		}
	default:
		info.VectorBytes = g.CodeRowSize()
	}
	if q := g.Int8Params(); q != nil {
		info.Params = describeParams(q)
	}
	if c.qx != nil {
		info.ExactInRAM = c.qx.inRAM()
	}
	return info
}

// describeParams names INT8 parameters for stats: "default" when they are
// quant.Default's, else "trained", with the scheme.
func describeParams(q *quant.Int8) string {
	d, err := quant.Default(q.Dim(), q.Metric())
	if err == nil {
		a, _ := q.MarshalBinary()
		b, _ := d.MarshalBinary()
		if string(a) == string(b) {
			return "default " + q.Scheme().String() + " (bound 1)"
		}
	}
	return "trained " + q.Scheme().String()
}

// storeEncoding returns the encoding and parameters of a store
// configuration as the graph takes them; enc is quant.None for an
// untrained int8 collection (its graph holds float32 until trained).
func storeEncoding(name string, sc store.Config) (quant.Encoding, *quant.Int8, error) {
	enc, err := quant.ParseEncoding(sc.Encoding)
	if err != nil {
		return 0, nil, fmt.Errorf("query: collection %q: %w", name, err)
	}
	if enc != quant.INT8 {
		return enc, nil, nil
	}
	q, err := sc.Int8Params()
	if err != nil {
		return 0, nil, fmt.Errorf("query: collection %q: %w", name, err)
	}
	if q == nil {
		return quant.None, nil, nil
	}
	return enc, q, nil
}

// restoreCodes makes the graph being restored hold the collection's codes
// (an encoded collection): the code rows come from the store's code blocks,
// FP16 rows as views of the mapped file when keep is true (the load's
// transaction is pinned: read-only databases), as copies otherwise (the
// graph then owns every row, and writes change them); INT8 rows are always
// copied, by Restorer.SetCodes, into the graph's own layout. It reports whether the collection is
// encoded; then the caller restores links only (store ForEachLoadLinks).
func restoreCodes(name string, sc *store.Collection, r *index.Restorer, keep bool) (bool, error) {
	enc, q, err := storeEncoding(name, sc.Config())
	if err != nil || enc == quant.None {
		return false, err
	}
	if err := r.SetEncoding(enc, q); err != nil {
		return false, fmt.Errorf("query: collection %q: %w", name, err)
	}
	shift, _, chunks, _, err := sc.CodeChunks()
	if err != nil {
		return false, err
	}
	if !keep && enc != quant.INT8 { // SetCodes copies INT8 rows into the graph's layout anyway
		for i, ch := range chunks {
			chunks[i] = append([]byte(nil), ch...)
		}
	}
	if err := r.SetCodes(shift, chunks); err != nil {
		return false, fmt.Errorf("query: collection %q: %w", name, err)
	}
	return true, nil
}

// finishEncoding trains and encodes a staged int8 collection whose bulk
// build left it untrained (DB.Stage of a new collection): INT8 parameters
// from a seeded sample of its vectors (trainParams), every code block
// written with them in one transaction, and the graph reloaded from the
// file on the codes. A no-op for every other collection. The caller holds
// wmu. Cost: O(n·dim) plus a load.
func (c *Collection) finishEncoding(ctx context.Context) error {
	var sc store.Config
	if err := c.db.st.View(func(tx *store.Tx) error {
		col, err := tx.Collection(c.name)
		if err == nil {
			sc = col.Config()
		}
		return err
	}); err != nil {
		return err
	}
	if sc.Encoding != store.EncodingINT8 || sc.EncodingParams != "" {
		return nil
	}
	q, err := c.trainParams(ctx)
	if err != nil {
		return err
	}
	if err := c.db.st.Update(func(tx *store.Tx) error {
		col, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		return col.SetEncoding(store.EncodingINT8, store.EncodeParams(q))
	}); err != nil {
		return err
	}
	return c.load(ctx)
}

// encodeEmpty makes the new graph g of an empty encoded collection hold
// codes, and returns its (empty) exact-vector source; nil for a float32
// collection.
func encodeEmpty(st *store.DB, tx *store.Tx, sc *store.Collection, g *index.Graph, view bool) (*exactViews, error) {
	enc, q, err := storeEncoding(sc.Name(), sc.Config())
	if err != nil || enc == quant.None {
		return nil, err
	}
	if err := g.SetEncoding(enc, q); err != nil {
		return nil, fmt.Errorf("query: collection %q: %w", sc.Name(), err)
	}
	return newExactViews(st, tx, sc, view)
}

// stageUntrained creates the staged collection for a bulk load into
// target when target is an empty int8 collection: an empty copy of its
// configuration with the parameters dropped, so that the load builds on
// float32 and Commit trains on the loaded vectors (finishEncoding),
// instead of encoding everything with the quant.Default parameters an
// empty collection starts with. It returns "" (and does nothing) for any
// other target, which Stage copies. O(1).
func (db *DB) stageUntrained(target string) (hidden string, err error) {
	err = db.st.Update(func(tx *store.Tx) error {
		c, err := tx.Collection(target)
		if err != nil {
			return err
		}
		sc := c.Config()
		if sc.Encoding != store.EncodingINT8 || c.Len() != 0 || c.NextSeq() != 1 {
			return nil
		}
		sc.EncodingParams = ""
		hidden, _, err = tx.CreateStaged(target, sc)
		return err
	})
	return hidden, err
}

// minTrainBatch is the smallest first batch that trains an empty int8
// collection's parameters (trainFirstBatch).
const minTrainBatch = 256

// trainFirstBatch trains the INT8 parameters of an empty int8 collection
// on its first UpsertBatch, when that batch has at least minTrainBatch
// records: a seeded sample of the batch's vectors (as the graph takes
// them: unit under cosine) replaces quant.Default, which would clip dot
// and l2 data beyond ±1, before anything is encoded. The collection must
// never have been written (store NextSeq 1); otherwise, and for smaller
// batches, the parameters stay until compact or DB.Quantize. Cost:
// O(sample·dim) plus the reload of an empty collection.
func (c *Collection) trainFirstBatch(ctx context.Context, units [][]float32) error {
	if c.cfg.Quantize != store.EncodingINT8 || len(units) < minTrainBatch {
		return nil
	}
	c.mu.RLock()
	g := c.g
	c.mu.RUnlock()
	if g.Encoding() != quant.INT8 || g.MaxID() != 0 {
		return nil // untrained (a staged build) or already written
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	sample := units
	if len(sample) > TrainSample {
		rng := rand.New(rand.NewPCG(uint64(c.cfg.Seed), 0x9e3779b97f4a7c15))
		sample = make([][]float32, TrainSample)
		for i := range sample {
			sample[i] = units[rng.IntN(len(units))]
		}
	}
	q, err := quant.Train(c.cfg.Dim, quantMetric(c.cfg.Metric), sample, quant.TrainOptions{})
	if err != nil {
		return fmt.Errorf("query: collection %q: training int8 parameters: %w", c.name, err)
	}
	trained := false
	if err := c.db.st.Update(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil || sc.Len() != 0 || sc.NextSeq() != 1 {
			return err
		}
		trained = true
		return sc.SetEncoding(store.EncodingINT8, store.EncodeParams(q))
	}); err != nil || !trained {
		return err
	}
	return c.load(ctx)
}
