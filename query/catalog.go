package query

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"unsafe"

	"github.com/vecbolt/vecbolt/store"
)

// The catalogue of a collection is what maps between keys and ids beyond
// the graph: c.keys (key by id), c.ids (id by key), c.seqs (insertion
// order) and c.meta (parsed metadata for filters). A read-write open
// builds it with the load, since every write keeps it up to date. A
// read-only open does not: most read-only commands answer one query, which
// needs only the keys of its k results, read by id from the file
// (c.reader), and by-key lookups go through the file's key index. The
// catalogue is built on the first operation that needs all of it (a
// filter, a first-n restriction, an evaluation, a scan over every key,
// Check), by ensureCatalog, before that operation takes c.mu.
//
// While c.lazy is set (under c.mu), code must reach keys and ids only
// through keyOf, idOf and count.

// lazyCatalog is the state a read-only collection keeps instead of a
// catalogue until one is needed.
type lazyCatalog struct {
	reader *store.Reader     // keys and ids through the pinned transaction; safe for concurrent use
	col    *store.Collection // the pinned transaction's collection, used under catMu only
	n      int               // number of records
}

// ensureCatalog builds the catalogue of a lazily loaded collection, once:
// O(n) reads of the records (no vector, no graph node). It is a no-op for
// a collection that has one. The caller must not hold c.mu.
func (c *Collection) ensureCatalog(ctx context.Context) error {
	c.mu.RLock()
	lazy := c.lazy
	c.mu.RUnlock()
	if !lazy {
		return nil
	}
	c.catMu.Lock()
	defer c.catMu.Unlock()
	// Hold mu for reading while the build reads the pinned transaction:
	// DB.Close takes it for writing before it ends the transaction.
	c.mu.RLock()
	if !c.lazy {
		c.mu.RUnlock()
		return nil
	}
	if c.closed.Load() || c.pin == nil {
		c.mu.RUnlock()
		return ErrClosed
	}
	keys, ids, seqs, mix, err := buildCatalog(ctx, c.name, c.lc.col, int(c.g.MaxID()), c.lc.n)
	c.mu.RUnlock()
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.keys, c.ids, c.seqs, c.meta = keys, ids, seqs, mix
	c.lazy = false
	c.mu.Unlock()
	return nil
}

// buildCatalog reads every record's key, seq and metadata from sc, for a
// graph of maxID slots. Keys are copied into arenas of up to 1 MiB, not
// one string each. A fault reading the mapped file becomes an error
// wrapping store.ErrCorrupt.
func buildCatalog(ctx context.Context, name string, sc *store.Collection, maxID, n int) (keys []string, ids map[string]uint32, seqs []uint64, mix metaIndex, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("query: collection %q: reading the file: %v: %w", name, r, store.ErrCorrupt)
		}
	}()
	keys = make([]string, maxID)
	seqs = make([]uint64, maxID)
	ids = make(map[string]uint32, n)
	mix = metaIndex{intern: make(map[string]string)}
	var arena []byte
	arenaSize := min(1<<20, max(4096, 16*maxID))
	i := 0
	err = sc.ForEachRecordKey(func(id uint32, key []byte, seq uint64, meta []byte) error {
		if i++; i&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if int(id) >= maxID {
			return fmt.Errorf("query: collection %q: record %d (%q) has no graph node: %w", name, id, key, store.ErrCorrupt)
		}
		if _, dup := ids[string(key)]; dup {
			return fmt.Errorf("query: collection %q: key %q stored twice: %w", name, key, store.ErrCorrupt)
		}
		if cap(arena)-len(arena) < len(key) {
			arena = make([]byte, 0, max(arenaSize, len(key)))
		}
		at := len(arena)
		arena = append(arena, key...)
		k := unsafe.String(&arena[at], len(key))
		keys[id], seqs[id], ids[k] = k, seq, id
		if len(meta) > 0 {
			mix.set(id, parseMeta(bytes.Clone(meta), mix.intern))
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, metaIndex{}, err
	}
	return keys, ids, seqs, mix, nil
}

// keyOf returns the key of the live node id, or "" when it has none (a
// free or uncommitted slot). A lazily loaded collection reads it from the
// file: a live node without a record there is an error wrapping
// store.ErrCorrupt. The caller holds c.mu. O(1), or O(log n) when lazy.
func (c *Collection) keyOf(id uint32) (string, error) {
	if !c.lazy {
		if int(id) < len(c.keys) {
			return c.keys[id], nil
		}
		return "", nil
	}
	k, err := c.lc.reader.Key(id)
	if err != nil {
		return "", fmt.Errorf("query: collection %q: graph node %d has no readable record (%v): %w", c.name, id, err, store.ErrCorrupt)
	}
	return k, nil
}

// idOf returns the id stored for key. A lazily loaded collection reads it
// from the file's key index: a damaged page there is an error wrapping
// store.ErrCorrupt. The caller holds c.mu. O(1), or O(log n) when lazy.
func (c *Collection) idOf(key string) (uint32, bool, error) {
	if !c.lazy {
		id, ok := c.ids[key]
		return id, ok, nil
	}
	id, ok, err := c.lc.reader.ID(key)
	if err != nil {
		return 0, false, fmt.Errorf("query: collection %q: key %q: %w", c.name, key, err)
	}
	return id, ok && c.g.Live(id), nil
}

// count returns the number of records. The caller holds c.mu.
func (c *Collection) count() int {
	if c.lazy {
		return c.lc.n
	}
	return len(c.ids)
}
