package query

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/vecbolt/vecbolt/index/quant"
	"github.com/vecbolt/vecbolt/store"
)

// TrainSample is the most vectors INT8 parameters are trained on: a
// seeded uniform sample (reservoir) of the collection when it is larger.
// quant's GloVe measurement found a 10% sample as good as the whole
// (index/quant/doc.go); 65,536 vectors of 100 dimensions hold 25 MiB.
const TrainSample = 1 << 16

// trainParams learns INT8 parameters for the collection from a seeded
// sample of its stored vectors (unit vectors under cosine, as the graph
// encodes them): quant.Train with its zero options, per-dimension min/max.
// An empty collection gets quant.Default. The stored vectors were checked
// when written (finite, within the encoding's range) and quant.Train
// checks them again, so nothing non-finite reaches the parameters. Cost:
// one pass over the vectors, O(n·dim), and O(TrainSample·dim) memory.
func (c *Collection) trainParams(ctx context.Context) (*quant.Int8, error) {
	m := quantMetric(c.cfg.Metric)
	rng := rand.New(rand.NewPCG(uint64(c.cfg.Seed), 0x9e3779b97f4a7c15))
	var sample [][]float32
	seen := 0
	err := c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		return sc.ForEachID(func(id uint32, key string, _ uint64, vec []float32) error {
			if seen&4095 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			seen++
			at := len(sample)
			if at >= TrainSample {
				if at = rng.IntN(seen); at >= TrainSample {
					return nil
				}
			} else {
				sample = append(sample, nil)
			}
			v := append(sample[at][:0], vec...)
			if c.cfg.Metric == Cosine {
				normalize(v)
			}
			sample[at] = v
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if len(sample) == 0 {
		return quant.Default(c.cfg.Dim, m)
	}
	q, err := quant.Train(c.cfg.Dim, m, sample, quant.TrainOptions{})
	if err != nil {
		return nil, fmt.Errorf("query: collection %q: training int8 parameters: %w", c.name, err)
	}
	return q, nil
}

// Quantize changes how collection name holds its vectors in memory to to
// ("none", "fp16" or "int8"), all or nothing: the collection is copied
// into a staged collection (DB.Stage with Copy), INT8 parameters are
// trained on a seeded sample of the copy (per-dimension min/max, see
// trainParams), every code block of the copy is rewritten in one
// transaction, the copy is loaded on the new codes and swapped in. A
// crash at any point leaves the collection as it was (the next read-write
// Open drops the staged copy) or as it becomes, never a mix. Quantizing to
// the current int8 encoding re-trains the parameters (what compact does).
// Writers of the collection wait until it is done. A vector the new
// encoding cannot hold (beyond ±65504 for fp16 under dot or l2) fails it
// with an error wrapping quant.ErrValue naming the vector's id, and
// nothing changes. Cost: O(n·dim) plus a copy and a load of the
// collection; it needs free disk space for the copy.
func (db *DB) Quantize(ctx context.Context, name, to string) error {
	enc := canonicalQuantize(to)
	if _, err := quant.ParseEncoding(enc); err != nil {
		return fmt.Errorf("query: quantize %q: %w", name, err)
	}
	names, err := db.Collections()
	if err != nil {
		return err
	}
	found := false
	for _, n := range names {
		found = found || n == name
	}
	if !found {
		return fmt.Errorf("%w: %q", ErrUnknownCollection, name)
	}
	s, err := db.Stage(ctx, name, CollectionConfig{}, StageOptions{Copy: true})
	if err != nil {
		return err
	}
	if err := s.c.reencode(ctx, enc); err != nil {
		_ = s.Abort()
		return fmt.Errorf("query: quantize %q to %s: %w (the collection is as it was)", name, canonicalEncodingName(enc), err)
	}
	return s.Commit(ctx)
}

// canonicalEncodingName is "none" for "".
func canonicalEncodingName(enc string) string {
	if enc == "" {
		return store.EncodingNone
	}
	return enc
}

// reencode rewrites the (staged, unshared) collection's codes for
// encoding enc (canonicalQuantize's form) and reloads it.
func (c *Collection) reencode(ctx context.Context, enc string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	params := ""
	if enc == store.EncodingINT8 {
		q, err := c.trainParams(ctx)
		if err != nil {
			return err
		}
		params = store.EncodeParams(q)
	}
	if err := c.db.st.Update(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		return sc.SetEncoding(canonicalEncodingName(enc), params)
	}); err != nil {
		return err
	}
	// The staged collection is not shared yet: its configuration may
	// change before the reload.
	c.cfg.Quantize = enc
	return c.load(ctx)
}

// Encodings returns the vector encoding of every collection in the file
// ("none", "fp16" or "int8"), by name, from their stored configurations
// (no collection is loaded). O(collections).
func (db *DB) Encodings() (map[string]string, error) {
	out := map[string]string{}
	err := db.st.View(func(tx *store.Tx) error {
		names, err := tx.Collections()
		if err != nil {
			return err
		}
		for _, n := range names {
			c, err := tx.Collection(n)
			if err != nil {
				return err
			}
			out[n] = canonicalEncodingName(canonicalQuantize(c.Config().Encoding))
		}
		return nil
	})
	return out, err
}
