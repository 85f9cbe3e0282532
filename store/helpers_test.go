package store_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// openTemp opens a new database in a temporary directory and closes it at
// the end of the test.
func openTemp(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "test.vecbolt"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func mustUpdate(t testing.TB, db *store.DB, fn func(*store.Tx) error) {
	t.Helper()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func mustView(t testing.TB, db *store.DB, fn func(*store.Tx) error) {
	t.Helper()
	if err := db.View(fn); err != nil {
		t.Fatal(err)
	}
}

// randVec returns a vector with components in [-1, 1).
func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// unit returns v scaled to length 1 and v's length, computed in float64.
func unit(v []float32) ([]float32, float32) {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	n := math.Sqrt(s)
	u := make([]float32, len(v))
	for i, f := range v {
		u[i] = float32(float64(f) / n)
	}
	return u, float32(n)
}

func closeTo(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol {
			return false
		}
	}
	return true
}
