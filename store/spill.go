package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Deferred records of a staged bulk build
//
// A staged collection built in a node order (query's StageOptions.Order)
// gets its ids renumbered at the end. Records, vectors, keys and insertion
// order written per batch under the build's ids would all be written
// again under the new ids: at 1M × 100 that rewrite raised the import's
// peak RSS from 1.19× to 1.63× hnswlib's build and left the file 1.8×
// larger. So such a build writes nothing keyed or valued by id per batch:
//
//   - the caller keeps what it holds anyway in memory: each record's key
//     and Seq (the query layer's tables) and, under dot and l2, its exact
//     vector (the graph's float32 copy);
//   - what memory does not hold goes to the staged collection's spill/
//     bucket, keyed by Seq (not by id), with SpillBatch: the norm under
//     cosine, the metadata if any, and the exact vector when the caller
//     does not hold it (under cosine the graph holds the unit vector,
//     from which the stored one cannot be recovered bit for bit). A record
//     with nothing to spill (dot or l2, no metadata) writes no entry at
//     all: the spill of such a build is empty;
//   - meta (nextSeq, count) is written per batch as usual.
//
// WriteSpilled then writes records, vectors, graph nodes, order/ and keys/
// once, under the final ids, each bucket in key order, and drops the
// spill. The per-batch writes stay bounded (the spill is on disk) and the
// build stays all or nothing (everything is in the staged collection,
// which an interrupted load leaves for the next Open to drop). Until
// WriteSpilled, the staged collection's records/, keys/, order/ and vector
// blocks are empty: Get, ForEach and Check see no records.
//
//	spill/  seq uint64 BE -> norm float32 LE | flags uint8 (1: a vector
//	        follows) | dim × float32 LE when flagged | metadata (the rest)

// spillBucket holds a staged build's deferred record payloads (above).
var spillBucket = []byte("spill")

const (
	spillHeaderLen = 4 + 1
	spillHasVector = 1
)

// SpillBatch stores new records in a staged collection without writing
// anything under their ids (see the comment above WriteSpilled): each
// record is validated as Put validates it, gets the next Seq (set in
// recs[i].Seq, with recs[i].Norm), and its norm, metadata and, when
// vectors is true, its exact vector are written to the spill under its
// Seq; a record with nothing to keep writes no entry. The caller
// guarantees that every key is new to the collection and given once, and
// keeps each record's key, Seq and (unless vectors) vector until
// WriteSpilled. recs[i].ID is ignored. A collection that is not staged is
// refused (ErrInvalidName). Cost: O(len(recs)·dim), appended at the end of
// the spill's B+tree.
func (c *Collection) SpillBatch(recs []Record, vectors bool) error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	if !IsStaged(c.name) {
		return fmt.Errorf("%w: spill into %q, which is not a staged collection", ErrInvalidName, c.name)
	}
	type spilled struct {
		norm float32
		meta []byte
	}
	plans := make([]spilled, len(recs))
	for i := range recs {
		r := &recs[i]
		if err := ValidateKey(r.Key); err != nil {
			return err
		}
		sum, err := checkVector(c.cfg, r.Key, r.Vector)
		if err != nil {
			return err
		}
		if c.cfg.Metric == Cosine {
			plans[i].norm = float32(math.Sqrt(sum))
			if math.IsInf(float64(plans[i].norm), 0) || plans[i].norm == 0 {
				return &VectorError{Key: r.Key, Index: -1, Value: plans[i].norm}
			}
		}
		if plans[i].meta, err = checkMetadata(r.Key, r.Metadata); err != nil {
			return err
		}
	}
	var sb *bolt.Bucket
	for i := range recs {
		seq := c.nextSeq + uint64(i)
		p := plans[i]
		if p.norm != 0 || vectors || len(p.meta) > 0 {
			if sb == nil {
				var err error
				if sb, err = c.textBucket(spillBucket, true); err != nil {
					return err
				}
				sb.FillPercent = 1.0 // Seqs only grow
			}
			v := make([]byte, 0, spillHeaderLen+4*c.cfg.Dim+len(p.meta)+crcLen)
			v = binary.LittleEndian.AppendUint32(v, math.Float32bits(p.norm))
			if vectors {
				v = append(v, spillHasVector)
				v = append(v, encodeVector(recs[i].Vector)...)
			} else {
				v = append(v, 0)
			}
			v = append(v, p.meta...)
			k := seqKey(seq)
			if err := sb.Put(k, seal(k, v)); err != nil {
				return err
			}
		}
	}
	for i := range recs {
		recs[i].Seq, recs[i].Norm = c.nextSeq+uint64(i), plans[i].norm
	}
	c.nextSeq += uint64(len(recs))
	c.count += uint64(len(recs))
	return c.writeMeta()
}

