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
	dir := mountSmallFS(t, "2m")
	path := filepath.Join(dir, "full.db")
	db, err := query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const dim = 32
	cfg := query.CollectionConfig{Dim: dim, Metric: query.L2, M: 8, EfConstruction: 32, Seed: 1}
	c, err := db.CreateCollection(ctx, "c", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var old []query.Record
	for i := 0; i < 200; i++ {
		k := fmt.Sprintf("old%d", i)
		old = append(old, query.Record{Key: k, Vector: soakVectorDim(k, 1, dim)})
	}
	if err := c.UpsertBatch(ctx, old, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
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
	check := func(db *query.DB) {
		t.Helper()
		if got := collectionKeys(t, db, "c"); !reflect.DeepEqual(got, keysOf(old)) {
			t.Fatalf("collection c has %d keys after a failed staged import, want the old %d", len(got), len(old))
		}
		if names, _ := db.Collections(); !reflect.DeepEqual(names, []string{"c"}) {
			t.Fatalf("collections %q", names)
		}
		if err := db.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(db)
}
