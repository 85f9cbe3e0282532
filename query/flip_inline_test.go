package query_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// TestFlipInlineBucketPage: a damaged page flag of an inline bucket (the
// small collection's gblocks/ and graph/ are inline after compact) is an
// error naming the bucket, not an endless descent. Before the check,
// bbolt's Cursor.Last read the page as a branch page, followed its element
// to page id 0, which an inline bucket answers with the same page, and
// grew its stack until memory ran out (17 GB in the every-byte test): a
// watchdog fails the test at 1 GiB of heap instead.
func TestFlipInlineBucketPage(t *testing.T) {
	dir := t.TempDir()
	built := filepath.Join(dir, "built.db")
	flipFixture(t, built)
	healthy := filepath.Join(dir, "healthy.db")
	st, err := store.Open(built, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Compact(ctx, healthy); err != nil {
		t.Fatal(err)
	}
	st.Close()
	orig, err := os.ReadFile(healthy)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
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
				panic("TestFlipInlineBucketPage: heap over 1 GiB: an open follows a damaged inline page without end")
			}
		}
	}()
	// A bucket's value is its 16-byte header (root page id, sequence) and,
	// when the root is 0 (inline), the page: id (8 bytes), flags (2), ...
	tried := 0
	for _, name := range []string{"gblocks", "graph"} {
		for from := 0; ; {
			i := bytes.Index(orig[from:], []byte(name))
			if i < 0 {
				break
			}
			at := from + i + len(name)
			from = at
			if at+16+10 > len(orig) || binary.LittleEndian.Uint64(orig[at:]) != 0 || binary.LittleEndian.Uint16(orig[at+24:]) != 0x02 {
				continue // not an inline bucket's header and leaf page
			}
			for _, flags := range []uint16{0x01, 0xfd, 0x00} {
				damaged := bytes.Clone(orig)
				binary.LittleEndian.PutUint16(damaged[at+24:], flags)
				p := filepath.Join(dir, "flipped.db")
				if err := os.WriteFile(p, damaged, 0o600); err != nil {
					t.Fatal(err)
				}
				tried++
				db, err := query.Open(p, query.Options{ReadOnly: true})
				if err != nil {
					continue // refused at open: fine
				}
				// The fixture holds collections c and d; the damaged page
				// belongs to one of them.
				found := false
				var errs []error
				for _, col := range []string{"c", "d"} {
					_, err := db.Collection(ctx, col)
					errs = append(errs, err)
					var ce *store.CorruptError
					if errors.As(err, &ce) && errors.Is(err, store.ErrCorrupt) && ce.Bucket == name && ce.Collection == col {
						found = true
					}
				}
				db.Close()
				if !found {
					t.Errorf("%s inline page flags %#x at byte %d: collections c and d gave %v, want a CorruptError naming %s", name, flags, at+24, errs, name)
				}
			}
		}
	}
	if tried == 0 {
		t.Fatal("found no inline gblocks or graph bucket in the fixture: the test checks nothing")
	}
}
