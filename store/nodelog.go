package store

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// The node log
//
// A single insert changes its own node and a dozen or so neighbours, at
// ids spread over the whole collection. Written as per-id deltas (graph/),
// each lands on a different leaf page of a B+tree that grows with the
// collection, so a commit's dirty pages, and its time, grew with n (about
// 28 of the 50 pages an insert wrote at 1M records). Small node writes
// therefore go to the node log instead: one value per transaction, keyed
// by a sequence number that only grows, appended at the right edge of one
// B+tree (a leaf and its parents, whatever n is). When the log reaches
// logFoldAt node writes, or a transaction writes many nodes (a bulk load),
// the log's latest node per id is moved into graph/ deltas and blocks in
// one pass (flushBucket: sorted writes, blocks folded as usual) and the
// log is emptied. That fold is amortised over the thousands of commits
// that filled the log.
//
// Reads look at the log first (the newest entry holding an id wins), then
// graph/, then the block. The log is absent from files written before it
// (an absent bucket is an empty log; the first small node write creates
// it).
//
// A log value (before its seal) is
//
//	total  uint32 BE: node writes in the log up to and including this value
//	then per node, in id order:
//	  id uint32 BE | len uint32 BE | len bytes of node (0: deleted)

var nodeLogBucket = []byte("nodelog")

const (
	// logDirect is the number of node writes from which a transaction
	// bypasses the log (a bulk write fills blocks directly).
	logDirect = 512
	// logFoldMin is the smallest log that is folded.
	logFoldMin = 4096
)

// logFoldAt is the number of node writes at which the log of a collection
// of count records is folded: max(4096, count/16), so the fold's rewrite of
// graph/ and its blocks is spread over at least count/16 node writes.
func logFoldAt(count uint64) int { return int(max(logFoldMin, count/16)) }

// logEntry is one decoded log value's node: id and bytes (empty: deleted),
// aliasing the file.
type logNode = deltaEntry

// parseLogValue decodes a log value's payload into its total and nodes.
func parseLogValue(p []byte) (total uint32, nodes []logNode, err error) {
	if len(p) < 4 {
		return 0, nil, fmt.Errorf("log value has %d bytes", len(p))
	}
	total = binary.BigEndian.Uint32(p)
	p = p[4:]
	prev := int64(-1)
	for len(p) > 0 {
		if len(p) < 8 {
			return 0, nil, fmt.Errorf("log value ends inside a node header")
		}
		id, n := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
		if int64(id) <= prev {
			return 0, nil, fmt.Errorf("log value lists id %d after %d", id, prev)
		}
		prev = int64(id)
		if uint64(n) > uint64(len(p)-8) {
			return 0, nil, fmt.Errorf("log node %d has %d bytes, %d left", id, n, len(p)-8)
		}
		nodes = append(nodes, logNode{id, p[8 : 8+n : 8+n]})
		p = p[8+n:]
	}
	if len(nodes) == 0 || int(total) < len(nodes) {
		return 0, nil, fmt.Errorf("log value holds %d nodes, total %d", len(nodes), total)
	}
	return total, nodes, nil
}

// logTotal returns the node writes held by the log (from its last value).
// O(log n).
func (c *Collection) logTotal() (int, error) {
	if c.nlog == nil {
		return 0, nil
	}
	k, v := c.nlog.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	p, ok := unseal(k, v)
	if !ok || len(k) != 8 || len(p) < 4 {
		return 0, corrupt(c.name, "nodelog", "value %x fails its checksum", k)
	}
	return int(binary.BigEndian.Uint32(p)), nil
}

