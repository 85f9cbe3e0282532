package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// TestDamagedMetaPage: a damaged bbolt meta page made bbolt fall back to
// the other one without a word (stats showed 0 records, and the next put
// made the loss permanent). Now a read-write Open refuses the file naming
// 'vecbolt backup' and 'vecbolt check', a read-only Open proceeds and
// reports it, Check lists it, and a backup taken read-only is clean.
func TestDamagedMetaPage(t *testing.T) {
	ctx := context.Background()
	// A file with one record per commit: the two meta pages hold the last
	// two transactions, the newer with one more record. (The synced
	// freelist, so that Close adds no commit of its own.)
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := store.Open(path, store.Options{Freelist: store.FreelistSynced})
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *store.Tx) error {
		_, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.L2})
		return err
	})
	const records = 5
	for i := 0; i < records; i++ {
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, err := tx.Collection("c")
			if err != nil {
				return err
			}
			return c.Put(&store.Record{ID: uint32(i), Key: "k" + strconv.Itoa(i), Vector: []float32{float32(i), 1}})
		})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Meta page layout (bbolt's internal/common/meta.go): 16-byte page
	// header, then page size at +8 and txid at +48 of the meta.
	pageSize := int(binary.LittleEndian.Uint32(good[16+8:]))
	txid := func(page int) uint64 { return binary.LittleEndian.Uint64(good[page*pageSize+16+48:]) }
	newer := 0
	if txid(1) > txid(0) {
		newer = 1
	}
	cases := []struct {
		name   string
		page   int
		offset int // within the page
		lost   bool
	}{
		{"newer page root pgid", newer, 16 + 16, true},
		{"newer page txid", newer, 16 + 48, true},
		{"newer page magic", newer, 16, true},
		{"newer page checksum", newer, 16 + 56, true},
		{"older page freelist pgid", 1 - newer, 16 + 32, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "damaged.db")
			bad := bytes.Clone(good)
			bad[tc.page*pageSize+tc.offset] ^= 0x5a
			if err := os.WriteFile(p, bad, 0o600); err != nil {
				t.Fatal(err)
			}

			_, err := store.Open(p, store.Options{})
			var me *store.MetaPageError
			if !errors.As(err, &me) || !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("read-write Open = %v, want a *MetaPageError", err)
			}
			if me.Page != tc.page {
				t.Errorf("MetaPageError.Page = %d, want %d", me.Page, tc.page)
			}
			for _, s := range []string{"meta page " + strconv.Itoa(tc.page), "vecbolt backup", "vecbolt check", p} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("read-write Open error %q does not say %q", err, s)
				}
			}
			if now, _ := os.ReadFile(p); !bytes.Equal(now, bad) {
				t.Error("the refused read-write Open changed the file")
			}

			ro, err := store.Open(p, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatalf("read-only Open: %v", err)
			}
			defer ro.Close()
			if err := ro.MetaDamage(); !errors.As(err, &me) || me.Page != tc.page {
				t.Errorf("MetaDamage = %v, want page %d", err, tc.page)
			}
			n := 0
			mustView(t, ro, func(tx *store.Tx) error {
				c, err := tx.Collection("c")
				if err != nil {
					return err
				}
				n = c.Len()
				return nil
			})
			if want := records - map[bool]int{true: 1}[tc.lost]; n != want {
				t.Errorf("read-only view holds %d records, want %d (the state of the valid meta page)", n, want)
			}
			var ce *store.CheckError
			if err := ro.Check(ctx); !errors.As(err, &ce) || !strings.Contains(err.Error(), "meta page "+strconv.Itoa(tc.page)) {
				t.Errorf("Check = %v, want the damaged meta page listed", err)
			}

			// The way forward the message names: a backup is a clean file.
			cp := filepath.Join(t.TempDir(), "copy.db")
			if err := ro.CopyFile(ctx, cp); err != nil {
				t.Fatal(err)
			}
			rw, err := store.Open(cp, store.Options{})
			if err != nil {
				t.Fatalf("open the backup read-write: %v", err)
			}
			defer rw.Close()
			if err := rw.Check(ctx); err != nil {
				t.Errorf("Check of the backup: %v", err)
			}
		})
	}
	// The undamaged file opens both ways without a word.
	for _, ro := range []bool{false, true} {
		db, err := store.Open(path, store.Options{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.MetaDamage(); err != nil {
			t.Errorf("MetaDamage of an undamaged file (read-only %t): %v", ro, err)
		}
		if err := db.Check(ctx); err != nil {
			t.Errorf("Check of an undamaged file: %v", err)
		}
		db.Close()
	}
}
