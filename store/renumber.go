package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// renumberChunk is about how many ids StageRenumbered moves per
// transaction (rounded up to whole blocks).
const renumberChunk = 16384

// StageRenumbered copies collection name into a new staged collection
// (see Tx.CreateStaged) for the same target, with every record id old
// renumbered perm[old]: the records, keys, order, vectors (and the codes
// of an encoded collection, recomputed from the vectors under the same
// parameters), texts and postings move with their ids; keys, Seqs,
// metadata, documents and term statistics are unchanged. It is how a graph
// renumbered for locality (index.Graph.Reorder) is persisted.
//
// perm must map the id of every record of name, and of nothing else, onto
// 0..Len()-1 one to one (NoID-like values, >= len(perm) entries being
// absent, are skipped): anything else is an error wrapping ErrPermutation
// and nothing is kept. The graph is not read from name: node(id, dst)
// returns the node bytes of new id id (appended to dst), and graphMeta
// is the renumbered graph's metadata blob.
//
// name may itself be staged (then the copy replaces the same target); it
// is left as it is, and the caller drops whichever of the two it does not
// keep. Writers of name must be held off while it runs. The copy runs in
// transactions of about 16,384 ids, writing each bucket in key order, so a
// crash leaves only staged collections that the next read-write Open
// drops. Cost: O(n·dim) time and O(n) memory for the inverse
// permutation, plus O(size of the collection) written; it needs that much
// free disk space.
func (db *DB) StageRenumbered(ctx context.Context, name string, perm []uint32, graphMeta []byte,
	node func(id uint32, dst []byte) []byte) (hidden string, err error) {
	var (
		cfg      Config
		meta     []byte
		count    int
		shift    uint
		hasTexts bool
	)
	if err := db.View(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		if err := c.checkNoPending(); err != nil {
			return err
		}
		cfg, count, shift = c.cfg, c.Len(), c.shift
		meta = bytes.Clone(c.b.Get(metaKey))
		hasTexts = c.b.Bucket(textsBucket) != nil
		return nil
	}); err != nil {
		return "", err
	}
	inv, err := invertPerm(perm, count)
	if err != nil {
		return "", fmt.Errorf("store: renumber collection %q: %w", name, err)
	}
	target := name
	if IsStaged(name) {
		rest := strings.TrimPrefix(name, stagedPrefix)
		target = rest[strings.IndexByte(rest, 0)+1:]
	}
	if hidden, err = db.createStaged(target, cfg); err != nil { // stage.go
		return "", err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("store: renumber collection %q: %w", name, err)
		}
	}()
	defer db.dropIfFailed(hidden, &err)
	if err := db.renumberRows(ctx, name, hidden, inv, shift, hasTexts, node); err != nil {
		return hidden, err
	}
	mapID := func(v []byte) ([]byte, error) {
		if len(v) != 4 {
			return nil, fmt.Errorf("%w: an id of %d bytes", ErrCorrupt, len(v))
		}
		old := binary.BigEndian.Uint32(v)
		if int(old) >= len(perm) || perm[old] >= uint32(count) {
			return nil, fmt.Errorf("%w: record id %d has no new id", ErrPermutation, old)
		}
		return idKey(perm[old]), nil
	}
	// keys/ and order/ keep their keys; their values are ids.
	for _, sub := range [][]byte{keysBucket, orderBucket} {
		if err := db.copyMapped(ctx, name, hidden, sub, func(k, p []byte) ([]byte, []byte, error) {
			v, err := mapID(p)
			return k, v, err
		}); err != nil {
			return hidden, err
		}
	}
	// postings/ keys end in the id; docs/, docchunks/ and terms/ hold no
	// ids.
	if err := db.copyMapped(ctx, name, hidden, postingsBucket, func(k, p []byte) ([]byte, []byte, error) {
		if len(k) < 6 {
			return nil, nil, fmt.Errorf("%w: posting key of %d bytes", ErrCorrupt, len(k))
		}
		id, err := mapID(k[len(k)-4:])
		return append(bytes.Clone(k[:len(k)-4]), id...), p, err
	}); err != nil {
		return hidden, err
	}
	for _, sub := range [][]byte{docsBucket, docChunksBucket, termsBucket} {
		if err := db.copyMapped(ctx, name, hidden, sub, func(k, p []byte) ([]byte, []byte, error) { return k, p, nil }); err != nil {
			return hidden, err
		}
	}
	if err := db.Update(func(tx *Tx) error {
		src, err := tx.Collection(name)
		if err != nil {
			return err
		}
		c, err := tx.Collection(hidden)
		if err != nil {
			return err
		}
		for _, k := range [][]byte{textStatsKey, textComponentKey} {
			if v := src.b.Get(k); v != nil {
				if err := c.b.Put(k, bytes.Clone(v)); err != nil {
					return err
				}
			}
		}
		if err := c.b.Put(metaKey, meta); err != nil {
			return err
		}
		c.nextSeq, c.count, err = decodeMetaSealed(name, meta)
		if err != nil {
			return err
		}
		if graphMeta != nil {
			return c.SetGraphMeta(graphMeta)
		}
		return nil
	}); err != nil {
		return hidden, err
	}
	// The last, partial chunk may have left deltas or a node log.
	return hidden, db.FoldDeltas(ctx, hidden)
}

// invertPerm returns inv with inv[new] = old for the count ids perm maps,
// checking that they are exactly 0..count-1, once each.
func invertPerm(perm []uint32, count int) ([]uint32, error) {
	inv := make([]uint32, count)
	seen := make([]bool, count)
	mapped := 0
	for old, nu := range perm {
		if nu == ^uint32(0) {
			continue
		}
		if int(nu) >= count || seen[nu] {
			return nil, fmt.Errorf("%w: id %d maps to %d, outside 0..%d or given twice", ErrPermutation, old, nu, count-1)
		}
		seen[nu], inv[nu] = true, uint32(old)
		mapped++
	}
	if mapped != count {
		return nil, fmt.Errorf("%w: %d ids mapped for %d records", ErrPermutation, mapped, count)
	}
	return inv, nil
}

