package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Collection is a named set of records in one transaction. It is valid only
// during the transaction it came from, and like its Tx must be used by one
// goroutine at a time. Write methods return ErrReadOnly in a View
// transaction. Functions passed to the ForEach methods must not modify the
// collection.
type Collection struct {
	tx   *Tx
	name string
	id   uint32 // the collection's id (its bucket's key)
	cfg  Config

	b       *bolt.Bucket      // the collection's own bucket (meta, graphmeta)
	keys    *bolt.Bucket      // key -> id
	records *bolt.Bucket      // id -> seq, norm, key, metadata
	vectors *bolt.Bucket      // vector deltas: id -> dim float32, or empty: deleted
	order   *bolt.Bucket      // seq -> id
	graph   *bolt.Bucket      // node deltas: id -> node bytes, or empty: deleted
	vblocks *bolt.Bucket      // block -> vector block (block.go)
	gblocks *bolt.Bucket      // block -> graph block
	nlog    *bolt.Bucket      // the node log (nodelog.go); nil in files written before it
	logIdx  map[uint32][]byte // the log's newest node per id, read once (nodelog.go)

	shift   uint       // log2 of the ids per block
	codec   codec      // vector encoding and its parameters (code.go)
	pend    pending    // vector and node writes not yet in the file (block.go)
	vbCache blockCache // last vector block read
	gbCache blockCache // last graph block read

	nextSeq uint64 // next Seq to assign; mirrors the meta key
	count   uint64 // number of records; mirrors the meta key
}

func openCollection(tx *Tx, name string, id uint32, b *bolt.Bucket) (*Collection, error) {
	c := &Collection{tx: tx, name: name, id: id, b: b}
	c.pend = pending{}
	for _, sb := range []struct {
		name []byte
		dst  **bolt.Bucket
	}{
		{keysBucket, &c.keys}, {recordsBucket, &c.records}, {vectorsBucket, &c.vectors},
		{orderBucket, &c.order}, {graphBucket, &c.graph},
		{vblocksBucket, &c.vblocks}, {gblocksBucket, &c.gblocks},
	} {
		if *sb.dst = b.Bucket(sb.name); *sb.dst == nil {
			return nil, corrupt(name, string(sb.name), "bucket missing")
		}
	}
	c.nlog = b.Bucket(nodeLogBucket) // nil: an empty log
	cb := b.Bucket(configBucket)
	if cb == nil {
		return nil, corrupt(name, "config", "bucket missing")
	}
	var err error
	if c.cfg, err = decodeConfig(name, cb.Get(configVersionKey), cb.Get(configKey)); err != nil {
		return nil, err
	}
	c.shift = blockShiftFor(c.cfg.Dim)
	if c.codec, err = parseCodec(c.cfg); err != nil { // Validate passed: never here
		return nil, corrupt(name, "config", "%v", err)
	}
	meta, ok := unseal(metaKey, b.Get(metaKey))
	if !ok {
		return nil, corrupt(name, "", "meta fails its checksum")
	}
	if c.nextSeq, c.count, err = decodeMeta(meta); err != nil {
		return nil, corrupt(name, "", "%v", err)
	}
	// Ids are mostly allocated upwards and seqs strictly so: pack those
	// pages tightly instead of bbolt's half-full default split.
	c.records.FillPercent = 0.9
	c.order.FillPercent = 1.0
	// Blocks are appended in order and rewritten in place.
	c.vblocks.FillPercent = 1.0
	c.gblocks.FillPercent = 1.0
	return c, nil
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.name }

// Config returns the configuration the collection was created with.
func (c *Collection) Config() Config { return c.cfg }

// Len returns the number of records, in O(1).
func (c *Collection) Len() int { return int(c.count) }

// NextSeq returns the Seq the next new key will get; every stored record
// has a smaller Seq.
func (c *Collection) NextSeq() uint64 { return c.nextSeq }

func (c *Collection) writeMeta() error {
	return c.b.Put(metaKey, seal(metaKey, encodeMeta(c.nextSeq, c.count)))
}

