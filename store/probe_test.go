package store_test

import (
	"context"
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
