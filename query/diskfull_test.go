package query_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// mountSmallFS mounts a tmpfs of the given size on a new directory and
// unmounts it at the end of the test, or skips the test saying why it
// cannot (not root, no CAP_SYS_ADMIN in a container, not Linux).
func mountSmallFS(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := mountTmpfs(dir, size); err != nil {
		t.Skipf("cannot mount a %s tmpfs to fill up (needs root or CAP_SYS_ADMIN): %v", size, err)
	}
	t.Cleanup(func() {
		if err := unmountTmpfs(dir); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestDiskFull imports into a database on a 1 MiB file system until a
// commit fails for lack of space, then checks that the error says so, that
// the open collection still agrees with the file (a failed commit reloads
// it), and that the file reopens holding every batch committed before.
func TestDiskFull(t *testing.T) {
	dir := mountSmallFS(t, "1m")
	path := filepath.Join(dir, "full.db")
	db, err := query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const dim = 64
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: query.L2, M: 8, EfConstruction: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var committed []string
	var failErr error
	for b := 0; b < 1000 && failErr == nil; b++ {
		recs := make([]query.Record, 50)
		for i := range recs {
			k := fmt.Sprintf("b%d-%d", b, i)
			recs[i] = query.Record{Key: k, Vector: soakVectorDim(k, 1, dim), Metadata: []byte(`{"pad":"` + strings.Repeat("x", 1000) + `"}`)}
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
			failErr = err
			t.Logf("batch %d failed after %d records committed: %v", b, len(committed), err)
			break
		}
		for _, r := range recs {
			committed = append(committed, r.Key)
		}
	}
	if failErr == nil {
		t.Fatal("1 MiB file system never filled up")
	}
	if !errors.Is(failErr, syscall.ENOSPC) || !strings.Contains(failErr.Error(), "no space left on device") {
		t.Errorf("error %q does not say the device is full (want errors.Is ENOSPC)", failErr)
	}
	if len(committed) == 0 {
		t.Fatal("nothing committed before the disk filled: make the batches smaller")
	}

	// The open handle: memory reloaded from the file, still consistent.
	if n := c.Len(); n != len(committed) {
		t.Errorf("after the failed commit Len = %d, want %d", n, len(committed))
	}
	if err := c.Check(ctx); err != nil {
		t.Errorf("after the failed commit: %v", err)
	}
	if c.Has(fmt.Sprintf("b%d-0", len(committed)/50)) {
		t.Errorf("a record of the failed batch is visible")
	}
	verifyKeys(t, c, committed, dim)
	// A single write on the full disk fails cleanly too (or succeeds in a
	// freed page); either way the collection stays consistent.
	if err := c.Upsert(ctx, "one-more", soakVectorDim("one-more", 1, dim), nil); err == nil {
		committed = append(committed, "one-more")
	} else if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("single upsert on a full disk: %v", err)
	}
	if err := c.Check(ctx); err != nil {
		t.Errorf("after a single write on a full disk: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Logf("close: %v", err)
	}

	db, err = query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopen after the disk filled: %v", err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatalf("reopened: %v", err)
	}
	c, err = db.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Len(); n != len(committed) {
		t.Errorf("reopened: %d records, want %d", n, len(committed))
	}
	verifyKeys(t, c, committed, dim)
	if fi, err := os.Stat(path); err == nil {
		t.Logf("%d records committed in a %d-byte file before the 1 MiB file system filled", len(committed), fi.Size())
	}
}

// verifyKeys checks that every key is stored with its exact vector and is
// found by a search for that vector.
func verifyKeys(t *testing.T, c *query.Collection, keys []string, dim int) {
	t.Helper()
	for _, k := range keys {
		want := soakVectorDim(k, 1, dim)
		rec, err := c.Get(ctx, k)
		if err != nil {
			t.Errorf("committed key %s: %v", k, err)
			continue
		}
		if !sameBits(rec.Vector, want) {
			t.Errorf("key %s: vector differs", k)
		}
		res, err := c.Search(ctx, want, 1, query.SearchOptions{})
		if err == nil && len(res) == 1 && res[0].Key == k {
			continue
		}
		// Approximate miss: a beam as wide as the collection visits every
		// node reachable from the entry point.
		res, err = c.Search(ctx, want, 1, query.SearchOptions{Ef: len(keys) + 1})
		if err != nil || len(res) != 1 || res[0].Key != k {
			t.Errorf("search for %s's vector: %v, %v", k, res, err)
		}
	}
}

// soakVectorDim is soakVector at any dimension.
func soakVectorDim(key string, ver uint64, dim int) []float32 {
	var v []float32
	for len(v) < dim {
		v = append(v, soakVector(fmt.Sprintf("%s/%d", key, len(v)), ver)...)
	}
	return v[:dim]
}