// logIndex returns the log's newest node per id (aliasing the file),
// reading the log once per transaction handle. O(log size).
func (c *Collection) logIndex() (map[uint32][]byte, error) {
	if c.logIdx != nil {
		return c.logIdx, nil
	}
	idx := make(map[uint32][]byte)
	if c.nlog != nil {
		cur := c.nlog.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if len(k) != 8 || v == nil {
				return nil, corrupt(c.name, "nodelog", "entry with %d-byte key (nested bucket: %t)", len(k), v == nil)
			}
			p, ok := unseal(k, v)
			if !ok {
				return nil, corrupt(c.name, "nodelog", "value %d fails its checksum", binary.BigEndian.Uint64(k))
			}
			_, nodes, err := parseLogValue(p)
			if err != nil {
				return nil, corrupt(c.name, "nodelog", "value %d: %v", binary.BigEndian.Uint64(k), err)
			}
			for _, e := range nodes {
				idx[e.id] = e.p
			}
		}
	}
	c.logIdx = idx
	return idx, nil
}

// logNode returns id's node from the log: found reports whether the log
// holds id at all; node is empty when the log deletes it.
func (c *Collection) logNode(id uint32) (node []byte, found bool, err error) {
	if c.nlog == nil {
		return nil, false, nil
	}
	idx, err := c.logIndex()
	if err != nil {
		return nil, false, err
	}
	node, found = idx[id]
	return node, found, nil
}

// flushNodes writes a transaction's node writes: appended to the log when
// they are few, else (or when the log is full) merged with the log into
// graph/ deltas and blocks, emptying the log.
func (c *Collection) flushNodes(writes map[uint32][]byte) error {
	if len(writes) == 0 {
		return nil
	}
	total, err := c.logTotal()
	if err != nil {
		return err
	}
	if len(writes) >= logDirect || total+len(writes) >= logFoldAt(c.count) {
		return c.foldLog(writes)
	}
	return c.appendLog(writes, total)
}

// appendLog writes writes as one log value after the last.
func (c *Collection) appendLog(writes map[uint32][]byte, total int) error {
	if c.nlog == nil {
		b, err := c.b.CreateBucketIfNotExists(nodeLogBucket)
		if err != nil {
			return fmt.Errorf("store: collection %q: %w", c.name, err)
		}
		c.nlog = b
	}
	c.nlog.FillPercent = 1.0
	ids := make([]uint32, 0, len(writes))
	size := 4
	for id, p := range writes {
		ids = append(ids, id)
		size += 8 + len(p)
	}
	slices.Sort(ids)
	p := make([]byte, 0, size+crcLen)
	p = binary.BigEndian.AppendUint32(p, uint32(total+len(writes)))
	for _, id := range ids {
		p = binary.BigEndian.AppendUint32(p, id)
		p = binary.BigEndian.AppendUint32(p, uint32(len(writes[id])))
		p = append(p, writes[id]...)
	}
	var seq uint64
	if k, _ := c.nlog.Cursor().Last(); k != nil {
		if len(k) != 8 {
			return corrupt(c.name, "nodelog", "entry with %d-byte key", len(k))
		}
		seq = binary.BigEndian.Uint64(k) + 1
	}
	k := seqKey(seq)
	c.logIdx = nil
	return c.nlog.Put(k, seal(k, p))
}

// foldLog moves the log's newest nodes, overridden by writes (which may be
// nil), into graph/ deltas and blocks, and empties the log.
func (c *Collection) foldLog(writes map[uint32][]byte) error {
	total, err := c.logTotal()
	if err != nil {
		return err
	}
	if total > 0 {
		idx, err := c.logIndex()
		if err != nil {
			return err
		}
		merged := make(map[uint32][]byte, len(idx)+len(writes))
		for id, p := range idx {
			merged[id] = p
		}
		for id, p := range writes {
			merged[id] = p
		}
		writes = merged
	}
	if err := c.flushBucket(writes, c.graph, c.foldNodes); err != nil {
		return err
	}
	return c.clearLog()
}

// clearLog empties the log: its pages are freed, not rewritten.
func (c *Collection) clearLog() error {
	c.logIdx = nil
	if c.nlog == nil {
		return nil
	}
	if k, _ := c.nlog.Cursor().First(); k == nil {
		return nil
	}
	if err := c.b.DeleteBucket(nodeLogBucket); err != nil {
		return fmt.Errorf("store: collection %q: %w", c.name, err)
	}
	b, err := c.b.CreateBucket(nodeLogBucket)
	if err != nil {
		return fmt.Errorf("store: collection %q: %w", c.name, err)
	}
	c.nlog = b
	return nil
}

