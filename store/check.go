package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
)

// maxProblems caps the problems a CheckError lists.
const maxProblems = 100

// CheckError is the report of a failed Check: one line per problem found
// (at most 100 are listed; Total counts all). It wraps ErrCorrupt.
type CheckError struct {
	Path     string
	Problems []string
	Total    int
}

func (e *CheckError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "store: check %s: %d problem(s)", e.Path, e.Total)
	for _, p := range e.Problems {
		sb.WriteString("\n\t")
		sb.WriteString(p)
	}
	if n := e.Total - len(e.Problems); n > 0 {
		fmt.Fprintf(&sb, "\n\t... and %d more", n)
	}
	return sb.String()
}

func (e *CheckError) Unwrap() error { return ErrCorrupt }

func (e *CheckError) add(format string, args ...any) {
	e.Total++
	if len(e.Problems) < maxProblems {
		e.Problems = append(e.Problems, fmt.Sprintf(format, args...))
	}
}

// Check verifies the file in one transaction: bbolt's own page-level
// consistency check, then for every collection that the config and meta
// decode; that keys and records map to each other both ways; that every
// record decodes and has a vector of the collection's dimension with finite
// components; that the order bucket and the records' Seqs agree; that the
// record count matches; and that graph node keys are well formed (the graph
// itself is the index's to check). It returns nil or a *CheckError listing
// the problems. ctx is checked between collections and while scanning
// records; bbolt's page check, which runs first, cannot be interrupted.
// On a read-write handle Check holds the writer lock (it runs in a write
// transaction that it rolls back), so Updates wait for it; Views do not.
func (db *DB) Check(ctx context.Context) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	// bbolt's check reads the freelist, which a concurrent writer changes:
	// on a read-write handle, hold the writer lock (a rolled-back write
	// transaction) for the duration.
	btx, err := db.bolt.Begin(!db.readOnly)
	if err != nil {
		return db.translate(err)
	}
	defer func() { _ = btx.Rollback() }()

	report := &CheckError{Path: db.path}
	if d := readMetaDamage(db.path); d != nil { // bbolt uses the other page without a word
		report.add("%s; copy what remains with 'vecbolt backup' and run 'vecbolt check' on the copy", d.problem())
	}
	base := report.Total // the meta pages do not stop the checks below
	// bbolt's check follows page ids through its memory map without
	// bounds checks, in a goroutine of its own: a damaged id faults and
	// kills the process. Walk the page tree safely first.
	if err := walkPages(btx, db.path, db.bolt.Info().PageSize, report.add); err != nil {
		return fmt.Errorf("store: check %s: %w", db.path, err)
	}
	if report.Total > base {
		return report
	}
	for err := range btx.Check() {
		report.add("bbolt: %v", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if report.Total > base {
		// Reading damaged pages through cursors makes bbolt panic or
		// fault: the page-level report is all there is to say.
		return report
	}
	// Damage bbolt's page check cannot see (a page that is well formed but
	// wrong) can still make the walk below panic: report it, don't crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			report.add("reading the file: %v", r)
			err = report
		}
	}()
	if err := checkHeader(btx, db.path); err != nil {
		report.add("%v", err)
		return report
	}
	tx, err := newTx(db, btx)
	if err != nil {
		report.add("%v", err)
		return report
	}
	if err := tx.checkNames(ctx, report); err != nil {
		return err
	}
	if report.Total > 0 {
		return report
	}
	return nil
}

