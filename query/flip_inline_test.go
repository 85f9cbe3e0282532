package query_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// heapWatchdog panics (failing the test binary) when the heap passes
// 1 GiB before the returned function is called: a read that follows a
// damaged page without end grows a cursor's stack until memory runs out
// (17 GB in the every-byte test before edge.go), which would hurt the
// machine instead of failing.
func heapWatchdog(test string) (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > 1<<30 {
				panic(test + ": heap over 1 GiB: a read follows a damaged page without end")
			}
		}
	}()
	return func() { close(done) }
}

// inlineBucket is an inline bucket of a bbolt file: its name and the
// offset of its page (after the 16-byte bucket header in its parent's
// leaf value).
type inlineBucket struct {
	name string
	page int
}

// inlineBuckets lists the inline buckets of bbolt file f.
func inlineBuckets(t *testing.T, f []byte) []inlineBucket {
	t.Helper()
	var out []inlineBucket
	bucketValues(t, f, func(name string, v int) {
		if binary.LittleEndian.Uint64(f[v:]) == 0 { // root 0
			out = append(out, inlineBucket{name: name, page: v + 16})
		}
	})
	return out
}

// bucketValues calls fn with the name and the value's offset of every
// bucket in bbolt file f (a value starts with the bucket's root page id),
// walking its leaf pages in bbolt's page layout, as usedBytes does.
func bucketValues(t *testing.T, f []byte, fn func(name string, v int)) {
	t.Helper()
	le := binary.LittleEndian
	ps := int(le.Uint32(f[16+8:])) // meta page 0: magic, version, page size
	for p := 0; p*ps < len(f); {
		at := p * ps
		flags, count, overflow := le.Uint16(f[at+8:]), int(le.Uint16(f[at+10:])), int(le.Uint32(f[at+12:]))
		if flags == 0x02 {
			for i := range count {
				e := at + 16 + i*16
				pos, ksize := int(le.Uint32(f[e+4:])), int(le.Uint32(f[e+8:]))
				if le.Uint32(f[e:])&1 != 0 { // a bucket
					fn(string(f[e+pos:e+pos+ksize]), e+pos+ksize)
				}
			}
		}
		p += 1 + overflow
	}
}

// readAll opens path read-only and reads it as a user would: every
// collection loaded, searched, each key got, every record visited. It
// returns Open's error, or the errors the reads met.
func readAll(path string, cols []string, keys map[string][]string) (openErr error, errs []error) {
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		return err, nil
	}
	defer db.Close()
	for _, name := range cols {
		c, err := db.Collection(ctx, name)
		if err != nil {
			errs = append(errs, err)
		} else {
			q := make([]float32, c.Config().Dim)
			q[0] = 1
			if _, err := c.Search(ctx, q, 3, query.SearchOptions{}); err != nil {
				errs = append(errs, err)
			}
		}
		for _, k := range keys[name] {
			if _, err := db.Get(ctx, name, k); err != nil {
				errs = append(errs, err)
			}
		}
		if err := db.ForEach(ctx, name, func(query.Record) error { return nil }); err != nil {
			errs = append(errs, err)
		}
	}
	return nil, errs
}

// flipFixtureKeys are the keys flipFixture stores, by collection.
var flipFixtureKeys = func() map[string][]string {
	m := map[string][]string{}
	for i := range 24 {
		if i != 5 {
			m["c"] = append(m["c"], fmt.Sprintf("k%d", i))
		}
	}
	for i := range 6 {
		m["d"] = append(m["d"], fmt.Sprintf("p%d", i))
	}
	return m
}()

// TestFlipInlineBucketPage: a damaged page header of an inline bucket
// (most of the small collection's sub-buckets are inline after compact) is
// an error naming the bucket, from every read, not an endless descent or a
// read past the page. bbolt reads an inline page whose flags say branch
// (or anything but leaf) as a branch page and follows its element to page
// id 0, which an inline bucket answers with the same page: Cursor.First
// and Last grow their stack until memory runs out (17 GB, then 1.9 GB
// through vblocks/ in the every-byte test), which the heap watchdog turns
// into a failure. An element count past the value makes bbolt read past
// it.
func TestFlipInlineBucketPage(t *testing.T) {
	dir := t.TempDir()
	orig := compactedFlipFixture(t)
	defer heapWatchdog("TestFlipInlineBucketPage")()
	subs := map[string]bool{"keys": true, "records": true, "vectors": true, "order": true, "graph": true, "vblocks": true, "gblocks": true, "nodelog": true, "config": true}
	tried := map[string]int{}
	for _, ib := range inlineBuckets(t, orig) {
		for _, edit := range []struct {
			what  string
			at    int
			value uint16
		}{
			{"flags branch", 8, 0x01}, {"flags 0xfd", 8, 0xfd}, {"flags 0", 8, 0x00}, {"flags 0xff02", 8, 0xff02},
			{"count +0xff00", 10, binary.LittleEndian.Uint16(orig[ib.page+10:]) + 0xff00},
		} {
			damaged := bytes.Clone(orig)
			binary.LittleEndian.PutUint16(damaged[ib.page+edit.at:], edit.value)
			p := filepath.Join(dir, "flipped.db")
			if err := os.WriteFile(p, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			tried[ib.name]++
			openErr, errs := readAll(p, []string{"c", "d"}, flipFixtureKeys)
			if openErr != nil || (len(errs) > 0 && !subs[ib.name]) {
				continue // refused at open, or caught but not a collection's sub-bucket
			}
			if len(errs) == 0 {
				t.Errorf("inline bucket %q, %s at byte %d: every read succeeded", ib.name, edit.what, ib.page+edit.at)
				continue
			}
			// A collection's sub-bucket: every error is a CorruptError
			// naming it.
			for _, err := range errs {
				var ce *store.CorruptError
				if !errors.As(err, &ce) || ce.Bucket != ib.name {
					t.Errorf("inline bucket %q, %s at byte %d: %v, want a CorruptError naming %s", ib.name, edit.what, ib.page+edit.at, err, ib.name)
					break
				}
			}
		}
	}
	for _, name := range []string{"vblocks", "gblocks", "graph", "keys", "order"} {
		if tried[name] == 0 {
			t.Errorf("found no inline %s bucket in the fixture (inline: %v): the test checks less than it says", name, tried)
		}
	}
}
