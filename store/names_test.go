package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

func TestRenameCollection(t *testing.T) {
	db := openTemp(t)
	fillRandom(t, db, "a", 4, 20)
	fillRandom(t, db, "b", 4, 3)
	var before store.Record
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection("a")
		if err != nil {
			return err
		}
		before, err = c.Get("k7")
		return err
	})
	for _, tc := range []struct {
		old, new string
		want     error
	}{
		{"a", "b", store.ErrCollectionExists},
		{"zz", "c", store.ErrUnknownCollection},
		{"a", "", store.ErrInvalidName},
		{"a", "\x00x", store.ErrInvalidName},
	} {
		err := db.Update(func(tx *store.Tx) error { return tx.RenameCollection(tc.old, tc.new) })
		if !errors.Is(err, tc.want) {
			t.Errorf("rename %q to %q: err = %v, want %v", tc.old, tc.new, err, tc.want)
		}
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.RenameCollection("a", "renamed") }); err != nil {
		t.Fatal(err)
	}
	mustView(t, db, func(tx *store.Tx) error {
		names, err := tx.Collections()
		if err != nil {
			return err
		}
		if want := []string{"b", "renamed"}; !reflect.DeepEqual(names, want) {
			t.Errorf("Collections = %q, want %q", names, want)
		}
		if _, err := tx.Collection("a"); !errors.Is(err, store.ErrUnknownCollection) {
			t.Errorf("old name: err = %v", err)
		}
		c, err := tx.Collection("renamed")
		if err != nil {
			return err
		}
		got, err := c.Get("k7")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, before) || c.Len() != 20 || c.Name() != "renamed" {
			t.Errorf("after rename: %+v (len %d), want %+v", got, c.Len(), before)
		}
		return nil
	})
	checkOK(t, db)
}

func TestStagedCollection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.vecbolt")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillRandom(t, db, "c", 4, 5)
	cfg := store.Config{Dim: 4, Metric: store.L2}
	var hidden string
	if err := db.Update(func(tx *store.Tx) error {
		var c *store.Collection
		var err error
		hidden, c, err = tx.CreateStaged("c", cfg)
		if err != nil {
			return err
		}
		return c.Put(&store.Record{ID: 0, Key: "new", Vector: []float32{1, 2, 3, 4}})
	}); err != nil {
		t.Fatal(err)
	}
	if !store.IsStaged(hidden) {
		t.Fatalf("hidden name %q is not staged", hidden)
	}
	mustView(t, db, func(tx *store.Tx) error {
		names, _ := tx.Collections()
		if !reflect.DeepEqual(names, []string{"c"}) {
			t.Errorf("Collections = %q, want only c", names)
		}
		c, _ := tx.Collection("c")
		if c.Len() != 5 {
			t.Errorf("c has %d records before the commit, want 5", c.Len())
		}
		return nil
	})
	checkOK(t, db)
	if err := db.Update(func(tx *store.Tx) error { return tx.CommitStaged("c", "d") }); !errors.Is(err, store.ErrUnknownCollection) {
		t.Errorf("CommitStaged of a visible name: err = %v", err)
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.CommitStaged(hidden, "c") }); err != nil {
		t.Fatal(err)
	}
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		if c.Len() != 1 || c.Config() != cfg || !c.Has("new") {
			t.Errorf("after commit: len %d, config %+v", c.Len(), c.Config())
		}
		if _, err := tx.Collection(hidden); !errors.Is(err, store.ErrUnknownCollection) {
			t.Errorf("hidden name after commit: %v", err)
		}
		return nil
	})
	checkOK(t, db)

	// A staged collection that is never committed disappears at the next
	// read-write open, and read-only opens leave it alone.
	if err := db.Update(func(tx *store.Tx) error {
		var err error
		hidden, _, err = tx.CreateStaged("e", cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for i, ro := range []bool{true, false, true} {
		db, err = store.Open(path, store.Options{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		mustView(t, db, func(tx *store.Tx) error {
			_, err := tx.Collection(hidden)
			if present := i == 0; errors.Is(err, store.ErrUnknownCollection) == present {
				t.Errorf("open %d (ReadOnly=%v): staged collection lookup: %v, want present=%v", i, ro, err, present)
			}
			return nil
		})
		checkOK(t, db)
		db.Close()
	}
}

func checkOK(t testing.TB, db *store.DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}