// spilledRecord is a decoded spill entry; vec and meta alias the value.
type spilledRecord struct {
	norm float32
	vec  []byte // encoded vector, nil when not spilled
	meta []byte
}

// spilled reads and verifies the spill entry of seq; ok is false when
// there is none (a record that kept nothing there).
func (c *Collection) spilled(sb *bolt.Bucket, seq uint64) (r spilledRecord, ok bool, err error) {
	if sb == nil {
		return r, false, nil
	}
	k := seqKey(seq)
	v := sb.Get(k)
	if v == nil {
		return r, false, nil
	}
	p, good := unseal(k, v)
	if !good || len(p) < spillHeaderLen {
		return r, false, corrupt(c.name, "spill", "entry for seq %d fails its checksum or is short", seq)
	}
	r.norm = math.Float32frombits(binary.LittleEndian.Uint32(p))
	rest := p[spillHeaderLen:]
	switch p[4] {
	case 0:
	case spillHasVector:
		n := 4 * c.cfg.Dim
		if len(rest) < n {
			return r, false, corrupt(c.name, "spill", "entry for seq %d has %d bytes for a vector of %d", seq, len(rest), n)
		}
		r.vec, rest = rest[:n], rest[n:]
	default:
		return r, false, corrupt(c.name, "spill", "entry for seq %d has flags %d", seq, p[4])
	}
	r.meta = rest
	return r, true, nil
}

// spillChunk is about how many ids WriteSpilled writes per transaction
// (rounded up to whole blocks): 16,384 records' pages, a few MiB at dim
// 100, so the transaction's dirty pages stay small.
const spillChunk = renumberChunk

// WriteSpilled writes the records of staged collection name that
// SpillBatch deferred, under their final ids, and drops the spill (see
// the comment at the top of spill.go). keys[id] and seqs[id] are the key
// and Seq of the record with id id ("" for no record: ids are skipped);
// vector(id) returns its exact vector when the spill does not hold it
// (the caller's copy; it is encoded here, not kept); node(id, dst), if not
// nil, appends the graph node bytes of id (nil for a free slot), and
// graphMeta, if not nil, is the graph's metadata blob. The keys must be the
// collection's count, distinct, with distinct Seqs below its nextSeq: else
// an error wrapping ErrPermutation and the caller drops the collection.
//
// Records, vectors and nodes are written in id order, whole blocks per
// transaction (about 16,384 ids); then order/ in Seq order and keys/ in
// key order, 20,000 entries per transaction, each appended at the right
// edge of its B+tree; then the blocks' leftover deltas are folded. Each
// bucket is written once, in key order, so the file holds one copy.
// Cost: O(n·dim) plus O(n log n) key comparisons for keys/, O(n) memory
// for the Seq and key orders (8 bytes a record), plus the spill read
// back (random reads by Seq, released after each transaction).
func (db *DB) WriteSpilled(ctx context.Context, name string, keys []string, seqs []uint64,
	vector func(id uint32) []float32, node func(id uint32, dst []byte) []byte, graphMeta []byte) error {
	if len(seqs) < len(keys) {
		return fmt.Errorf("store: write the records of %q: %w: %d Seqs for %d ids", name, ErrPermutation, len(seqs), len(keys))
	}
	var (
		count, nextSeq uint64
		shift          uint
	)
	if err := db.View(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		if !IsStaged(name) {
			return fmt.Errorf("%w: %q is not a staged collection", ErrInvalidName, name)
		}
		count, nextSeq, shift = c.count, c.nextSeq, c.shift
		return nil
	}); err != nil {
		return err
	}
	// The ids in Seq order and in key order (8 bytes a record); both
	// check that the caller's tables are one to one.
	bySeq := make([]uint32, 0, count)
	for id, k := range keys {
		if k == "" {
			continue
		}
		if s := seqs[id]; s == 0 || s >= nextSeq {
			return fmt.Errorf("store: write the records of %q: %w: id %d has Seq %d, outside 1..%d", name, ErrPermutation, id, s, nextSeq-1)
		}
		bySeq = append(bySeq, uint32(id))
	}
	if uint64(len(bySeq)) != count {
		return fmt.Errorf("store: write the records of %q: %w: %d keys for %d records", name, ErrPermutation, len(bySeq), count)
	}
	ids := slices.Clone(bySeq)
	slices.SortFunc(bySeq, func(a, b uint32) int { return cmp.Compare(seqs[a], seqs[b]) })
	slices.SortFunc(ids, func(a, b uint32) int { return strings.Compare(keys[a], keys[b]) })
	for i := 1; i < len(ids); i++ {
		if seqs[bySeq[i]] == seqs[bySeq[i-1]] {
			return fmt.Errorf("store: write the records of %q: %w: Seq %d given twice", name, ErrPermutation, seqs[bySeq[i]])
		}
		if keys[ids[i]] == keys[ids[i-1]] {
			return fmt.Errorf("store: write the records of %q: %w: key %s given twice", name, ErrPermutation, quoteKey(keys[ids[i]]))
		}
	}

	if err := db.writeSpilledRows(ctx, name, keys, seqs, shift, vector, node); err != nil {
		return fmt.Errorf("store: write the records of %q: %w", name, err)
	}
	// order/: seq -> id, in Seq order.
	var batch [][2][]byte
	for i, id := range bySeq {
		k := seqKey(seqs[id])
		batch = append(batch, [2][]byte{k, seal(k, idKey(id))})
		if len(batch) == copyChunk || i == len(bySeq)-1 {
			if err := db.putSorted(ctx, name, orderBucket, batch); err != nil {
				return fmt.Errorf("store: write the records of %q: %w", name, err)
			}
			batch = batch[:0]
		}
	}
	// keys/: key -> id, in key order.
	for i, id := range ids {
		k := []byte(keys[id])
		batch = append(batch, [2][]byte{k, seal(k, idKey(id))})
		if len(batch) == copyChunk || i == len(ids)-1 {
			if err := db.putSorted(ctx, name, keysBucket, batch); err != nil {
				return fmt.Errorf("store: write the records of %q: %w", name, err)
			}
			batch = batch[:0]
		}
	}
	if err := db.Update(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		if c.b.Bucket(spillBucket) != nil {
			if err := c.b.DeleteBucket(spillBucket); err != nil {
				return err
			}
		}
		if graphMeta != nil {
			return c.SetGraphMeta(graphMeta)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("store: write the records of %q: %w", name, err)
	}
	// The last, partial chunk may have left deltas.
	return db.FoldDeltas(ctx, name)
}