// check adds the collection's store-level problems to report. It returns
// only ctx's error.
func (c *Collection) check(ctx context.Context, report *CheckError) error {
	prefix := fmt.Sprintf("collection %q", c.name)
	if IsStaged(c.name) {
		prefix = fmt.Sprintf("staged collection %q", c.name[len(stagedPrefix):])
	}
	vec := make([]float32, c.cfg.Dim)
	seqOf := make(map[uint32]uint64, c.count)
	var n uint64

	// records -> keys, vectors
	cur := c.records.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		n++
		if len(k) != 4 || v == nil {
			report.add("%s: records: bad entry (key %d bytes, nested bucket %t)", prefix, len(k), v == nil)
			continue
		}
		id := binary.BigEndian.Uint32(k)
		d, err := c.decodeRecordValue(id, k, v)
		if err != nil {
			report.add("%s: %v", prefix, err)
			continue
		}
		seqOf[id] = d.seq
		if d.seq >= c.nextSeq {
			report.add("%s: records: id %d: seq %d not below next seq %d", prefix, id, d.seq, c.nextSeq)
		}
		if got, _ := unseal(d.key, c.keys.Get(d.key)); len(got) != 4 || binary.BigEndian.Uint32(got) != id {
			report.add("%s: records: id %d: key %q does not map back to it (keys holds %x)", prefix, id, d.key, got)
		}
		sk := seqKey(d.seq)
		if got, _ := unseal(sk, c.order.Get(sk)); len(got) != 4 || binary.BigEndian.Uint32(got) != id {
			report.add("%s: records: id %d: seq %d has no order entry pointing at it (order holds %x)", prefix, id, d.seq, got)
		}
		if err := c.vector(id, vec); err != nil {
			report.add("%s: record %s: %v", prefix, quoteKey(string(d.key)), err)
			continue
		}
		var sum float64
		for i, f := range vec {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				report.add("%s: vectors: id %d: component %d is %v", prefix, id, i, f)
				break
			}
			sum += float64(f) * float64(f)
		}
		if l := math.Sqrt(sum); c.cfg.Metric == Cosine && (d.norm <= 0 || math.Abs(l-float64(d.norm)) > 1e-3*l) {
			report.add("%s: vectors: id %d: cosine vector has length %v but its record's norm is %v", prefix, id, l, d.norm)
		}
	}
	if n != c.count {
		report.add("%s: meta count is %d, records bucket holds %d", prefix, c.count, n)
	}

	// keys -> records
	cur = c.keys.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		v, ok := unseal(k, v)
		if !ok || len(v) != 4 {
			report.add("%s: keys: entry for key %q fails its checksum", prefix, k)
			continue
		}
		id := binary.BigEndian.Uint32(v)
		d, err := c.record(id)
		if err != nil {
			report.add("%s: keys: key %q maps to id %d: %v", prefix, k, id, err)
		} else if !bytes.Equal(d.key, k) {
			report.add("%s: keys: key %q maps to id %d, which holds key %q", prefix, k, id, d.key)
		}
	}

	// order -> records
	var orderN uint64
	cur = c.order.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		orderN++
		v, ok := unseal(k, v)
		if len(k) != 8 || !ok || len(v) != 4 {
			report.add("%s: order: entry %x fails its checksum", prefix, k)
			continue
		}
		seq, id := binary.BigEndian.Uint64(k), binary.BigEndian.Uint32(v)
		if s, ok := seqOf[id]; !ok {
			report.add("%s: order: seq %d points at id %d, which has no record", prefix, seq, id)
		} else if s != seq {
			report.add("%s: order: seq %d points at id %d, whose record has seq %d", prefix, seq, id, s)
		}
	}
	if orderN != n {
		report.add("%s: order bucket holds %d entries, records %d", prefix, orderN, n)
	}

	c.checkBlocks(ctx, prefix, seqOf, report)
	if _, err := c.ReadGraphMeta(); err != nil {
		report.add("%v", err)
	}
	if p, ok := unseal(nameKey, c.b.Get(nameKey)); !ok || string(p) != c.name {
		report.add("%s: its bucket records the name %q (checksum ok: %t)", prefix, p, ok)
	}
	return c.checkText(ctx, report, prefix, seqOf) // text_check.go
}

