package query

import (
	"context"
	"fmt"

	"github.com/vecbolt/vecbolt/index"
)

// SearchWithin returns every record whose score passes threshold, closest
// first: cosine similarity or dot product >= threshold, or Euclidean
// distance <= threshold under l2. limit caps the number of results (0 means
// no cap). vec is validated as for Search; opts apply as for Search.
//
// With opts.Exact every record is scored. Otherwise the graph is searched
// for k = 32 (or limit, if smaller) neighbours, and k grows fourfold until
// the k-th result fails the threshold, the cap is reached or the graph is
// exhausted; the beam width is max(k, opts.Ef). The approximate answer can
// miss records that pass, as any graph search can; it is a subset of the
// exact one.
func (c *Collection) SearchWithin(ctx context.Context, vec []float32, threshold float32, limit int, opts SearchOptions) ([]Result, error) {
	if err := c.checkQuery(vec, 1); err != nil {
		return nil, err
	}
	return c.within(ctx, c.indexVector(vec), nil, threshold, limit, opts)
}

// SearchKeyWithin is SearchWithin around the record stored under key, the
// key itself excluded.
func (c *Collection) SearchKeyWithin(ctx context.Context, key string, threshold float32, limit int, opts SearchOptions) ([]Result, error) {
	q, id, err := c.vectorOf(key)
	if err != nil {
		return nil, err
	}
	return c.within(ctx, q, []uint32{id}, threshold, limit, opts)
}

func (c *Collection) within(ctx context.Context, q []float32, exclude []uint32, threshold float32, limit int, opts SearchOptions) ([]Result, error) {
	if limit < 0 {
		return nil, fmt.Errorf("query: threshold search: negative limit %d", limit)
	}
	pass := func(r Result) bool { return r.Score >= threshold }
	if c.metric == index.L2 {
		pass = func(r Result) bool { return r.Score <= threshold }
	}
	total := c.Len()
	if total == 0 {
		return []Result{}, nil
	}
	cut := func(rs []Result) []Result {
		n := 0
		for n < len(rs) && pass(rs[n]) {
			n++
		}
		if limit > 0 && n > limit {
			n = limit
		}
		return rs[:n]
	}
	if opts.Exact {
		k := total
		if limit > 0 {
			k = min(k, limit)
		}
		rs, err := c.search(ctx, q, k, exclude, opts)
		if err != nil {
			return nil, err
		}
		return cut(rs), nil
	}
	k := 32
	if limit > 0 {
		k = min(k, limit)
	}
	for {
		o := opts
		o.Ef = max(opts.Ef, k)
		rs, err := c.search(ctx, q, k, exclude, o)
		if err != nil {
			return nil, err
		}
		got := cut(rs)
		if len(got) < len(rs) || len(rs) < k || k >= total || (limit > 0 && len(got) >= limit) {
			return got, nil
		}
		k = min(4*k, total)
		if limit > 0 {
			k = min(k, limit)
		}
	}
}
