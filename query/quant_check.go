package query

import (
	"bytes"
	"fmt"

	"github.com/vecbolt/vecbolt/store"
)

// checkRecordCode compares record r with the encoded graph's code row for
// it: the row must be the encoding of r's exact vector under the
// collection's parameters (store.EncodeCode, what the store writes). The
// caller holds c.mu. O(dim).
func (c *Collection) checkRecordCode(r *store.Record) error {
	sc := c.cfg.storeConfig()
	if q := c.g.Int8Params(); q != nil {
		sc.EncodingParams = store.EncodeParams(q)
	}
	row := c.g.CodeRow(r.ID)
	if len(row) == 0 {
		return &recordCheckError{key: r.Key, id: r.ID, msg: "the graph holds no code for it"}
	}
	code := make([]byte, len(row))
	if err := store.EncodeCode(sc, code, r.Vector); err != nil {
		return &recordCheckError{key: r.Key, id: r.ID, msg: "its vector cannot be encoded: " + err.Error()}
	}
	if !bytes.Equal(code, row) {
		return &recordCheckError{key: r.Key, id: r.ID, msg: "the graph's " + c.g.Encoding().String() + " code is not the encoding of its vector under the stored parameters (restore it from a backup or write it again)"}
	}
	return nil
}

// recordCheckError is one record's problem found by Check.
type recordCheckError struct {
	key string
	id  uint32
	msg string
}

func (e *recordCheckError) Error() string {
	return fmt.Sprintf("record %q (id %d): %s", e.key, e.id, e.msg)
}
