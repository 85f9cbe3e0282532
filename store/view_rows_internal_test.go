package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rowsFixture is a read-only database of one collection (dim 4, ids
// 0..n-1 in one vector block) and its views read through the file.
type rowsFixture struct {
	path string
	db   *DB
	tx   *Tx
	c    *Collection
	v    *VectorViews
}

func newRowsFixture(t *testing.T, n int) *rowsFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error {
		c, err := tx.CreateCollection("c", Config{Dim: 4, Metric: L2})
		if err != nil {
			return err
		}
		recs := make([]Record, n)
		for i := range recs {
			recs[i] = Record{ID: uint32(i), Key: fmt.Sprintf("k%d", i), Vector: []float32{float32(i), 1, 2, 3}}
		}
		return c.PutBatch(recs)
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, Options{ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	f := &rowsFixture{path: path, db: db}
	if f.tx, err = db.BeginView(); err != nil {
		t.Fatal(err)
	}
	if f.c, err = f.tx.Collection("c"); err != nil {
		t.Fatal(err)
	}
	rf, err := db.RowFile()
	if err != nil {
		t.Fatal(err)
	}
	if f.v, err = f.c.VectorRows(rf, nil, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = f.tx.End()
		_ = f.db.Close()
	})
	return f
}

// rowFileOn returns a RowFile on a copy of the fixture's file, edited by
// edit first.
func (f *rowsFixture) rowFileOn(t *testing.T, edit func(b []byte) []byte) *RowFile {
	t.Helper()
	b, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "copy")
	if err := os.WriteFile(p, edit(b), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return &RowFile{f: h, path: p}
}

// TestVectorRowsBadFile: a file that does not hold what the transaction
// says (truncated before a block, truncated inside a row after the views
// were made, a vector block's bytes changed, another file) gives a clear
// error, never a wrong vector.
func TestVectorRowsBadFile(t *testing.T) {
	f := newRowsFixture(t, 100)
	blk := f.v.blocks[0]
	if blk.off < 0 || blk.n != 100 {
		t.Fatalf("block 0: offset %d, %d rows", blk.off, blk.n)
	}
	rowOff := func(id int) int64 { return blk.off + int64(16*id) }
	buf := make([]float32, 4)
	if got, err := f.v.Read(42, buf); err != nil || got[0] != 42 || got[3] != 3 {
		t.Fatalf("row 42: %v, %v", got, err)
	}

	t.Run("short read", func(t *testing.T) {
		// Truncated after the views were made: inside row 50.
		v := *f.v
		v.file = f.rowFileOn(t, func(b []byte) []byte { return b[:rowOff(50)+6] })
		if got, err := v.Read(49, buf); err != nil || got[0] != 49 {
			t.Fatalf("row 49, before the cut: %v, %v", got, err)
		}
		_, err := v.Read(50, buf)
		var re *RowReadError
		if !errors.As(err, &re) || !errors.Is(err, ErrCorrupt) || re.ID != 50 || re.Offset != rowOff(50) || re.Got != 6 || re.Want != 16 {
			t.Fatalf("row 50, cut after 6 bytes: %#v (%v), want a short read wrapping ErrCorrupt", re, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "id 50") || !strings.Contains(msg, fmt.Sprint(rowOff(50))) || !strings.Contains(msg, "read 6 of 16 bytes") {
			t.Fatalf("message %q does not name the id, the offset and the bytes read", msg)
		}
		_, err = v.Read(99, buf)
		if !errors.As(err, &re) || !errors.Is(err, ErrCorrupt) || re.Got != 0 || !errors.Is(re.Err, io.EOF) {
			t.Fatalf("row 99, beyond the end: %v", err)
		}
	})
	t.Run("block beyond the file", func(t *testing.T) {
		rf := f.rowFileOn(t, func(b []byte) []byte { return b[:rowOff(10)] })
		_, err := f.c.VectorRows(rf, nil, nil)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "beyond the file") {
			t.Fatalf("VectorRows on a truncated file: %v", err)
		}
	})
	t.Run("changed row", func(t *testing.T) {
		rf := f.rowFileOn(t, func(b []byte) []byte {
			b[rowOff(7)] ^= 0x40
			return b
		})
		_, err := f.c.VectorRows(rf, nil, nil)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("VectorRows on a file with a changed row: %v", err)
		}
	})
	t.Run("another file", func(t *testing.T) {
		rf := f.rowFileOn(t, func(b []byte) []byte {
			for i := range b {
				b[i] = 0
			}
			return b
		})
		if _, err := f.c.VectorRows(rf, nil, nil); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("VectorRows through a file of zeros: %v", err)
		}
	})
	t.Run("prev of another file", func(t *testing.T) {
		// Views made through one RowFile are not reused through another:
		// every block is read and verified again.
		rf := f.rowFileOn(t, func(b []byte) []byte { return b[:rowOff(10)] })
		if _, err := f.c.VectorRows(rf, f.v, nil); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("VectorRows with prev through another file: %v", err)
		}
	})
}