// Put stores r under r.Key with the caller's r.ID (insert or replace).
//
// It validates everything before writing anything: r.Key must be non-empty
// (ErrEmptyKey) and at most MaxKeyLen bytes (ErrKeyTooLong; any bytes are
// allowed, UTF-8 is not required); r.Vector must have the collection's
// dimension (*DimensionError) and finite components (*VectorError, naming
// the component); under cosine it must not be all zeros (ErrZeroVector);
// r.Metadata must be empty, JSON null (both stored as no metadata) or a
// JSON object of at most MaxMetadataLen bytes (ErrInvalidMetadata).
//
// The vector is stored exactly as given, so Get returns it bit for bit.
// Under cosine Put also records its Euclidean length in r.Norm (the graph
// works on unit vectors; callers normalise in memory); under dot and l2 it
// sets r.Norm to 0.
//
// If the key is stored under r.ID, Put replaces its vector, norm and
// metadata and keeps its Seq. If the key is stored under another ID, it
// returns an error wrapping ErrKeyConflict. If the key is new, it gets the
// next Seq; if r.ID held another key, that record is replaced wholesale:
// the old key's mapping and order entry are removed (callers reuse an ID
// only after deleting its key, so this is a repair path). On success r.Seq
// holds the record's Seq. Graph nodes are not touched.
func (c *Collection) Put(r *Record) error {
	p, err := c.plan(r)
	if err != nil {
		return err
	}
	if err := c.putRecord(&p); err != nil {
		return err
	}
	if err := c.putKey(&p); err != nil {
		return err
	}
	if err := c.putOrder(&p); err != nil {
		return err
	}
	if p.newKey {
		c.nextSeq++
		if err := c.writeMeta(); err != nil {
			return err
		}
	}
	r.Seq, r.Norm = p.seq, p.norm
	return nil
}

// PutBatch stores every record as Put would, in one pass per bucket in key
// order. bbolt splits pages only at commit, so inserting many keys in
// random order into one transaction costs time quadratic in their number;
// sorted writes keep a bulk load linear. Every record is validated before
// anything is written. A key or an ID given twice is an error
// (ErrKeyConflict). On success each record's Seq and Norm are set.
func (c *Collection) PutBatch(recs []Record) error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	plans := make([]putPlan, len(recs))
	keys := make(map[string]struct{}, len(recs))
	ids := make(map[uint32]struct{}, len(recs))
	seq := c.nextSeq
	for i := range recs {
		r := &recs[i]
		if _, dup := keys[r.Key]; dup {
			return fmt.Errorf("%w: key %s given twice in one batch", ErrKeyConflict, quoteKey(r.Key))
		}
		if _, dup := ids[r.ID]; dup {
			return fmt.Errorf("%w: id %d given twice in one batch", ErrKeyConflict, r.ID)
		}
		keys[r.Key], ids[r.ID] = struct{}{}, struct{}{}
		p, err := c.plan(r)
		if err != nil {
			return err
		}
		if p.newKey {
			p.seq = seq
			seq++
		}
		plans[i] = p
	}
	// records and vectors in id order, keys in key order, order by seq
	// (already increasing). Sorted appends fill pages completely; bbolt
	// reads FillPercent when it splits pages at commit, so the setting
	// holds for the rest of this transaction.
	for _, b := range []*bolt.Bucket{c.records, c.keys} {
		b.FillPercent = 1.0
	}
	byID := make([]int, len(plans))
	for i := range byID {
		byID[i] = i
	}
	slices.SortFunc(byID, func(a, b int) int { return cmp.Compare(plans[a].id, plans[b].id) })
	for _, i := range byID {
		if err := c.putRecord(&plans[i]); err != nil {
			return err
		}
	}
	byKey := slices.Clone(byID)
	slices.SortFunc(byKey, func(a, b int) int { return bytes.Compare(plans[a].key, plans[b].key) })
	for _, i := range byKey {
		if err := c.putKey(&plans[i]); err != nil {
			return err
		}
	}
	for i := range plans {
		if err := c.putOrder(&plans[i]); err != nil {
			return err
		}
	}
	c.nextSeq = seq
	if err := c.writeMeta(); err != nil {
		return err
	}
	for i := range recs {
		recs[i].Seq, recs[i].Norm = plans[i].seq, plans[i].norm
	}
	return nil
}

