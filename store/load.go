package store

import (
	"bytes"
	"encoding/binary"
)

// MaxNodeID returns one more than the highest id with a graph node, or 0
// when the graph bucket is empty. It reads one key.
func (c *Collection) MaxNodeID() (uint32, error) {
	k, _ := c.graph.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	if len(k) != 4 {
		return 0, corrupt(c.name, "graph", "entry with %d-byte key", len(k))
	}
	return binary.BigEndian.Uint32(k) + 1, nil
}

// ForEachLoad walks records, vectors and graph nodes together in id order,
// the one pass that loading a collection into memory needs: three cursors
// in lockstep, no copies. fn gets each record's id, key, seq, vector, graph
// node and metadata (nil when none); vec, node and meta are valid only
// during the call. A record without
// a vector or a graph node, or a graph node without a record, is an error
// wrapping ErrCorrupt.
func (c *Collection) ForEachLoad(fn func(id uint32, key string, seq uint64, vec []float32, node, meta []byte) error) error {
	return c.walk(true, func(id uint32, d *decodedRecord, vec []float32, node []byte) error {
		return fn(id, string(d.key), d.seq, vec, node, d.meta)
	})
}

// walk visits every record in id order with its vector and, if withGraph,
// its graph node, using one cursor per bucket in lockstep.
func (c *Collection) walk(withGraph bool, fn func(id uint32, d *decodedRecord, vec []float32, node []byte) error) error {
	vec := make([]float32, c.cfg.Dim)
	rc, vc, gc := c.records.Cursor(), c.vectors.Cursor(), c.graph.Cursor()
	vk, vv := vc.First()
	var gk, gv []byte
	if withGraph {
		gk, gv = gc.First()
	}
	for k, v := rc.First(); k != nil; k, v = rc.Next() {
		if len(k) != 4 {
			return corrupt(c.name, "records", "key of %d bytes, want 4", len(k))
		}
		id := binary.BigEndian.Uint32(k)
		d, err := c.decodeRecordValue(id, k, v)
		if err != nil {
			return err
		}
		for vk != nil && bytes.Compare(vk, k) < 0 {
			vk, vv = vc.Next() // orphan vector: Check reports it
		}
		if !bytes.Equal(vk, k) {
			return corruptID(c.name, "vectors", id, "record has no vector")
		}
		if err := c.decodeVectorValue(id, vk, vv, vec); err != nil {
			return err
		}
		vk, vv = vc.Next()
		var node []byte
		if withGraph {
			if gk != nil && bytes.Compare(gk, k) < 0 {
				return corrupt(c.name, "graph", "graph node %x has no record", gk)
			}
			if !bytes.Equal(gk, k) || gv == nil {
				return corruptID(c.name, "graph", id, "record %s has no graph node", quoteKey(string(d.key)))
			}
			var ok bool
			if node, ok = unseal(gk, gv); !ok || len(node) == 0 {
				return corruptID(c.name, "graph", id, "node fails its checksum")
			}
			gk, gv = gc.Next()
		}
		if err := fn(id, &d, vec, node); err != nil {
			return err
		}
	}
	if gk != nil {
		return corrupt(c.name, "graph", "graph node %x has no record", gk)
	}
	return nil
}
