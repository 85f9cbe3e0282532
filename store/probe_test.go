package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/store"
)

func TestProbeCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	for _, fl := range []store.Freelist{store.FreelistDefault, store.FreelistSynced, store.FreelistUnsynced, store.FreelistSynced} {
		p, err := store.ProbeCommits(ctx, path, store.Options{NoSync: true, Freelist: fl}, 25, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if p.Commits != 25 || p.Seconds <= 0 || p.PageBytes < 25*4096 {
			t.Errorf("freelist %d: %+v", fl, p)
		}
		// The probe leaves the file as it found it: a valid database.
		db, err := store.Open(path, store.Options{Freelist: fl})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Check(ctx); err != nil {
			t.Errorf("freelist %d: %v", fl, err)
		}
		db.Close()
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := store.ProbeCommits(ctx, path, store.Options{ReadOnly: true, Timeout: -1}, 1, time.Second); err == nil {
		t.Error("probing a read-only open worked")
	}
}

// TestProbeOpen: the probe leaves a valid file, reports the free pages, and
// the file it left after a simulated crash had no freelist on disk.
func TestProbeOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	if _, err := store.ProbeCommits(context.Background(), path, store.Options{NoSync: true}, 30, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, fl := range []store.Freelist{store.FreelistDefault, store.FreelistSynced} {
		p, err := store.ProbeOpen(path, store.Options{NoSync: true, Freelist: fl})
		if err != nil {
			t.Fatal(err)
		}
		// Removing the probe's bucket freed its pages.
		if p.CleanSeconds <= 0 || p.UncleanSeconds <= 0 || p.FreePages < 1 {
			t.Errorf("freelist %d: %+v", fl, p)
		}
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Check(context.Background()); err != nil {
			t.Error(err)
		}
		db.Close()
	}
	if _, err := store.ProbeOpen(path, store.Options{ReadOnly: true}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only probe: %v", err)
	}
}