// putPlan is what one Put will write, worked out (and validated) before
// any write.
type putPlan struct {
	id       uint32
	key      []byte
	vec      []float32
	norm     float32
	meta     []byte
	seq      uint64
	newKey   bool
	evict    []byte // key previously held by id, to unmap
	evictSeq uint64
}

// plan validates r and reads what its write will replace. For a new key,
// seq is c.nextSeq; PutBatch renumbers.
func (c *Collection) plan(r *Record) (putPlan, error) {
	if err := c.tx.checkWritable(); err != nil {
		return putPlan{}, err
	}
	if err := ValidateKey(r.Key); err != nil {
		return putPlan{}, err
	}
	sum, err := checkVector(c.cfg, r.Key, r.Vector)
	if err != nil {
		return putPlan{}, err
	}
	p := putPlan{id: r.ID, key: []byte(r.Key), vec: r.Vector, newKey: true}
	if c.cfg.Metric == Cosine {
		p.norm = float32(math.Sqrt(sum))
		if math.IsInf(float64(p.norm), 0) || p.norm == 0 {
			return putPlan{}, &VectorError{Key: r.Key, Index: -1, Value: p.norm}
		}
	}
	if p.meta, err = checkMetadata(r.Key, r.Metadata); err != nil {
		return putPlan{}, err
	}
	idk := idKey(r.ID)
	if v := c.keys.Get(p.key); v != nil {
		v, ok := unseal(p.key, v)
		if !ok || len(v) != 4 {
			return putPlan{}, corrupt(c.name, "keys", "entry for key %s fails its checksum", quoteKey(r.Key))
		}
		if id := binary.BigEndian.Uint32(v); id != r.ID {
			return putPlan{}, fmt.Errorf("%w: key %s is stored under id %d, Put gave id %d", ErrKeyConflict, quoteKey(r.Key), id, r.ID)
		}
		old, err := c.record(r.ID)
		if err != nil {
			return putPlan{}, err
		}
		if !bytes.Equal(old.key, p.key) {
			return putPlan{}, corruptID(c.name, "records", r.ID, "holds key %q, keys bucket says %s", old.key, quoteKey(r.Key))
		}
		p.seq, p.newKey = old.seq, false
	} else if v := c.records.Get(idk); v != nil {
		old, err := c.record(r.ID)
		if err != nil {
			return putPlan{}, err
		}
		p.evict, p.evictSeq = bytes.Clone(old.key), old.seq
	}
	if p.newKey {
		p.seq = c.nextSeq
	}
	return p, nil
}

// putRecord writes the record of p and queues its vector for the block
// layout (flush writes it at the end of the transaction).
func (c *Collection) putRecord(p *putPlan) error {
	idk := idKey(p.id)
	if err := c.records.Put(idk, seal(idk, encodeRecord(nil, p.seq, p.norm, string(p.key), p.meta))); err != nil {
		return err
	}
	c.pendVec(p.id, encodeVector(p.vec))
	return nil
}

// putKey maps a new key (unmapping an evicted one) and, for Put, its order
// entry; PutBatch writes order entries in a pass of their own.
func (c *Collection) putKey(p *putPlan) error {
	if !p.newKey {
		return nil
	}
	if p.evict != nil {
		if err := c.keys.Delete(p.evict); err != nil {
			return err
		}
		if err := c.order.Delete(seqKey(p.evictSeq)); err != nil {
			return err
		}
	} else {
		c.count++
	}
	return c.keys.Put(p.key, seal(p.key, idKey(p.id)))
}

func (c *Collection) putOrder(p *putPlan) error {
	if !p.newKey {
		return nil
	}
	sk := seqKey(p.seq)
	return c.order.Put(sk, seal(sk, idKey(p.id)))
}

