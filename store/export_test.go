package store

// Hooks for the black-box tests in package store_test.

// DecodeRecord exposes the records-bucket decoder to the fuzz test.
func DecodeRecord(b []byte) (seq uint64, norm float32, key, meta []byte, err error) {
	d, err := decodeRecord(b)
	return d.seq, d.norm, d.key, d.meta, err
}

// EncodeRecord exposes the records-bucket encoder.
func EncodeRecord(seq uint64, norm float32, key string, meta []byte) []byte {
	return encodeRecord(nil, seq, norm, key, meta)
}

// BlockShiftFor exposes the ids-per-block rule.
func BlockShiftFor(dim int) uint { return blockShiftFor(dim) }

// BucketLen returns the number of entries in one of the collection's
// sub-buckets ("vectors", "graph", "vblocks", "gblocks", ...).
func (c *Collection) BucketLen(sub string) int { return c.b.Bucket([]byte(sub)).Stats().KeyN }

// VectorBlocks returns the collection's vector block values as stored
// (aliasing the mapped file: valid during the transaction).
func (c *Collection) VectorBlocks() [][]byte {
	var out [][]byte
	_ = c.vblocks.ForEach(func(_, v []byte) error { out = append(out, v); return nil })
	return out
}
