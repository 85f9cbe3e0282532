package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// Regression: a bucket header whose root page id points far outside the
// file made bbolt's Check fault in its own goroutine (SIGSEGV, process
// killed). Found by FuzzCorruptFile in package query.
func TestCheckBucketRootOutOfFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.vecbolt")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillRandom(t, db, "c", 8, 300)
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite the root page id of every non-inline bucket header found in
	// a leaf page (bbolt's format: 16-byte page header, 16-byte leaf
	// elements flags|pos|ksize|vsize, pos relative to the element).
	const ps = 4096
	le := binary.LittleEndian
	n := 0
	for off := 2 * ps; off+ps <= len(data); off += ps {
		p := data[off : off+ps]
		if le.Uint64(p) != uint64(off/ps) || le.Uint16(p[8:]) != 0x02 {
			continue
		}
		for i := 0; i < int(le.Uint16(p[10:])); i++ {
			e := 16 + 16*i
			if e+16 > ps || le.Uint32(p[e:])&1 == 0 {
				continue
			}
			k := e + int(le.Uint32(p[e+4:]))
			v := k + int(le.Uint32(p[e+8:]))
			if v+8 <= ps && string(p[k:v]) == "records" && le.Uint64(p[v:]) != 0 {
				le.PutUint64(p[v:], 0x20000000)
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no bucket header found")
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Check(context.Background())
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "outside the file") {
		t.Fatalf("Check = %v, want a report of a page id outside the file", err)
	}
}