// nodeDeltas returns every node delta, graph/ overridden by the log,
// verified, in id order; payloads alias the file. Load and ForEachNode
// read nodes through it.
func (c *Collection) nodeDeltas() ([]deltaEntry, error) {
	d, err := c.allDeltas(c.graph, "graph")
	if err != nil || c.nlog == nil {
		return d, err
	}
	idx, err := c.logIndex()
	if err != nil || len(idx) == 0 {
		return d, err
	}
	out := make([]deltaEntry, 0, len(d)+len(idx))
	for _, e := range d {
		if _, ok := idx[e.id]; !ok {
			out = append(out, e)
		}
	}
	for id, p := range idx {
		out = append(out, deltaEntry{id, p})
	}
	slices.SortFunc(out, func(a, b deltaEntry) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	return out, nil
}

// maxNodeIDLogged is MaxNodeID for a collection whose node log holds
// values (logged true; false when the log is empty, and MaxNodeID reads
// graph/ and the blocks alone). The log can add nodes above every block
// row and delete the highest ones, so it starts from a bound on every id
// that may hold a node (the last graph/ key, the last block's rows, the
// log's ids) and walks down to the first id with a node. O(log size + B +
// the ids deleted at the top).
func (c *Collection) maxNodeIDLogged() (top uint32, logged bool, err error) {
	if c.nlog == nil {
		return 0, false, nil
	}
	if err := c.checkEdges(); err != nil { // edge.go
		return 0, true, err
	}
	if k, _ := c.nlog.Cursor().First(); k == nil {
		return 0, false, nil
	}
	idx, err := c.logIndex()
	if err != nil {
		return 0, true, err
	}
	for id := range idx {
		top = max(top, id+1)
	}
	if k, _ := c.graph.Cursor().Last(); k != nil {
		if len(k) != 4 {
			return 0, true, corrupt(c.name, "graph", "entry with %d-byte key", len(k))
		}
		top = max(top, binary.BigEndian.Uint32(k)+1)
	}
	if k, _ := c.gblocks.Cursor().Last(); k != nil {
		if len(k) != 4 {
			return 0, true, corrupt(c.name, "gblocks", "entry with %d-byte key", len(k))
		}
		b := binary.BigEndian.Uint32(k)
		g, ok, err := c.gblockAt(b)
		if err != nil {
			return 0, true, err
		}
		if ok {
			top = max(top, b<<c.shift+uint32(g.rows))
		}
	}
	for ; top > 0; top-- {
		p, err := c.nodeBytes(top - 1)
		if err != nil {
			return 0, true, err
		}
		if p != nil {
			break
		}
	}
	return top, true, nil
}

// FoldNodeLog moves the collection's node log into its graph deltas and
// blocks (see the node log in nodelog.go), so that the collection holds
// no log value. O(log size + the blocks it folds).
func (c *Collection) FoldNodeLog() error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}
	return c.foldLog(nil)
}

// checkNodeLog verifies every log value: its key, checksum and layout,
// and that totals grow.
func (c *Collection) checkNodeLog(prefix string, report *CheckError) {
	if c.nlog == nil {
		return
	}
	var prev uint32
	cur := c.nlog.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 8 || v == nil {
			report.add("%s: nodelog: bad entry (key %d bytes, nested bucket %t)", prefix, len(k), v == nil)
			continue
		}
		seq := binary.BigEndian.Uint64(k)
		p, ok := unseal(k, v)
		if !ok {
			report.add("%s: nodelog: value %d fails its checksum", prefix, seq)
			continue
		}
		total, nodes, err := parseLogValue(p)
		if err != nil {
			report.add("%s: nodelog: value %d: %v", prefix, seq, err)
			continue
		}
		if total != prev+uint32(len(nodes)) {
			report.add("%s: nodelog: value %d says %d node writes, after %d and %d of its own", prefix, seq, total, prev, len(nodes))
		}
		prev = total
	}
}