// record reads and decodes the record under id; a missing record is
// ErrKeyNotFound. key and meta alias bbolt memory.
func (c *Collection) record(id uint32) (decodedRecord, error) {
	idk := idKey(id)
	v := c.records.Get(idk)
	if v == nil {
		return decodedRecord{}, fmt.Errorf("%w: no record with id %d in collection %q", ErrKeyNotFound, id, c.name)
	}
	return c.decodeRecordValue(id, idk, v)
}

// decodeRecordValue verifies and decodes the records-bucket value v under
// key k (id).
func (c *Collection) decodeRecordValue(id uint32, k, v []byte) (decodedRecord, error) {
	v, ok := unseal(k, v)
	if !ok {
		return decodedRecord{}, corruptID(c.name, "records", id, "record fails its checksum")
	}
	d, err := decodeRecord(v)
	if err != nil {
		return decodedRecord{}, corruptID(c.name, "records", id, "%v", err)
	}
	return d, nil
}

// vector reads the vector under id into dst (len Dim): from the pending
// writes, the vector deltas or the id's vector block. O(log n).
func (c *Collection) vector(id uint32, dst []float32) error {
	p, err := c.vectorBytes(id)
	if err != nil {
		return err
	}
	if p == nil {
		return corruptID(c.name, "vectors", id, "record has no vector")
	}
	decodeVector(dst, p)
	return nil
}

// Get returns the record stored under key, or an error wrapping
// ErrKeyNotFound. The returned Record and its slices belong to the caller.
// A damaged page on the way is a CorruptError naming the bucket
// (guard_check.go).
func (c *Collection) Get(key string) (r Record, err error) {
	at := "keys"
	defer faultsPanic()()
	defer c.readGuard(&at, &err) // guard_check.go
	id, ok := c.ID(key)
	if !ok {
		return Record{}, fmt.Errorf("%w: %s in collection %q", ErrKeyNotFound, quoteKey(key), c.name)
	}
	r, err = c.getByID(id, &at)
	if errors.Is(err, ErrKeyNotFound) { // the key index names it: damage, not absence
		return Record{}, corruptID(c.name, "records", id, "key %s maps to id %d, which has no record", quoteKey(key), id)
	}
	return r, err
}

// GetByID returns the record with the given id, or an error wrapping
// ErrKeyNotFound. The returned Record and its slices belong to the caller.
// A damaged page on the way is a CorruptError naming the bucket.
func (c *Collection) GetByID(id uint32) (r Record, err error) {
	var at string
	defer faultsPanic()()
	defer c.readGuard(&at, &err) // guard_check.go
	return c.getByID(id, &at)
}

// getByID is GetByID; it sets *at to the bucket it reads.
func (c *Collection) getByID(id uint32, at *string) (Record, error) {
	*at = "records"
	d, err := c.record(id)
	if err != nil {
		return Record{}, err
	}
	r := Record{ID: id, Key: string(d.key), Norm: d.norm, Seq: d.seq, Vector: make([]float32, c.cfg.Dim)}
	if d.meta != nil {
		r.Metadata = bytes.Clone(d.meta)
	}
	*at = "vectors"
	if err := c.vector(id, r.Vector); err != nil {
		return Record{}, err
	}
	return r, nil
}

