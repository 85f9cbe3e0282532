package store

import (
	"bytes"
	"encoding/binary"
)

// ForEachKey calls fn with every key that starts with prefix and sorts
// after after (byte order; "" means from the first), in ascending byte
// order, with its id, stopping at and returning the first error fn
// returns. It walks the key index only: O(log n) to find the start plus
// O(1) per key. fn must not modify the collection.
func (c *Collection) ForEachKey(prefix, after string, fn func(key string, id uint32) error) error {
	cur := c.keys.Cursor()
	start := []byte(prefix)
	if after > prefix {
		start = []byte(after)
	}
	k, v := cur.Seek(start)
	if after != "" && k != nil && string(k) == after {
		k, v = cur.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = cur.Next() {
		if len(v) != 4 {
			return corrupt(c.name, "keys", "key %s maps to %d bytes, want 4", quoteKey(string(k)), len(v))
		}
		if err := fn(string(k), binary.BigEndian.Uint32(v)); err != nil {
			return err
		}
	}
	return nil
}