// checkNames checks the names table against the collections bucket (every
// name points at a bucket, every bucket has exactly one name) and then
// every collection, staged ones included. It returns only ctx's error.
func (tx *Tx) checkNames(ctx context.Context, report *CheckError) error {
	named := make(map[uint32]string)
	cur := tx.names.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if v == nil {
			report.add("names: stray bucket %q", k)
			continue
		}
		id, _, err := tx.lookup(string(k))
		if err != nil {
			report.add("%v", err)
			continue
		}
		if other, dup := named[id]; dup {
			report.add("names: %q and %q both point at collection id %d", other, k, id)
			continue
		}
		named[id] = string(k)
		c, err := tx.Collection(string(k))
		if err != nil {
			report.add("%v", err)
			continue
		}
		if err := c.check(ctx, report); err != nil {
			return err
		}
	}
	cur = tx.cols.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if v != nil || len(k) != 4 {
			report.add("collections: stray key %q", k)
			continue
		}
		if _, ok := named[binary.BigEndian.Uint32(k)]; !ok {
			report.add("collections: collection id %d has no name", binary.BigEndian.Uint32(k))
		}
	}
	if p, ok := unseal(nextColKey, tx.root.Get(nextColKey)); !ok || len(p) != 4 {
		report.add("the collection id counter fails its checksum")
	} else {
		next := binary.BigEndian.Uint32(p)
		for id := range named {
			if id >= next {
				report.add("collection id %d is not below the id counter %d", id, next)
			}
		}
	}
	return nil
}

// checkBlocks verifies the vector and graph blocks and deltas: every
// checksum (each block's seal and each vector row's), lengths and
// offsets, and that no stored vector lacks a record.
func (c *Collection) checkBlocks(ctx context.Context, prefix string, seqOf map[uint32]uint64, report *CheckError) {
	vdel := make(map[uint32]bool)
	cur := c.vectors.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 4 || v == nil {
			report.add("%s: vectors: bad entry (key %d bytes, nested bucket %t)", prefix, len(k), v == nil)
			continue
		}
		id := binary.BigEndian.Uint32(k)
		vdel[id] = true
		p, ok := unseal(k, v)
		switch {
		case !ok:
			report.add("%s: vectors: id %d: vector fails its checksum", prefix, id)
		case len(p) != 0 && len(p) != 4*c.cfg.Dim:
			report.add("%s: vectors: id %d: vector has %d bytes, want %d", prefix, id, len(p), 4*c.cfg.Dim)
		case len(p) != 0:
			if _, ok := seqOf[id]; !ok {
				report.add("%s: vectors: id %d has no record", prefix, id)
			}
		}
	}
	cur = c.vblocks.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if ctx.Err() != nil {
			return
		}
		if len(k) != 4 || v == nil {
			report.add("%s: vblocks: bad entry (key %d bytes, nested bucket %t)", prefix, len(k), v == nil)
			continue
		}
		b := binary.BigEndian.Uint32(k)
		p, ok := unseal(k, v)
		if !ok {
			report.add("%s: vblocks: block %d (ids from %d) fails its checksum", prefix, b, b<<c.shift)
			continue
		}
		vb, err := parseVBlock(c.shift, c.cfg.Dim, p)
		if err != nil {
			report.add("%s: vblocks: block %d: %v", prefix, b, err)
			continue
		}
		for row := 0; row < vb.rows; row++ {
			if !vb.has(row) {
				continue
			}
			id := b<<c.shift | uint32(row)
			if vb.rowCRC(row) != checksum(idKey(id), vb.row(row)) {
				report.add("%s: vblocks: id %d: vector fails its checksum", prefix, id)
			}
			if _, ok := seqOf[id]; !ok && !vdel[id] {
				report.add("%s: vblocks: id %d has no record", prefix, id)
			}
		}
	}
	cur = c.graph.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 4 || v == nil {
			report.add("%s: graph: bad entry (key %d bytes, value %d bytes)", prefix, len(k), len(v))
			continue
		}
		if _, ok := unseal(k, v); !ok {
			report.add("%s: graph: node %d fails its checksum", prefix, binary.BigEndian.Uint32(k))
		}
	}
	c.checkNodeLog(prefix, report) // nodelog.go
	cur = c.gblocks.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 4 || v == nil {
			report.add("%s: gblocks: bad entry (key %d bytes, nested bucket %t)", prefix, len(k), v == nil)
			continue
		}
		b := binary.BigEndian.Uint32(k)
		p, ok := unseal(k, v)
		if !ok {
			report.add("%s: gblocks: block %d (ids from %d) fails its checksum", prefix, b, b<<c.shift)
			continue
		}
		if _, err := parseGBlock(c.shift, p); err != nil {
			report.add("%s: gblocks: block %d: %v", prefix, b, err)
		}
	}
	c.checkCodes(ctx, prefix, report) // code_check.go
}
