package store

import (
	"bytes"
	"context"
	"encoding/binary"
)

// checkCodes verifies the code blocks of an encoded collection (Check):
// every seal, the parameters tag, the rows and presence bits against the
// vector block, and that every stored code row equals the encoding of its
// exact vector under the stored parameters (rows whose vector is a delta
// have no stored code and are skipped). A vector block without a code
// block, or a code block in a collection that stores no codes, is a
// problem too. O(n·dim).
func (c *Collection) checkCodes(ctx context.Context, prefix string, report *CheckError) {
	bucket := c.b.Bucket(cblocksBucket)
	cd := c.codec
	if !cd.active() {
		if bucket != nil && bucket.Stats().KeyN > 0 {
			report.add("%s: cblocks: %d code blocks, but the collection's encoding (%s) stores none", prefix, bucket.Stats().KeyN, canonicalEncoding(c.cfg.Encoding))
		}
		return
	}
	seen := map[uint32]bool{}
	row := make([]byte, cd.rowLen)
	vec := make([]float32, cd.dim)
	scratch := make([]float32, cd.dim)
	if bucket != nil {
		cur := bucket.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if ctx.Err() != nil {
				return
			}
			if len(k) != 4 || v == nil {
				report.add("%s: cblocks: bad entry (key %d bytes, nested bucket %t)", prefix, len(k), v == nil)
				continue
			}
			b := binary.BigEndian.Uint32(k)
			seen[b] = true
			p, ok := unseal(k, v)
			if !ok {
				report.add("%s: cblocks: block %d (ids from %d) fails its checksum", prefix, b, b<<c.shift)
				continue
			}
			vb, found, err := c.vblockSealed(b)
			if err != nil {
				continue // reported with the vector blocks
			}
			if !found {
				report.add("%s: cblocks: block %d (ids from %d) has no vector block", prefix, b, b<<c.shift)
				continue
			}
			cb, err := c.checkCBlockHeader(b, p, vb)
			if err != nil {
				report.add("%s: %v", prefix, err)
				continue
			}
			for r := 0; r < cb.rows; r++ {
				if !cb.has(r) {
					continue
				}
				id := b<<c.shift | uint32(r)
				if d := c.vectors.Get(idKey(id)); d != nil {
					continue // a delta overrides the row: its code is made at load
				}
				decodeVector(vec, vb.row(r))
				if err := cd.encodeRow(row, vec, scratch); err != nil {
					report.add("%s: cblocks: id %d: its vector cannot be encoded as %s: %v", prefix, id, cd.enc, err)
					continue
				}
				if !bytes.Equal(row, cb.row(r)) {
					report.add("%s: cblocks: id %d: the stored %s code is not the encoding of its vector under the stored parameters", prefix, id, cd.enc)
				}
			}
		}
	}
	cur := c.vblocks.Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		if len(k) == 4 && !seen[binary.BigEndian.Uint32(k)] {
			b := binary.BigEndian.Uint32(k)
			report.add("%s: cblocks: vector block %d (ids from %d) has no code block", prefix, b, b<<c.shift)
		}
	}
}
