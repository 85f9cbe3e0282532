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

// Result is one neighbour found by a query.
type Result struct {
	Key string
	// Score follows the collection's metric: cosine similarity or dot
	// product (higher is closer), or Euclidean distance (lower is closer).
	Score float32
	// Metadata is set only when SearchOptions.WithMetadata is true.
	Metadata json.RawMessage
	// Vector is the stored vector (as written), set only when
	// SearchOptions.WithVectors is true. It belongs to the caller.
	Vector []float32
	// Text is the record's text ("" if it has none), set only when
	// SearchOptions.WithText is true. For a chunk of a document it is the
	// chunk's text.
	Text string
}

// SearchOptions tunes a query. The zero value searches the HNSW graph with
// the collection's default ef.
type SearchOptions struct {
	// Exact scans every record instead of searching the graph.
	Exact bool
	// Ef is the beam width of the graph search; the search uses max(k, Ef).
	// 0 means the collection's Ef.
	Ef int
	// WithMetadata fills Result.Metadata (one read per result).
	WithMetadata bool
	// WithVectors fills Result.Vector with the stored vector (one read per
	// result).
	WithVectors bool
	// WithText fills Result.Text with the record's stored text (one read
	// per result).
	WithText bool
	// Offset skips that many of the closest results, for paging: a query
	// with k and Offset returns results Offset+1 .. Offset+k of a query with
	// k+Offset (the graph search uses max(k+Offset, Ef)).
	Offset int
	// Restrict, when positive, answers only from the first Restrict records
	// in insertion order.
	Restrict int
	// Filter, when not zero, answers only from records whose metadata it
	// matches. A selective filter is answered by an exact scan of the
	// records that pass (see ScanBelow); otherwise the graph search skips
	// the records that fail and keeps going until it holds max(k, Ef) that
	// pass, so it returns min(k, passing records) results.
	Filter Filter
	// Oversample applies to collections that hold their vectors as codes
	// (CollectionConfig.Quantize fp16 or int8): the graph search keeps the
	// best ceil(k·Oversample) candidates by code distance and re-ranks them
	// with the exact vectors, so scores are exact; a larger value trades
	// speed for recall. 0 means index.DefaultOversample; values below 1
	// count as 1. Ignored for float32 collections.
	Oversample float64
}

// Search returns the k records nearest to vec, closest first. vec must have
// the collection's dimension and finite components; under cosine it need not
// be unit length (it is normalised) but must not be zero. k must be
// positive; a k beyond the collection's size returns every record (k, like
// opts.Ef, is clamped to the collection's size). Cost: O(ef·M) distance
// computations for a graph search, O(n) for an exact one.
func (c *Collection) Search(ctx context.Context, vec []float32, k int, opts SearchOptions) ([]Result, error) {
	if err := c.checkQuery(vec, k); err != nil {
		return nil, err
	}
	q := c.indexVector(vec)
	return c.search(ctx, q, k, nil, opts)
}

// SearchKey returns the k records nearest to the record stored under key,
// the key itself excluded.
func (c *Collection) SearchKey(ctx context.Context, key string, k int, opts SearchOptions) ([]Result, error) {
	if k <= 0 {
		return nil, fmt.Errorf("%w (got %d)", ErrInvalidK, k)
	}
	q, id, err := c.vectorOf(key)
	if err != nil {
		return nil, err
	}
	return c.search(ctx, q, k, []uint32{id}, opts)
}

func (c *Collection) checkQuery(vec []float32, k int) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if k <= 0 {
		return fmt.Errorf("%w (got %d)", ErrInvalidK, k)
	}
	if err := store.ValidateVector(c.cfg.storeConfig(), vec); err != nil {
		return fmt.Errorf("query: collection %q: query vector: %w", c.name, err)
	}
	return nil
}

// vectorOf returns a copy of the graph's vector for key (unit length under
// cosine) and its id.
func (c *Collection) vectorOf(key string) ([]float32, uint32, error) {
	if c.closed.Load() {
		return nil, 0, ErrClosed
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok, err := c.idOf(key)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, &KeyError{Collection: c.name, Key: key}
	}
	v, err := c.graphVector(c.g, id) // quant_search.go
	return v, id, err
}

