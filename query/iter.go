package query

import (
	"context"
	"encoding/json"
	"errors"
	"iter"

	"github.com/vecbolt/vecbolt/store"
)

// ScanOptions selects the keys a Scan visits. The zero value visits every
// key.
type ScanOptions struct {
	// Prefix keeps only keys that start with it (byte-wise).
	Prefix string
	// After keeps only keys that sort after it (exclusive, byte order): pass
	// the last key of one page to get the next.
	After string
	// Limit stops after that many keys; 0 means no limit.
	Limit int
}

// Scan is one pass over a collection's keys or records in ascending key
// (byte) order, read from the file without loading the graph. Use it as
// bufio.Scanner: range over Keys or All, then call Err.
//
//	s := c.Scan(ctx, query.ScanOptions{Prefix: "user:"})
//	for key, rec := range s.All() {
//		...
//	}
//	if err := s.Err(); err != nil {
//		...
//	}
//
// Lifetime: each range over Keys or All runs inside one bbolt read
// transaction, opened when the loop starts and closed when it ends (or
// breaks), so the loop sees a consistent snapshot and writers are not
// blocked. Do not write to the same database from inside the loop body on
// the same goroutine (a write transaction inside a read one can deadlock,
// bbolt's rule), and do not keep iterating a Scan from another goroutine.
// The Records yielded belong to the caller.
//
// Errors: the loop stops at the first error (an unknown collection, a
// corrupt file, ctx done) and Err returns it; Err is nil after a complete
// or broken-off loop. A Scan is not safe for concurrent use.
type Scan struct {
	db         *DB
	collection string
	ctx        context.Context
	opts       ScanOptions
	err        error
}

// Scan returns a pass over the named collection's keys or records. Cost:
// O(log n) to find the first key, then O(1) per key and O(d) per record.
func (db *DB) Scan(ctx context.Context, collection string, opts ScanOptions) *Scan {
	return &Scan{db: db, collection: collection, ctx: ctx, opts: opts}
}

// Scan returns a pass over the collection's keys or records; see DB.Scan.
// Collection.Keys(ctx, prefix) of other libraries is
// c.Scan(ctx, ScanOptions{Prefix: prefix}).Keys().
func (c *Collection) Scan(ctx context.Context, opts ScanOptions) *Scan {
	s := c.db.Scan(ctx, c.name, opts)
	if c.closed.Load() {
		s.err = ErrClosed
	}
	return s
}

// errStop ends the walk when the loop body breaks.
var errStop = errors.New("query: scan stopped")

// walk runs fn on every selected key and id in one read transaction.
func (s *Scan) walk(fn func(sc *store.Collection, key string, id uint32) bool) {
	if s.err == ErrClosed {
		return
	}
	s.err = nil
	n := 0
	err := s.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(s.collection)
		if err != nil {
			return err
		}
		return sc.ForEachKey(s.opts.Prefix, s.opts.After, func(key string, id uint32) error {
			if s.opts.Limit > 0 && n >= s.opts.Limit {
				return errStop
			}
			if n&1023 == 0 {
				if err := s.ctx.Err(); err != nil {
					return err
				}
			}
			n++
			if !fn(sc, key, id) {
				return errStop
			}
			return nil
		})
	})
	if err != nil && err != errStop {
		s.err = err
	}
}

// Keys yields the selected keys in ascending order.
func (s *Scan) Keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		s.walk(func(_ *store.Collection, key string, _ uint32) bool { return yield(key) })
	}
}

// All yields the selected keys with their records, in ascending key order.
func (s *Scan) All() iter.Seq2[string, Record] {
	return func(yield func(string, Record) bool) {
		var rerr error
		s.walk(func(sc *store.Collection, key string, id uint32) bool {
			r, err := sc.GetByID(id)
			if err != nil {
				rerr = err
				return false
			}
			t, _, err := sc.Text(id)
			if err != nil {
				rerr = err
				return false
			}
			return yield(key, Record{Key: r.Key, Vector: r.Vector, Metadata: json.RawMessage(r.Metadata), Text: t})
		})
		if rerr != nil && s.err == nil {
			s.err = rerr
		}
	}
}

// Err returns the error that stopped the last loop, or nil.
func (s *Scan) Err() error { return s.err }
