package query

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// SearchBatch runs Search for every vector in vecs on all cores
// (GOMAXPROCS goroutines) and returns the results in input order:
// out[i] answers vecs[i]. Every vector is validated first; an invalid one
// gives an error naming its index and nothing is searched. A cancelled ctx
// stops the batch with ctx's error.
func (c *Collection) SearchBatch(ctx context.Context, vecs [][]float32, k int, opts SearchOptions) ([][]Result, error) {
	for i, v := range vecs {
		if err := c.checkQuery(v, k); err != nil {
			return nil, fmt.Errorf("query: batch vector %d: %w", i, err)
		}
	}
	if err := opts.Filter.Err(); err != nil {
		return nil, err
	}
	out := make([][]Result, len(vecs))
	err := parallel(ctx, len(vecs), 0, func(i int) error {
		r, err := c.search(ctx, c.indexVector(vecs[i]), k, nil, opts)
		out[i] = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parallel calls fn(i) for every i in [0, n) on workers goroutines (0 means
// GOMAXPROCS), stopping at the first error or when ctx is done, and returns
// that error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	var (
		next    atomic.Int64
		stop    atomic.Bool
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { first = err })
		stop.Store(true)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if i&63 == 0 {
					if err := ctx.Err(); err != nil {
						fail(err)
						return
					}
				}
				if err := fn(i); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