// writeSpilledRows writes the records, vectors and nodes of WriteSpilled
// in id order, whole blocks per transaction.
func (db *DB) writeSpilledRows(ctx context.Context, name string, keys []string, seqs []uint64, shift uint,
	vector func(id uint32) []float32, node func(id uint32, dst []byte) []byte) error {
	block := 1 << shift
	chunk := (spillChunk + block - 1) / block * block
	var buf, nodeBuf []byte
	for lo := 0; lo < len(keys); lo += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+chunk, len(keys))
		if err := db.Update(func(tx *Tx) error {
			defer tx.ReleaseMapped() // the spill's pages read here
			c, err := tx.Collection(name)
			if err != nil {
				return err
			}
			c.records.FillPercent = 1.0
			sb := c.b.Bucket(spillBucket)
			for id := lo; id < hi; id++ {
				if node != nil {
					nodeBuf = node(uint32(id), nodeBuf[:0])
					if (len(nodeBuf) > 0) != (keys[id] != "") {
						return fmt.Errorf("%w: id %d has a graph node but no record, or a record but no node", ErrPermutation, id)
					}
					if len(nodeBuf) > 0 {
						c.pendNode(uint32(id), bytes.Clone(nodeBuf))
					}
				}
				if keys[id] == "" {
					continue
				}
				sp, _, err := c.spilled(sb, seqs[id])
				if err != nil {
					return err
				}
				vec := bytes.Clone(sp.vec)
				if vec == nil {
					v := vector(uint32(id))
					if len(v) != c.cfg.Dim {
						return fmt.Errorf("%w: record id %d has no vector", ErrPermutation, id)
					}
					vec = encodeVector(v)
				}
				k := idKey(uint32(id))
				buf = encodeRecord(buf[:0], seqs[id], sp.norm, keys[id], sp.meta)
				if err := c.records.Put(k, sealCopy(k, buf)); err != nil {
					return err
				}
				c.pendVec(uint32(id), vec)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// putSorted writes the sealed entries of batch, sorted by key and new to
// bucket sub of collection name (created if need be), in one transaction,
// with pages filled completely: appended in key order, they split at the
// right edge only. The chunked copies (copyChunked, copyMapped) and
// WriteSpilled write through it.
func (db *DB) putSorted(ctx context.Context, name string, sub []byte, batch [][2][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.Update(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		b, err := c.textBucket(sub, true) // creates sub if need be, under any name
		if err != nil {
			return err
		}
		return putAll(b, batch)
	})
}

// putAll puts batch (sorted by key) into b with pages filled completely.
func putAll(b *bolt.Bucket, batch [][2][]byte) error {
	b.FillPercent = 1.0
	for _, kv := range batch {
		if err := b.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}
