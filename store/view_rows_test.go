package store_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// sameFloats reports whether a and b hold the same bits.
func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// fillSpread writes n records with ids i·step in one batch and returns
// their vectors by id. Contiguous ids (step 1) fill whole vector blocks;
// sparse ones stay vector deltas.
func fillSpread(t testing.TB, db *store.DB, dim, n int, step uint32) map[uint32][]float32 {
	t.Helper()
	r := rand.New(rand.NewPCG(11, uint64(n)))
	vecs := make(map[uint32][]float32, n)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: dim, Metric: store.L2})
		if err != nil {
			return err
		}
		recs := make([]store.Record, n)
		for i := range recs {
			id := uint32(i) * step
			vecs[id] = randVec(r, dim)
			recs[i] = store.Record{ID: id, Key: fmt.Sprintf("k%d", id), Vector: vecs[id]}
		}
		return c.PutBatch(recs)
	})
	return vecs
}

// TestVectorRows: rows read through the file (VectorRows) are the stored
// vectors bit for bit, as the views of the mapping give them, for rows in
// blocks, delta rows and deleted ones, before and after a commit (reusing
// the previous views); every read goes into the caller's buffer.
func TestVectorRows(t *testing.T) {
	const dim = 256
	db := openTemp(t)
	vecs := fillSpread(t, db, dim, 2600, 1) // blocks of 1,024 ids: two full, one partial
	rf, err := db.RowFile()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := db.RowFile(); err != nil || again != rf {
		t.Fatalf("a second RowFile call: %p, %v; want the first, %p", again, err, rf)
	}
	check := func(v, views *store.VectorViews, deleted map[uint32]bool) {
		t.Helper()
		if !v.FileBacked() || views.FileBacked() {
			t.Fatalf("FileBacked: %t for VectorRows, %t for VectorViews", v.FileBacked(), views.FileBacked())
		}
		buf := make([]float32, dim)
		for id, want := range vecs {
			clear(buf)
			got, err := v.Read(id, buf)
			if err != nil {
				t.Fatal(err)
			}
			if deleted[id] {
				if got != nil {
					t.Fatalf("deleted id %d has a vector", id)
				}
				continue
			}
			if !sameFloats(got, want) || !sameFloats(got, views.Vector(id)) {
				t.Fatalf("id %d: read %v, views %v, want %v", id, got, views.Vector(id), want)
			}
			if mapped, _ := views.Read(id, nil); !sameFloats(mapped, want) {
				t.Fatalf("id %d: VectorViews.Read %v, want %v", id, mapped, want)
			}
		}
		for _, id := range []uint32{2600, 3000, 1 << 30, math.MaxUint32} {
			if got, err := v.Read(id, buf); got != nil || err != nil {
				t.Fatalf("id %d has no record: read %v, %v", id, got, err)
			}
		}
		if _, err := v.Read(5, buf[:dim-1]); err == nil {
			t.Fatal("a read into a short buffer succeeded")
		}
	}
	tx1, err := db.BeginView()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx1.End() }() // after a failure: Close waits for it
	c1, _ := tx1.Collection("c")
	if v, err := c1.VectorRows(rf, nil, nil); err != nil || v.Deltas() != 0 {
		t.Fatalf("VectorRows: %d deltas, %v; want the rows in blocks", v.Deltas(), err)
	}
	v1, err := c1.VectorRows(rf, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := c1.VectorViews(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(v1, m1, nil)
	if _, err := c1.VectorRows(nil, nil, nil); err == nil {
		t.Fatal("VectorRows without a RowFile succeeded")
	}
	if err := tx1.End(); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	vecs[1500] = randVec(r, dim)
	vecs[7] = randVec(r, dim)
	mustUpdate(t, db, func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		if err := col.Put(&store.Record{ID: 1500, Key: "k1500", Vector: vecs[1500]}); err != nil {
			return err
		}
		if err := col.Put(&store.Record{ID: 7, Key: "k7", Vector: vecs[7]}); err != nil {
			return err
		}
		_, err := col.Delete("k2002")
		return err
	})
	tx2, err := db.BeginView()
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.End()
	c2, _ := tx2.Collection("c")
	v2, err := c2.VectorRows(rf, v1, []uint32{0, 1}) // the blocks of ids 7, 1500 and 2002
	if err != nil {
		t.Fatal(err)
	}
	m2, err := c2.VectorViews(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(v2, m2, map[uint32]bool{2002: true})
	if v2.Deltas() != 3 {
		t.Fatalf("%d deltas, want 3", v2.Deltas())
	}
	v3, err := c2.VectorRows(rf, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(v3, m2, map[uint32]bool{2002: true})
}

// TestVectorRowsAfterClose: a read after the DB (and so its RowFile) is
// closed is an error naming the id and offset, not a wrong vector, and
// RowFile on a closed DB fails.
func TestVectorRowsAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	vecs := fillSpread(t, db, 256, 1100, 1) // block 0 holds ids 0..1023
	rf, err := db.RowFile()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginView()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := tx.Collection("c")
	v, err := c.VectorRows(rf, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.Read(3, make([]float32, 256)); err != nil || !sameFloats(got, vecs[3]) {
		t.Fatalf("read %v, %v; want %v", got, err, vecs[3])
	}
	_ = tx.End()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = v.Read(3, make([]float32, 256))
	var re *store.RowReadError
	if !errors.As(err, &re) || !errors.Is(err, os.ErrClosed) || errors.Is(err, store.ErrCorrupt) || re.ID != 3 {
		t.Fatalf("read after Close: %v, want a RowReadError for id 3 wrapping os.ErrClosed", err)
	}
	if _, err := db.RowFile(); err == nil {
		t.Fatal("RowFile on a closed DB succeeded")
	}
}
