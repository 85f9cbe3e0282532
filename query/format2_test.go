package query_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

func TestRenameCollection(t *testing.T) {
	db, path := openTemp(t)
	a, err := db.CreateCollection(ctx, "a", query.CollectionConfig{Dim: 4, Metric: query.L2})
	if err != nil {
		t.Fatal(err)
	}
	vecs := clustered(3, 200, 4)
	keys := fill(t, a, vecs)
	if _, err := db.CreateCollection(ctx, "b", query.CollectionConfig{Dim: 4}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		old, new string
		want     error
	}{
		{"a", "b", query.ErrCollectionExists},
		{"nope", "c", query.ErrUnknownCollection},
		{"a", "", store.ErrInvalidName},
	} {
		if err := db.RenameCollection(ctx, tc.old, tc.new); !errors.Is(err, tc.want) {
			t.Errorf("rename %q -> %q: err = %v, want %v", tc.old, tc.new, err, tc.want)
		}
	}
	want, err := a.Search(ctx, vecs[7], 5, query.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RenameCollection(ctx, "a", "z"); err != nil {
		t.Fatal(err)
	}
	if names, _ := db.Collections(); !reflect.DeepEqual(names, []string{"b", "z"}) {
		t.Errorf("Collections = %q", names)
	}
	// The loaded handle follows the new name, for reads and writes.
	if err := a.Upsert(ctx, "extra", []float32{1, 1, 1, 1}, nil); err != nil {
		t.Fatal(err)
	}
	z, err := db.Collection(ctx, "z")
	if err != nil || z != a {
		t.Fatalf("Collection(z) = %p, %v; want the renamed handle %p", z, err, a)
	}
	if _, err := db.Collection(ctx, "a"); !errors.Is(err, query.ErrUnknownCollection) {
		t.Errorf("old name: %v", err)
	}
	db.Close()
	db2, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	z, err = db2.Collection(ctx, "z")
	if err != nil {
		t.Fatal(err)
	}
	got, err := z.Search(ctx, vecs[7], 5, query.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || z.Len() != len(keys)+1 {
		t.Errorf("after rename and reopen: %v (len %d), want %v", got, z.Len(), want)
	}
	if err := db2.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeThenSearch upgrades the committed format-1 fixture and checks
// the graph it carried over answers like brute force.
func TestUpgradeThenSearch(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "store", "testdata", "v1.vecbolt"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := query.Open(path, query.Options{}); !errors.Is(err, query.ErrNeedsUpgrade) {
		t.Fatalf("Open of a format-1 file: %v, want ErrNeedsUpgrade", err)
	}
	if from, err := query.Upgrade(ctx, path, 0); err != nil || from != 1 {
		t.Fatalf("Upgrade = %d, %v", from, err)
	}
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := db.Collection(ctx, "points")
	if err != nil {
		t.Fatal(err)
	}
	// points: p_i = (i, i mod 7, -i/2); the nearest neighbours of a point
	// far along the line are the last ones.
	got, err := c.Search(ctx, []float32{60, 4, -30}, 3, query.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range got {
		keys = append(keys, r.Key)
	}
	// distances²: p49 (49,0,-24.5): 121+16+30.25; p48 (48,6,-24): 144+4+36;
	// p47 (47,5,-23.5): 169+1+42.25.
	if want := []string{"p49", "p48", "p47"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("search = %v, want %v", keys, want)
	}
}

// TestConcurrentCollectionLoads: callers asking for the same collection at
// once share one load and get the same handle; others load alongside.
func TestConcurrentCollectionLoads(t *testing.T) {
	db, path := openTemp(t)
	for _, name := range []string{"a", "b"} {
		c, err := db.CreateCollection(ctx, name, query.CollectionConfig{Dim: 4, Metric: query.L2})
		if err != nil {
			t.Fatal(err)
		}
		fill(t, c, clustered(5, 3000, 4))
	}
	db.Close()
	db2, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got := make([]*query.Collection, 8)
	errs := make([]error, 8)
	done := make(chan int)
	for i := range got {
		go func() {
			got[i], errs[i] = db2.Collection(ctx, []string{"a", "b"}[i%2])
			done <- i
		}()
	}
	for range got {
		<-done
	}
	for i := range got {
		if errs[i] != nil || got[i] != got[i%2] || got[i].Len() != 3000 {
			t.Fatalf("caller %d: %p, %v (first: %p)", i, got[i], errs[i], got[i%2])
		}
	}
}