// search runs the query q (already in index form) and maps ids to results,
// leaving out the ids in exclude.
func (c *Collection) search(ctx context.Context, q []float32, k int, exclude []uint32, opts SearchOptions) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := opts.Filter.Err(); err != nil {
		return nil, err
	}
	if opts.Offset < 0 {
		return nil, fmt.Errorf("query: offset must not be negative (got %d)", opts.Offset)
	}
	if opts.Restrict > 0 || !opts.Filter.IsZero() {
		if err := c.ensureCatalog(ctx); err != nil {
			return nil, err
		}
	}
	skip := opts.Offset
	k += skip
	ef := opts.Ef
	if ef == 0 {
		ef = c.cfg.Ef
	}
	c.mu.RLock()
	g := c.g
	k, ef = clampK(g, k), clampK(g, ef)
	filter, scan := c.plan(exclude, opts.Restrict, opts.Filter, opts.Exact, max(k, ef))
	ns, err := c.searchGraph(g, q, k, ef, filter, scan, opts.Oversample) // quant_search.go
	if err != nil {
		c.mu.RUnlock()
		return nil, err
	}
	out := make([]Result, 0, len(ns))
	for _, n := range ns {
		key, err := c.keyOf(n.ID)
		if err != nil {
			c.mu.RUnlock()
			return nil, err
		}
		out = append(out, Result{Key: key, Score: c.score(n.Dist)})
	}
	c.mu.RUnlock()
	out = out[min(skip, len(out)):]
	if opts.WithMetadata || opts.WithVectors || opts.WithText {
		if err := c.fillRecords(out, opts.WithMetadata, opts.WithVectors, opts.WithText); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// clampK limits a result count or beam width to the graph's id range, the
// most results any query can have, so that no k (math.MaxInt included)
// sizes an allocation or overflows arithmetic such as 10*k.
func clampK(g *index.Graph, k int) int {
	return min(k, int(g.MaxID()))
}

// visible returns the filter a search needs: only committed records (a
// node with a key), minus exclude. The caller holds c.mu.
//
// The committed test cannot be skipped when no write is pending at the
// start of a search: writers link new nodes without c.mu, so a node can
// appear in the graph while the search runs, before its key (and, for an
// id beyond the table, its slot in c.keys) exists. A lazily loaded
// collection (read-only: no writer) has every live node committed.
func (c *Collection) visible(exclude []uint32) index.Filter {
	if c.lazy {
		if len(exclude) == 0 {
			return nil
		}
		return func(id uint32) bool { return !slices.Contains(exclude, id) }
	}
	keys := c.keys
	return func(id uint32) bool {
		for _, x := range exclude {
			if id == x {
				return false
			}
		}
		return int(id) < len(keys) && keys[id] != ""
	}
}

// score converts the graph's internal distance to the documented score.
func (c *Collection) score(d float32) float32 {
	switch c.metric {
	case index.Cosine:
		return 1 - d
	case index.Dot:
		return -d
	default:
		if d < 0 {
			d = 0
		}
		return float32(math.Sqrt(float64(d)))
	}
}

func (c *Collection) fillMetadata(rs []Result) error {
	return c.fillRecords(rs, true, false, false)
}

// fillRecords sets the metadata, the stored vector and/or the text of each
// result in one read transaction.
func (c *Collection) fillRecords(rs []Result, meta, vectors, texts bool) error {
	return c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		for i := range rs {
			r, err := sc.Get(rs[i].Key)
			if err != nil {
				if errorsIsNotFound(err) {
					continue // deleted since the search
				}
				return err
			}
			if meta && r.Metadata != nil {
				rs[i].Metadata = r.Metadata
			}
			if vectors {
				rs[i].Vector = r.Vector
			}
			if texts {
				if rs[i].Text, _, err = sc.Text(r.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