// ID returns the id stored for key and whether the key is present.
func (c *Collection) ID(key string) (uint32, bool) {
	if key == "" || len(key) > MaxKeyLen {
		return 0, false
	}
	v, ok := unseal([]byte(key), c.keys.Get([]byte(key)))
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// Has reports whether key is present.
func (c *Collection) Has(key string) bool {
	_, ok := c.ID(key)
	return ok
}

// Delete removes the record stored under key (its key mapping, record,
// vector and order entry) and returns its id, or an error wrapping
// ErrKeyNotFound. The graph node for the id is not touched: the caller
// removes it with DeleteNode or rewrites it.
func (c *Collection) Delete(key string) (uint32, error) {
	if err := c.tx.checkWritable(); err != nil {
		return 0, err
	}
	id, ok := c.ID(key)
	if !ok {
		return 0, fmt.Errorf("%w: %s in collection %q", ErrKeyNotFound, quoteKey(key), c.name)
	}
	d, err := c.record(id)
	if err != nil {
		return 0, err
	}
	seq := d.seq
	idk := idKey(id)
	if err := c.DeleteText(id); err != nil { // text.go: its text, postings, document
		return 0, err
	}
	for _, del := range []struct {
		b *bolt.Bucket
		k []byte
	}{{c.keys, []byte(key)}, {c.records, idk}, {c.order, seqKey(seq)}} {
		if err := del.b.Delete(del.k); err != nil {
			return 0, err
		}
	}
	c.pendVec(id, tombstone)
	c.count--
	return id, c.writeMeta()
}

// ForEach calls fn for every record in insertion order (ascending Seq),
// stopping at and returning the first error fn returns. r and its slices
// (Vector, Metadata) are reused and valid only during the call: copy what
// you keep. fn must not modify the collection. A damaged page on the way
// is a CorruptError naming the bucket (guard_check.go).
func (c *Collection) ForEach(fn func(r *Record) error) (err error) {
	if err := c.flush(); err != nil {
		return err
	}
	at := "order"
	defer faultsPanic()()
	defer c.readGuard(&at, &err)
	r := &Record{Vector: make([]float32, c.cfg.Dim)}
	cur := c.order.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		v, ok := unseal(k, v)
		if len(k) != 8 || !ok || len(v) != 4 {
			return corrupt(c.name, "order", "entry %x fails its checksum or has %d/%d bytes, want 8/4", k, len(k), len(v))
		}
		seq, id := binary.BigEndian.Uint64(k), binary.BigEndian.Uint32(v)
		at = "records"
		d, err := c.record(id)
		if errors.Is(err, ErrKeyNotFound) { // the order names it: damage, not absence
			return corruptID(c.name, "records", id, "order entry %d names id %d, which has no record", seq, id)
		}
		if err != nil {
			return fmt.Errorf("store: order entry %d: %w", seq, err)
		}
		if d.seq != seq {
			return corruptID(c.name, "order", id, "order entry %d, record has seq %d", seq, d.seq)
		}
		at = "vectors"
		if err := c.vector(id, r.Vector); err != nil {
			return err
		}
		r.ID, r.Key, r.Norm, r.Seq, r.Metadata = id, string(d.key), d.norm, d.seq, d.meta
		at = "" // fn's panics are its own
		if err := fn(r); err != nil {
			return err
		}
		at = "order" // cur.Next
	}
	return nil
}

// ForEachID calls fn for every record in ascending id order. vec is reused
// and valid only during the call. It stops at and returns the first error
// fn returns. fn must not modify the collection. ForEachLoad is the same
// walk with the graph nodes alongside.
func (c *Collection) ForEachID(fn func(id uint32, key string, seq uint64, vec []float32) error) error {
	return c.walk(false, func(id uint32, d *decodedRecord, vec []float32, _ []byte) error {
		return fn(id, string(d.key), d.seq, vec)
	})
}

// PutNode stores the index's encoded graph node for id, replacing any
// previous one. node is copied; it must not be empty. The node goes to the
// graph delta bucket, or into its block when the transaction writes
// enough of the block (see doc.go): O(1) now, O(log n) at commit.
func (c *Collection) PutNode(id uint32, node []byte) error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	if len(node) == 0 {
		return fmt.Errorf("store: collection %q: empty graph node for id %d", c.name, id)
	}
	c.pendNode(id, bytes.Clone(node))
	return nil
}

// DeleteNode removes the graph node for id; a missing node is not an error.
func (c *Collection) DeleteNode(id uint32) error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	c.pendNode(id, tombstone)
	return nil
}

// Node returns a copy of the graph node stored for id, or nil if none or
// if it fails its checksum (ReadNode tells the two apart). O(log n).
func (c *Collection) Node(id uint32) []byte {
	b, _ := c.ReadNode(id)
	return b
}

