package store

import "bytes"

// ForEachKey calls fn with every key that starts with prefix and sorts
// after after (byte order; "" means from the first), in ascending byte
// order, with its id, stopping at and returning the first error fn
// returns. It walks the key index only (no record is read): O(log n) to
// find the start, then O(log n) per key (the id is decoded through ID, so
// the walk does not depend on how the index stores it). fn must not modify
// the collection.
func (c *Collection) ForEachKey(prefix, after string, fn func(key string, id uint32) error) error {
	cur := c.keys.Cursor()
	start := []byte(prefix)
	if after > prefix {
		start = []byte(after)
	}
	k, _ := cur.Seek(start)
	if after != "" && k != nil && string(k) == after {
		k, _ = cur.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = cur.Next() {
		key := string(k)
		id, ok := c.ID(key)
		if !ok {
			return corrupt(c.name, "keys", "key %s has no valid id", quoteKey(key))
		}
		if err := fn(key, id); err != nil {
			return err
		}
	}
	return nil
}
