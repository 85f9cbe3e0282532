package query_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// TestFlipLeafBelowRoot: a damaged element in a leaf page below a large
// bucket's root (which Tx.Collection does not read) makes Get and ForEach
// return a CorruptError naming the bucket, never the record of another
// key, and never a fault. Before the guard, bbolt's binary search read a
// key that starts past the page, past the end of the mapping: a fault
// that killed the process (the every-byte test's Get and ForEach).
func TestFlipLeafBelowRoot(t *testing.T) {
	dir := t.TempDir()
	// 400 records: keys/, records/ and order/ each span several leaf
	// pages under a branch page.
	want := map[string][]float32{}
	orig := compactedDB(t, func(t *testing.T, path string) {
		db, err := query.Open(path, query.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4, Metric: query.L2, M: 4, EfConstruction: 16})
		if err != nil {
			t.Fatal(err)
		}
		var recs []query.Record
		for i, v := range clustered(3, 400, 4) {
			k := fmt.Sprintf("r%d", i)
			recs = append(recs, query.Record{Key: k, Vector: v})
			want[k] = v
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{Workers: 1}); err != nil {
			t.Fatal(err)
		}
	})
	// A leaf element is (flags, pos, ksize, vsize). A key position past
	// the file makes bbolt's search read there (a fault); a key size past
	// it misleads the search without a fault: records/ then lacks a record
	// that keys/ names, which Get reports. (In keys/ such a search finds no
	// key: Check reports it, Get says "not found".)
	for _, tc := range []struct {
		bucket, field string
		at            int
	}{{"keys", "position", 4}, {"records", "position", 4}, {"order", "position", 4}, {"records", "size", 8}} {
		bucket := tc.bucket
		t.Run(bucket+" key "+tc.field, func(t *testing.T) {
			leaf := firstLeafBelowRoot(t, orig, bucket)
			damaged := bytes.Clone(orig)
			binary.LittleEndian.PutUint32(damaged[leaf+16+16+tc.at:], 0x7fff0000) // element 1
			p := filepath.Join(dir, bucket+tc.field+".db")
			if err := os.WriteFile(p, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := query.Open(p, query.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			isOurs := func(err error) bool {
				var ce *store.CorruptError
				return errors.As(err, &ce) && ce.Collection == "c" && ce.Bucket == bucket
			}
			caught := 0
			for k, v := range want {
				r, err := db.Get(ctx, "c", k)
				switch {
				case err == nil && !reflect.DeepEqual(r.Vector, v):
					t.Fatalf("Get(%q) = %v, want %v", k, r.Vector, v)
				case err != nil && !isOurs(err):
					t.Fatalf("Get(%q): %v, want a CorruptError naming c's %s", k, err, bucket)
				case err != nil:
					caught++
				}
			}
			err = db.ForEach(ctx, "c", func(query.Record) error { return nil })
			if err != nil && !isOurs(err) {
				t.Fatalf("ForEach: %v, want a CorruptError naming c's %s", err, bucket)
			}
			if err != nil {
				caught++
			}
			if caught == 0 {
				t.Fatalf("a key %s past the file in %s/ went unnoticed by Get and ForEach", tc.field, bucket)
			}
			if err := db.Check(ctx); err == nil {
				t.Fatal("Check passed")
			}
		})
	}
}

// firstLeafBelowRoot returns the offset of the first leaf page below the
// root of the bucket named name in bbolt file f; the root must be a
// branch page.
func firstLeafBelowRoot(t *testing.T, f []byte, name string) int {
	t.Helper()
	le := binary.LittleEndian
	ps := int(le.Uint32(f[16+8:]))
	leaf := -1
	bucketValues(t, f, func(n string, v int) { // flip_inline_test.go
		if n != name || leaf >= 0 {
			return
		}
		root := int(le.Uint64(f[v:]))
		if root == 0 || le.Uint16(f[root*ps+8:]) != 0x01 {
			t.Fatalf("bucket %s is not a tree of several pages (root page %d): the test needs more records", name, root)
		}
		child := int(le.Uint64(f[root*ps+16+8:])) // element 0's page
		if le.Uint16(f[child*ps+8:]) != 0x02 || le.Uint16(f[child*ps+10:]) < 2 {
			t.Fatalf("bucket %s: page %d below the root is not a leaf of two elements or more", name, child)
		}
		leaf = child * ps
	})
	if leaf < 0 {
		t.Fatalf("no bucket %s in the file", name)
	}
	return leaf
}

// TestFlipSubBucketRootPage: a damaged element of a file sub-bucket's root
// page (records/ and the others that outgrow an inline page) is a
// CorruptError naming the bucket from every read of the collection:
// Tx.Collection verifies each sub-bucket's root page before bbolt reads
// it. Before, Get read a key size past the page and faulted.
func TestFlipSubBucketRootPage(t *testing.T) {
	dir := t.TempDir()
	orig := compactedFlipFixture(t)
	le := binary.LittleEndian
	ps := int(le.Uint32(orig[16+8:]))
	subs := map[string]bool{"keys": true, "records": true, "vectors": true, "order": true, "graph": true, "vblocks": true, "gblocks": true, "nodelog": true}
	tried := 0
	bucketValues(t, orig, func(name string, v int) {
		root := int(le.Uint64(orig[v:]))
		if !subs[name] || root == 0 || le.Uint16(orig[root*ps+10:]) < 2 {
			return // not a file sub-bucket whose root holds two elements
		}
		tried++
		for _, field := range []struct {
			what string
			at   int // in element 1
		}{{"key size", 8}, {"position", 4}} {
			damaged := bytes.Clone(orig)
			at := root*ps + 16 + 16 + field.at
			if le.Uint16(orig[root*ps+8:]) == 0x01 { // a branch element: pos, ksize, pgid
				at -= 4
			}
			le.PutUint32(damaged[at:], 0x7fff0000)
			p := filepath.Join(dir, "flipped.db")
			if err := os.WriteFile(p, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			openErr, errs := readAll(p, []string{"c", "d"}, flipFixtureKeys) // flip_inline_test.go
			if openErr != nil {
				continue
			}
			if len(errs) == 0 {
				t.Errorf("%s/ root page %d, element 1's %s past the file: every read succeeded", name, root, field.what)
			}
			for _, err := range errs {
				var ce *store.CorruptError
				if !errors.As(err, &ce) || ce.Bucket != name {
					t.Errorf("%s/ root page %d, element 1's %s past the file: %v, want a CorruptError naming %s", name, root, field.what, err, name)
					break
				}
			}
		}
	})
	if tried == 0 {
		t.Fatal("no sub-bucket of the fixture has a root page of two elements or more: the test checks nothing")
	}
}