// ReadNode returns a copy of the graph node stored for id, or nil if none.
// A node (or the graph block holding it) that fails its checksum is an
// error wrapping ErrCorrupt. O(log n), plus verifying the block's checksum
// (O(B)) when the node is in a block.
func (c *Collection) ReadNode(id uint32) ([]byte, error) {
	p, err := c.nodeBytes(id)
	if p == nil || err != nil {
		return nil, err
	}
	return bytes.Clone(p), nil
}

// ForEachNode calls fn for every graph node in ascending id order, from
// the graph blocks and the node deltas. node is valid only during the
// call. It stops at and returns the first error fn returns. fn must not
// modify the collection. O(n).
func (c *Collection) ForEachNode(fn func(id uint32, node []byte) error) error {
	if err := c.flush(); err != nil {
		return err
	}
	deltas, err := c.nodeDeltas() // graph/ and the node log
	if err != nil {
		return err
	}
	blocks, err := c.blockNumbers(c.gblocks, "gblocks", deltas)
	if err != nil {
		return err
	}
	di := 0
	for _, b := range blocks {
		g, ok, err := c.gblockAt(b)
		if err != nil {
			return err
		}
		for row := 0; row < 1<<c.shift; row++ {
			id := b<<c.shift | uint32(row)
			var node []byte
			if ok {
				node = g.node(row)
			}
			for di < len(deltas) && deltas[di].id < id {
				di++
			}
			if di < len(deltas) && deltas[di].id == id {
				node = deltas[di].p
			}
			if len(node) == 0 {
				continue
			}
			if err := fn(id, node); err != nil {
				return err
			}
		}
	}
	return nil
}

// allDeltas returns every entry of a delta bucket, verified, in id order.
// Payloads alias the file.
func (c *Collection) allDeltas(bucket *bolt.Bucket, name string) ([]deltaEntry, error) {
	var out []deltaEntry
	cur := bucket.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 4 || v == nil {
			return nil, corrupt(c.name, name, "entry with %d-byte key (nested bucket: %t)", len(k), v == nil)
		}
		id := binary.BigEndian.Uint32(k)
		p, ok := unseal(k, v)
		if !ok {
			return nil, corruptID(c.name, name, id, "%s fails its checksum", deltaNoun(name))
		}
		out = append(out, deltaEntry{id, p})
	}
	return out, nil
}

// deltaNoun names what a delta bucket holds.
func deltaNoun(bucket string) string {
	if bucket == "graph" {
		return "node"
	}
	return "vector"
}

// blockNumbers returns the sorted block numbers that have a block in
// blocks or an entry in deltas.
func (c *Collection) blockNumbers(blocks *bolt.Bucket, name string, deltas []deltaEntry) ([]uint32, error) {
	var out []uint32
	cur := blocks.Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		if len(k) != 4 {
			return nil, corrupt(c.name, name, "key of %d bytes, want 4", len(k))
		}
		out = append(out, binary.BigEndian.Uint32(k))
	}
	for _, d := range deltas {
		out = append(out, d.id>>c.shift)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// SetGraphMeta stores the index's graph metadata blob (copied). A nil or
// empty b removes it.
func (c *Collection) SetGraphMeta(b []byte) error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	if len(b) == 0 {
		return c.b.Delete(graphMetaKey)
	}
	return c.b.Put(graphMetaKey, sealCopy(graphMetaKey, b))
}

// GraphMeta returns a copy of the graph metadata blob, or nil if none was
// set or it fails its checksum (ReadGraphMeta tells the two apart).
func (c *Collection) GraphMeta() []byte {
	b, _ := c.ReadGraphMeta()
	return b
}

// ReadGraphMeta returns a copy of the graph metadata blob, or nil if none
// was set. A blob that fails its checksum is an error wrapping ErrCorrupt.
func (c *Collection) ReadGraphMeta() ([]byte, error) {
	v := c.b.Get(graphMetaKey)
	if v == nil {
		return nil, nil
	}
	p, ok := unseal(graphMetaKey, v)
	if !ok || len(p) == 0 {
		return nil, corrupt(c.name, "", "graph metadata fails its checksum")
	}
	return bytes.Clone(p), nil
}
