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