// checkNoPending refuses a collection with writes not yet flushed (none in
// a View; a guard for callers inside an Update).
func (c *Collection) checkNoPending() error {
	if len(c.pend.vec) > 0 || len(c.pend.node) > 0 {
		return fmt.Errorf("store: collection %q has unflushed writes", c.name)
	}
	return nil
}

func decodeMetaSealed(name string, v []byte) (nextSeq, count uint64, err error) {
	p, ok := unseal(metaKey, v)
	if !ok {
		return 0, 0, corrupt(name, "", "meta fails its checksum")
	}
	return decodeMeta(p)
}

// renumbered is one record moved by renumberRows: its payloads (copies)
// under the new id.
type renumbered struct {
	rec, vec, text []byte
}

// renumberRows writes the records, vectors, graph nodes and texts of src
// into dst in new-id order, inv[new] = old, whole blocks per transaction.
// A goroutine reads the next chunk from src while this one writes the
// last into dst, so reading, encoding and the commits' I/O overlap.
func (db *DB) renumberRows(ctx context.Context, src, dst string, inv []uint32, shift uint, hasTexts bool,
	node func(id uint32, dst []byte) []byte) error {
	block := 1 << shift
	chunk := (renumberChunk + block - 1) / block * block
	type read struct {
		lo   int
		rows []renumbered
		err  error
	}
	reads := make(chan read, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(reads)
		for lo := 0; lo < len(inv); lo += chunk {
			rows, err := db.readRows(ctx, src, inv[lo:min(lo+chunk, len(inv))])
			select {
			case reads <- read{lo, rows, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var nodeBuf []byte
	for r := range reads {
		if r.err != nil {
			return r.err
		}
		if err := db.Update(func(tx *Tx) error {
			c, err := tx.Collection(dst)
			if err != nil {
				return err
			}
			c.records.FillPercent = 1.0
			var texts *bolt.Bucket
			if hasTexts {
				if texts, err = c.textBucket(textsBucket, true); err != nil {
					return err
				}
				texts.FillPercent = 1.0
			}
			for i, row := range r.rows {
				id := uint32(r.lo + i)
				k := idKey(id)
				if err := c.records.Put(k, seal(k, row.rec)); err != nil {
					return err
				}
				c.pendVec(id, row.vec)
				nodeBuf = node(id, nodeBuf[:0])
				if len(nodeBuf) == 0 {
					return fmt.Errorf("%w: new id %d has no graph node", ErrPermutation, id)
				}
				c.pendNode(id, bytes.Clone(nodeBuf))
				if row.text != nil {
					if err := texts.Put(k, seal(k, row.text)); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// readRows reads the records, vectors and texts of the old ids olds of
// collection src, verified and copied, in one read transaction.
func (db *DB) readRows(ctx context.Context, src string, olds []uint32) ([]renumbered, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows := make([]renumbered, 0, len(olds))
	err := db.View(func(tx *Tx) error {
		defer tx.ReleaseMapped()
		c, err := tx.Collection(src)
		if err != nil {
			return err
		}
		texts := c.b.Bucket(textsBucket)
		for _, old := range olds {
			k := idKey(old)
			v := c.records.Get(k)
			if v == nil {
				return fmt.Errorf("%w: id %d is not a record", ErrPermutation, old)
			}
			rec, ok := unseal(k, v)
			if !ok {
				return corruptID(c.name, "records", old, "record fails its checksum")
			}
			vec, err := c.vectorBytes(old)
			if err != nil {
				return err
			}
			if vec == nil {
				return corruptID(c.name, "records", old, "record has no vector")
			}
			// rec gets its checksum appended at the write: room for it.
			r := renumbered{rec: append(make([]byte, 0, len(rec)+crcLen), rec...), vec: bytes.Clone(vec)}
			if texts != nil {
				if v := texts.Get(k); v != nil {
					t, ok := unseal(k, v)
					if !ok {
						return corruptID(c.name, "texts", old, "text fails its checksum")
					}
					r.text = append(make([]byte, 0, len(t)+crcLen), t...)
				}
			}
			rows = append(rows, r)
		}
		return nil
	})
	return rows, err
}

// copyMapped copies bucket sub of collection src (when it has one) into
// collection dst, passing each verified entry through conv, which returns
// the new key and payload (sealed here). Entries are read copyChunk at a
// time in key order and written sorted by their new keys.
func (db *DB) copyMapped(ctx context.Context, src, dst string, sub []byte, conv func(k, p []byte) ([]byte, []byte, error)) error {
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var batch [][2][]byte
		if err := db.View(func(tx *Tx) error {
			c, err := tx.Collection(src)
			if err != nil {
				return err
			}
			sb := c.b.Bucket(sub)
			if sb == nil {
				return nil
			}
			return chunkAfter(sb, after, func(k, v []byte) error { // stage.go
				p, ok := unseal(k, v)
				if v == nil || !ok {
					return corrupt(src, string(sub), "entry %x fails its checksum", k)
				}
				nk, np, err := conv(k, p)
				if err != nil {
					return err
				}
				batch = append(batch, [2][]byte{bytes.Clone(nk), sealCopy(nk, np)})
				after = bytes.Clone(k)
				return nil
			})
		}); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		slices.SortFunc(batch, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
		if err := db.putSorted(ctx, dst, sub, batch); err != nil { // spill.go
			return err
		}
	}
}
