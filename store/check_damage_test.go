package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/store"
)

// Regression: Check used to walk the buckets with cursors after bbolt's
// page check had already found damaged pages, and bbolt panicked
// ("assertion failed: Page expected to be: N, but self identifies as M").
func TestCheckDamagedPagesNoPanic(t *testing.T) {
	for _, kind := range []string{"branch", "leaf"} {
		t.Run(kind, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.vecbolt")
			db, err := store.Open(path, store.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			fillRandom(t, db, "c", 8, 2000)
			db.Close()

			b, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			pageSize := b.Info().PageSize
			var pages []int
			if err := b.View(func(btx *bolt.Tx) error {
				for id := 2; ; id++ {
					p, err := btx.Page(id)
					if err != nil || p == nil {
						return err
					}
					if p.Type == kind {
						pages = append(pages, id)
					}
				}
			}); err != nil {
				t.Fatal(err)
			}
			b.Close()
			if len(pages) == 0 {
				t.Fatalf("no %s pages", kind)
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range pages {
				if _, err := f.WriteAt([]byte{0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0x55, 0x55}, int64(id*pageSize)); err != nil {
					t.Fatal(err)
				}
			}
			f.Close()

			db, err = store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				return // refused at open: fine
			}
			defer db.Close()
			err = db.Check(context.Background())
			var ce *store.CheckError
			if !errors.As(err, &ce) || !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("Check = %v, want a *CheckError", err)
			}
		})
	}
}
