package query_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// TestEveryByteFlip flips each byte of a small database file in turn (every
// 61st under -short or -race). For every flip, opening, loading and
// searching must not panic, and either Check reports the damage or the
// file's logical content is unchanged: no flip inside a record, a key
// entry or a graph node goes unnoticed.
func TestEveryByteFlip(t *testing.T) {
	dir := t.TempDir()
	built := filepath.Join(dir, "built.db")
	flipFixture(t, built)
	// Compact: the smallest file holding the data, without bbolt's
	// preallocated tail, so that the sweep is short.
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
	want, err := dumpFile(healthy)
	if err != nil {
		t.Fatal(err)
	}
	step := 1
	if testing.Short() || raceEnabled {
		step = 61
	}
	path := filepath.Join(dir, "flipped.db")
	detected, harmless := 0, 0
	for off := 0; off < len(orig); off += step {
		damaged := bytes.Clone(orig)
		damaged[off] ^= 0xff
		if err := os.WriteFile(path, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		if flipDetected(t, path, off) {
			detected++
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
	t.Logf("%d bytes (%d pages), %d flips: %d detected, %d harmless (unused space)", len(orig), len(orig)/4096, detected+harmless, detected, harmless)
}

// flipDetected opens path, loads and searches every collection and runs
// Check, failing the test on a panic; it reports whether any step
// returned an error.
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
	return db.Check(ctx) != nil || found
}
