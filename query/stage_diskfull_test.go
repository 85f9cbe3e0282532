package query_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// TestStageDiskFull: a staged import (a copy of an existing collection
// plus batches) that runs out of disk space fails with ENOSPC, and the
// database stays as it was: the collection holds exactly its old records,
// no staged collection is listed, the file passes Check, and it reopens.
func TestStageDiskFull(t *testing.T) {
	const dim = 32
	cfg := query.CollectionConfig{Dim: dim, Metric: query.L2, M: 8, EfConstruction: 32, Seed: 1}
	var old []query.Record
	for i := 0; i < 200; i++ {
		k := fmt.Sprintf("old%d", i)
		old = append(old, query.Record{Key: k, Vector: soakVectorDim(k, 1, dim)})
	}
	db, path := fullDiskDB(t, cfg, old)
	s, err := db.Stage(ctx, "c", cfg, query.StageOptions{Copy: true})
	if err != nil {
		t.Fatal(err)
	}
	var failErr error
	for b := 0; b < 1000 && failErr == nil; b++ {
		recs := make([]query.Record, 50)
		for i := range recs {
			k := fmt.Sprintf("b%d-%d", b, i)
			recs[i] = query.Record{Key: k, Vector: soakVectorDim(k, 1, dim), Metadata: []byte(`{"pad":"` + strings.Repeat("x", 1000) + `"}`)}
		}
		failErr = s.Collection().UpsertBatch(ctx, recs, query.BatchOptions{})
	}
	if failErr == nil || !strings.Contains(failErr.Error(), syscall.ENOSPC.Error()) {
		t.Fatalf("staged import never hit the disk limit (err %v)", failErr)
	}
	if err := s.Abort(); err != nil {
		t.Logf("Abort on a full disk: %v", err)
	}
	checkStageFailed(t, db, path, old)
}

// fullDiskDB opens a database on a 2 MiB tmpfs (mountSmallFS) holding
// collection c (cfg) with the records old, for a staged build to fill.
func fullDiskDB(t *testing.T, cfg query.CollectionConfig, old []query.Record) (*query.DB, string) {
	t.Helper()
	path := filepath.Join(mountSmallFS(t, "2m"), "full.db")
	db, err := query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := db.CreateCollection(ctx, "c", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertBatch(ctx, old, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return db, path
}

// checkStageFailed verifies a database after a staged build failed:
// collection c holds exactly the records old (their keys, in order), no
// other collection is listed, and Check passes; then it closes db, reopens
// the file read-write and verifies it again.
func checkStageFailed(t *testing.T, db *query.DB, path string, old []query.Record) {
	t.Helper()
	check := func(db *query.DB) {
		t.Helper()
		if names, _ := db.Collections(); !reflect.DeepEqual(names, []string{"c"}) {
			t.Fatalf("collections %q after a failed staged build", names)
		}
		if got := collectionKeys(t, db, "c"); !reflect.DeepEqual(got, keysOf(old)) {
			t.Fatalf("collection c has %d keys after a failed staged build, want the old %d", len(got), len(old))
		}
		if err := db.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(db)
}
