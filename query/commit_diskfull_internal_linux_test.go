package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDiskFullGroupCommit fills a 1 MiB file system with single writes,
// then commits groups of eight writes at once until one group's commit
// fails for lack of space: every write of that group must fail, none may be
// visible afterwards (in memory, or in the file once reopened), and every
// write acknowledged before must still be there.
func TestDiskFullGroupCommit(t *testing.T) {
	bg := context.Background()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a 1 MiB tmpfs to fill up (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	path := filepath.Join(dir, "full.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.CreateCollection(bg, "g", CollectionConfig{Dim: 4, Metric: L2, M: 8, EfConstruction: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	pad := func(i int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"i": %d, "pad": "%s"}`, i, strings.Repeat("x", 3000)))
	}
	var acked []string
	for i := 0; ; i++ {
		k := fmt.Sprintf("s%d", i)
		err := c.Upsert(bg, k, groupVec(i), pad(i))
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("single write %d: %v", i, err)
			}
			break
		}
		acked = append(acked, k)
		if i > 2000 {
			t.Fatal("1 MiB file system never filled up")
		}
	}
	t.Logf("%d single writes before the disk filled", len(acked))

	var failed []string
	for round := 0; round < 20 && failed == nil; round++ {
		keys := make([]string, 8)
		fns := make([]func() error, 8)
		for j := range fns {
			k := fmt.Sprintf("g%d-%d", round, j)
			keys[j] = k
			fns[j] = func() error { return c.Upsert(bg, k, groupVec(10000+round*8+j), pad(j)) }
		}
		tx0 := c.WriteStats().Commits
		errs := inGroup(t, c, fns...)
		nfail := 0
		for _, err := range errs {
			if err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Errorf("group write: %v, want ENOSPC", err)
				}
				nfail++
			}
		}
		switch {
		case nfail == 0:
			acked = append(acked, keys...) // a freed page made room
			if c.WriteStats().Commits != tx0+1 {
				t.Errorf("a group of 8 took %d commits", c.WriteStats().Commits-tx0)
			}
		case nfail == len(errs):
			failed = keys
		default:
			t.Fatalf("a group commit failed for %d of its %d writes: %v", nfail, len(errs), errs)
		}
	}
	if failed == nil {
		t.Fatal("no group commit failed on the full disk")
	}

	verify := func(c *Collection, when string) {
		t.Helper()
		for _, k := range failed {
			if c.Has(k) {
				t.Errorf("%s: %s of the failed group is visible", when, k)
			}
			if _, err := c.Get(bg, k); !errors.Is(err, ErrKeyNotFound) {
				t.Errorf("%s: Get(%s) = %v", when, k, err)
			}
		}
		if c.Len() != len(acked) {
			t.Errorf("%s: %d records, want %d", when, c.Len(), len(acked))
		}
		for _, k := range acked {
			if _, err := c.Get(bg, k); err != nil {
				t.Errorf("%s: acknowledged %s: %v", when, k, err)
			}
		}
		if err := c.Check(bg); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
	verify(c, "after the failed group")
	if err := db.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	db2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	c2, err := db2.Collection(bg, "g")
	if err != nil {
		t.Fatal(err)
	}
	verify(c2, "reopened")
}
