package query_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// flipFixture writes a small database: two collections with records,
// metadata, a replaced and a deleted record, and persisted graphs. It ends
// with an empty commit, so both bbolt meta pages describe the same data
// (a damaged meta page then falls back to an identical state).
func flipFixture(t *testing.T, path string) {
	t.Helper()
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4, Metric: query.L2, M: 4, EfConstruction: 16})
	if err != nil {
		t.Fatal(err)
	}
	var recs []query.Record
	for i, v := range clustered(9, 24, 4) {
		var meta json.RawMessage
		if i%4 == 0 {
			meta = json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
		}
		recs = append(recs, query.Record{Key: fmt.Sprintf("k%d", i), Vector: v, Metadata: meta})
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ctx, "k3", []float32{1, 2, 3, 4}, json.RawMessage(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, "k5"); err != nil {
		t.Fatal(err)
	}
	d, err := db.CreateCollection(ctx, "d", query.CollectionConfig{Dim: 2, Metric: query.Cosine, M: 4, EfConstruction: 16})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		if err := d.Upsert(ctx, fmt.Sprintf("p%d", i), []float32{float32(i + 1), float32(7 - i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Store().Update(func(*store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// compactedFlipFixture returns the bytes of flipFixture's database
// compacted (compactedDB). The small collection's sub-buckets are inline
// in it.
func compactedFlipFixture(t *testing.T) []byte {
	t.Helper()
	return compactedDB(t, flipFixture)
}

// compactedDB returns the bytes of the database build writes at path,
// compacted: the smallest file holding the data, without bbolt's
// preallocated tail, so that a sweep over its bytes is short.
func compactedDB(t *testing.T, build func(t *testing.T, path string)) []byte {
	t.Helper()
	dir := t.TempDir()
	built := filepath.Join(dir, "built.db")
	build(t, built)
	compacted := filepath.Join(dir, "compacted.db")
	st, err := store.Open(built, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Compact(ctx, compacted); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(compacted)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dumpFile is the logical content of a database as the store hands it
// out: names, configs, every record and every graph node.
func dumpFile(path string) (string, error) {
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer st.Close()
	var b bytes.Buffer
	err = st.View(func(tx *store.Tx) error {
		names, err := tx.Collections()
		if err != nil {
			return err
		}
		for _, name := range names {
			c, err := tx.Collection(name)
			if err != nil {
				return err
			}
			gm, err := c.ReadGraphMeta()
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s %+v %d %d %x\n", name, c.Config(), c.Len(), c.NextSeq(), gm)
			if err := c.ForEach(func(r *store.Record) error {
				fmt.Fprintf(&b, "%d %q %v %v %d %s\n", r.ID, r.Key, r.Vector, r.Norm, r.Seq, r.Metadata)
				return nil
			}); err != nil {
				return err
			}
			if err := c.ForEachNode(func(id uint32, node []byte) error {
				fmt.Fprintf(&b, "node %d %x\n", id, node)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return b.String(), err
}

// TestEveryByteFlip flips each byte of a small database file that a reader
// reads, and a seeded eighth of the unused ones, in turn (every 61st byte
// under -short or -race). For every flip, opening, loading, searching,
// getting every key and visiting every record must not panic, and either
// Check reports the damage or the file's logical content is unchanged: no
// flip inside a record, a key entry or a graph node goes unnoticed.
func TestEveryByteFlip(t *testing.T) {
	dir := t.TempDir()
	orig := compactedFlipFixture(t)
	healthy := filepath.Join(dir, "healthy.db")
	if err := os.WriteFile(healthy, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := dumpFile(healthy)
	if err != nil {
		t.Fatal(err)
	}
	// Every byte bbolt or the store reads (usedBytes: page headers, meta,
	// freelist, element arrays, keys and values) is flipped; of the unused
	// rest (free pages, page tails), which can only be harmless, a seeded
	// eighth. Under -short or -race, every 61st byte.
	used := usedBytes(t, orig)
	rng := rand.New(rand.NewPCG(61, 8))
	var offs []int
	for off := range orig {
		switch {
		case testing.Short() || raceEnabled:
			if off%61 == 0 {
				offs = append(offs, off)
			}
		case used[off] || rng.IntN(8) == 0:
			offs = append(offs, off)
		}
	}
	path := filepath.Join(dir, "flipped.db")
	detected, harmless, unusedDetected := 0, 0, 0
	for _, off := range offs {
		damaged := bytes.Clone(orig)
		damaged[off] ^= 0xff
		if err := os.WriteFile(path, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		if flipDetected(t, path, off) {
			detected++
			if !used[off] {
				unusedDetected++
			}
			continue
		}
		got, err := dumpFile(path)
		if err != nil {
			t.Fatalf("byte %d: Check passed but reading the file fails: %v", off, err)
		}
		if got != want {
			t.Fatalf("byte %d (page %d, offset %d in it): content changed and Check passed:\n%s\nwant:\n%s", off, off/4096, off%4096, got, want)
		}
		harmless++
	}
	nUsed := 0
	for _, u := range used {
		if u {
			nUsed++
		}
	}
	t.Logf("%d bytes (%d pages, %d of them read), %d flips: %d detected (%d outside the bytes read), %d harmless (unused space)", len(orig), len(orig)/4096, nUsed, detected+harmless, detected, unusedDetected, harmless)
}

// usedBytes marks the bytes of a bbolt file that are read: every page's
// 16-byte header (id, flags, count, overflow); a meta page's 64 bytes; a
// freelist's ids; a branch or leaf page's element array and the keys and
// values it points at (inline buckets included, as values). What is left
// is space no reader looks at: free pages' stale bytes and the tails of
// pages. It follows bbolt's page layout (go.etcd.io/bbolt's page.go) and
// fails the test on a layout it does not recognise.
func usedBytes(t *testing.T, f []byte) []bool {
	t.Helper()
	used := make([]bool, len(f))
	mark := func(from, n int) {
		for i := max(from, 0); i < min(from+n, len(f)); i++ {
			used[i] = true
		}
	}
	const hdr, elem = 16, 16
	u16 := func(at int) int { return int(binary.LittleEndian.Uint16(f[at:])) }
	u32 := func(at int) int { return int(binary.LittleEndian.Uint32(f[at:])) }
	ps := u32(hdr + 8) // meta page 0: magic, version, page size
	if ps < 1024 || ps > 1<<16 || len(f)%ps != 0 {
		t.Fatalf("page size %d for a file of %d bytes", ps, len(f))
	}
	leaves := 0
	for p := 0; p*ps < len(f); {
		at := p * ps
		flags, count, overflow := u16(at+8), u16(at+10), u32(at+12)
		mark(at, hdr)
		switch flags {
		case 0x04: // meta
			mark(at+hdr, 64)
		case 0x10: // freelist
			n, ids := count, at+hdr
			if count == 0xffff {
				n, ids = int(binary.LittleEndian.Uint64(f[at+hdr:])), at+hdr+8
			}
			mark(at+hdr, ids-at-hdr+8*n)
		case 0x01, 0x02: // branch, leaf
			mark(at+hdr, count*elem)
			for i := range count {
				e := at + hdr + i*elem
				if flags == 0x01 {
					mark(e+u32(e), u32(e+4)) // pos, ksize, pgid
				} else {
					mark(e+u32(e+4), u32(e+8)+u32(e+12)) // flags, pos, ksize, vsize
					leaves++
				}
			}
		}
		p += 1 + overflow
	}
	if leaves == 0 {
		t.Fatal("no leaf element found: not bbolt's page layout")
	}
	return used
}

// flipDetected opens path, loads and searches every collection, gets
// every key, visits every record and runs Check, failing the test on a
// panic; it reports whether any step returned an error.
func flipDetected(t *testing.T, path string, off int) (found bool) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("byte %d: panic: %v\n%s", off, r, debug.Stack())
		}
	}()
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		return true
	}
	defer db.Close()
	if raceEnabled && db.Check(ctx) != nil {
		// bbolt reads a page's elements through unsafe.Slice without
		// checking its count: on a damaged page the race detector's
		// checkptr turns that read into a fatal error that recover
		// cannot catch (without -race the load reports it). Check walks
		// the pages safely first, so under -race load only files it
		// passes. See the caveat in store/doc.go.
		return true
	}
	for _, name := range []string{"c", "d"} {
		c, err := db.Collection(ctx, name)
		if err != nil {
			found = true
			continue
		}
		q := make([]float32, c.Config().Dim)
		q[0] = 1
		if _, err := c.Search(ctx, q, 3, query.SearchOptions{}); err != nil {
			found = true
		}
	}
	// Reads that go below what the load reads: every key, every record.
	for _, name := range []string{"c", "d"} {
		for _, k := range flipFixtureKeys[name] { // flip_inline_test.go
			if _, err := db.Get(ctx, name, k); err != nil {
				found = true
			}
		}
		if err := db.ForEach(ctx, name, func(query.Record) error { return nil }); err != nil {
			found = true
		}
	}
	return db.Check(ctx) != nil || found
}
