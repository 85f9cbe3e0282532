package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

func TestBackupAndCopyFile(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "src.vecbolt"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillRandom(t, db, "c", 8, 200)
	want := takeSnapshot(t, db, "c")

	var buf bytes.Buffer
	n, err := db.Backup(context.Background(), &buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	fromBuf := filepath.Join(dir, "buf.vecbolt")
	if err := os.WriteFile(fromBuf, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(dir, "copy.vecbolt")
	if err := db.CopyFile(context.Background(), copied); err != nil {
		t.Fatal(err)
	}
	if err := db.CopyFile(context.Background(), copied); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CopyFile over an existing file: %v, want fs.ErrExist", err)
	}
	for _, p := range []string{fromBuf, copied} {
		b, err := store.Open(p, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := takeSnapshot(t, b, "c"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: data differs from the original", p)
		}
		if err := b.Check(context.Background()); err != nil {
			t.Error(err)
		}
		b.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Backup(ctx, &buf); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup with cancelled ctx: %v", err)
	}
	if err := db.CopyFile(ctx, filepath.Join(dir, "cancelled.vecbolt")); !errors.Is(err, context.Canceled) {
		t.Errorf("CopyFile with cancelled ctx: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cancelled.vecbolt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cancelled CopyFile left a file")
	}
	assertNoTempFiles(t, dir)
}

func TestCompact(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.vecbolt")
	db, err := store.Open(src, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillRandom(t, db, "c", 32, 2000)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		for i := 0; i < 2000; i += 2 {
			if _, err := c.Delete(fmt.Sprintf("k%d", i)); err != nil {
				return err
			}
			if err := c.DeleteNode(uint32(i)); err != nil {
				return err
			}
		}
		return nil
	})
	want := takeSnapshot(t, db, "c")
	srcBytes, _ := os.ReadFile(src)

	dst := filepath.Join(dir, "compact.vecbolt")
	if err := db.Compact(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(src); !bytes.Equal(after, srcBytes) {
		t.Error("Compact changed the source file")
	}
	srcSize, _ := db.Size()
	info, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > srcSize {
		t.Errorf("compacted file %d bytes, source %d", info.Size(), srcSize)
	}
	c, err := store.Open(dst, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := takeSnapshot(t, c, "c"); !reflect.DeepEqual(got, want) {
		t.Error("compacted data differs")
	}
	if err := c.Check(context.Background()); err != nil {
		t.Error(err)
	}
	c.Close()

	for name, target := range map[string]string{"exists": dst, "itself": src} {
		if err := db.Compact(context.Background(), target); err == nil {
			t.Errorf("%s: Compact succeeded", name)
		}
	}
	if err := db.Compact(context.Background(), filepath.Join(dir, "no/such/dir/x.vecbolt")); err == nil {
		t.Error("Compact into a missing directory succeeded")
	}
	if after, _ := os.ReadFile(src); !bytes.Equal(after, srcBytes) {
		t.Error("failed Compacts changed the source file")
	}
	assertNoTempFiles(t, dir)
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left: %q", matches)
	}
}

func TestStats(t *testing.T) {
	db := openTemp(t)
	fillRandom(t, db, "a", 4, 50)
	fillRandom(t, db, "b", 8, 7)
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.FileSize <= 0 || st.DataSize <= 0 || st.DataSize > st.FileSize || st.PageSize <= 0 || st.FormatVersion != store.FormatVersion {
		t.Errorf("file stats %+v", st)
	}
	if len(st.Collections) != 2 {
		t.Fatalf("%d collections", len(st.Collections))
	}
	for i, want := range []struct {
		name string
		dim  int
		n    int
	}{{"a", 4, 50}, {"b", 8, 7}} {
		cs := st.Collections[i]
		if cs.Name != want.name || cs.Config.Dim != want.dim || cs.Len != want.n || cs.Nodes != want.n || cs.NextSeq != uint64(want.n+1) {
			t.Errorf("collection stats %+v", cs)
		}
		for _, b := range []string{"keys", "records", "order"} {
			if cs.Buckets[b].Keys != want.n {
				t.Errorf("%s/%s: %d keys, want %d", cs.Name, b, cs.Buckets[b].Keys, want.n)
			}
		}
		// Vectors and nodes: in blocks or deltas (16 or more ids written
		// in one transaction fill a block), nodes also in the node log.
		if v := cs.Buckets["vectors"].InuseBytes + cs.Buckets["vblocks"].InuseBytes; v < 4*want.dim*want.n {
			t.Errorf("%s: vectors use %d bytes, less than the data", cs.Name, v)
		}
		if cs.Buckets["vectors"].Keys+cs.Buckets["vblocks"].Keys == 0 || cs.Buckets["graph"].Keys+cs.Buckets["gblocks"].Keys+cs.Buckets["nodelog"].Keys == 0 {
			t.Errorf("%s: no vectors or no graph stored: %+v", cs.Name, cs.Buckets)
		}
	}
}
