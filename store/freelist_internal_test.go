package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fillFreelistTest writes n records of dimension 16 into collection name,
// 500 per transaction.
func fillFreelistTest(t *testing.T, db *DB, name string, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	if err := db.Update(func(tx *Tx) error {
		_, err := tx.CreateCollection(name, Config{Dim: 16, Metric: L2})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for from := 0; from < n; from += 500 {
		if err := db.Update(func(tx *Tx) error {
			c, err := tx.Collection(name)
			if err != nil {
				return err
			}
			for i := from; i < min(from+500, n); i++ {
				v := make([]float32, 16)
				for j := range v {
					v[j] = r.Float32() + 0.5
				}
				if err := c.Put(&Record{ID: uint32(i), Key: "k" + strconv.Itoa(i), Vector: v}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// uncleanCopy returns the bytes of the file behind an open handle, as a
// crash after its last commit would leave them.
func uncleanCopy(t *testing.T, db *DB) []byte {
	t.Helper()
	b, err := os.ReadFile(db.path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes b to a new file in dir and returns its path.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// freePages returns bbolt's count of free pages of a read-write handle,
// with those freed by the last commit (pending until the next begins).
func freePages(db *DB) int { st := db.bolt.Stats(); return st.FreePageN + st.PendingPageN }

// TestUnsyncedFreelist follows the default freelist through a file's life:
// commits do not write it, Close does, a clean reopen reads it, and a file
// left by a crash rebuilds the same list by walking its pages.
func TestUnsyncedFreelist(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillFreelistTest(t, db, "a", 3000)
	fillFreelistTest(t, db, "b", 3000)
	// Dropping a collection frees its pages.
	if err := db.Update(func(tx *Tx) error { return tx.DropCollection("a") }); err != nil {
		t.Fatal(err)
	}
	fillFreelistTest(t, db, "d", 10) // the drop's pages are free once a later write begins
	if synced, ok := metaFreelistSynced(path); !ok || synced {
		t.Fatalf("after commits of an open handle: freelist synced = %v (ok %v), want not written", synced, ok)
	}
	crashed := writeFile(t, dir, "crashed.db", uncleanCopy(t, db))
	free := freePages(db)
	if free < 50 {
		t.Fatalf("only %d free pages after dropping a collection", free)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if synced, ok := metaFreelistSynced(path); !ok || !synced {
		t.Fatalf("after Close: freelist synced = %v (ok %v), want written", synced, ok)
	}

	// Both files open read-write, with the same free pages (the crashed
	// one's rebuilt by the walk), pass Check and take writes.
	for _, p := range []string{path, crashed} {
		db, err := Open(p, Options{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		// Close's commit moved a page or two (the freelist's own).
		if got := freePages(db); got < free-3 || got > free+3 {
			t.Errorf("%s: %d free pages, want about %d", filepath.Base(p), got, free)
		}
		fillFreelistTest(t, db, "c", 600)
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// Close twice is harmless; a read-only handle writes nothing at Close.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); string(before) != string(after) {
		t.Error("closing a read-only handle changed the file")
	}
}

// TestUnsyncedCommitBytes counts the bytes bbolt allocates per one-key
// commit in a file with many free pages: the synced freelist writes 8
// bytes per free page on every commit, the unsynced one none.
func TestUnsyncedCommitBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillFreelistTest(t, db, "big", 20000)
	if err := db.Update(func(tx *Tx) error { return tx.DropCollection("big") }); err != nil {
		t.Fatal(err)
	}
	fillFreelistTest(t, db, "small", 10) // the drop's pages are free once a later write begins
	free := freePages(db)
	db.Close()
	const pageSize = 4096
	// A freelist of free ids at 8 bytes each, beyond its first page.
	freelistPages := (16 + 8*free + pageSize - 1) / pageSize
	if freelistPages < 3 {
		t.Fatalf("only %d free pages: the test needs a freelist of several pages", free)
	}
	probe := func(fl Freelist) CommitProbe {
		p, err := ProbeCommits(ctx, path, Options{NoSync: true, Freelist: fl}, 20, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	synced, unsynced := probe(FreelistSynced), probe(FreelistDefault)
	perCommit := func(p CommitProbe) int64 { return p.PageBytes / int64(p.Commits) }
	if got, want := perCommit(synced), int64(freelistPages*pageSize); got < want {
		t.Errorf("synced freelist: %d bytes per commit, want at least the freelist's %d", got, want)
	}
	// Unsynced: the leaf page, the root bucket's page and a meta page.
	if got := perCommit(unsynced); got > 4*pageSize {
		t.Errorf("unsynced freelist: %d bytes per commit with %d free pages, want at most %d", got, free, 4*pageSize)
	}
}

// TestOpenUncleanDamaged opens files left by a crash (no freelist on disk)
// and then damaged: bbolt would walk every page to rebuild the freelist,
// in a goroutine where a bad page ends the process. Open must return
// ErrCorrupt (or ErrNotVecbolt) instead, and leave the file unlocked.
func TestOpenUncleanDamaged(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "src.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillFreelistTest(t, db, "c", 4000)
	img := uncleanCopy(t, db)
	// A reachable branch page (a large bucket's root), a reachable leaf
	// page (a small bucket's root, not inline), the root bucket's page,
	// and the size of the data.
	var root, size uint64
	branch, leaf := -1, -1
	if err := db.View(func(tx *Tx) error {
		root, size = uint64(tx.btx.Bucket(rootBucket).Root()), uint64(tx.btx.Size())
		var visit func(b *bolt.Bucket)
		visit = func(b *bolt.Bucket) {
			if id := b.Root(); id != 0 {
				switch typ, err := tx.btx.Page(int(id)); {
				case err != nil || typ == nil:
				case typ.Type == "branch" && branch < 0:
					branch = int(id)
				case typ.Type == "leaf" && leaf < 0 && uint64(id) != root:
					leaf = int(id)
				}
			}
			_ = b.ForEachBucket(func(k []byte) error {
				visit(b.Bucket(k))
				return nil
			})
		}
		visit(tx.btx.Bucket(rootBucket))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	const pageSize = 4096
	if branch < 0 || leaf < 0 {
		t.Fatalf("no branch (%d) or leaf (%d) page", branch, leaf)
	}
	le := binary.LittleEndian
	cases := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"branch child id beyond the file", func(b []byte) []byte {
			le.PutUint64(b[branch*pageSize+pageHeaderSize+8:], 1<<40)
			return b
		}},
		{"branch child id of a meta page", func(b []byte) []byte {
			le.PutUint64(b[branch*pageSize+pageHeaderSize+8:], 1)
			return b
		}},
		{"branch element count", func(b []byte) []byte {
			le.PutUint16(b[branch*pageSize+10:], 0xFFF0)
			return b
		}},
		{"leaf value size", func(b []byte) []byte {
			le.PutUint32(b[leaf*pageSize+pageHeaderSize+12:], 1<<30)
			return b
		}},
		{"page id", func(b []byte) []byte {
			le.PutUint64(b[leaf*pageSize:], 7)
			return b
		}},
		{"root bucket page", func(b []byte) []byte {
			le.PutUint16(b[int(root)*pageSize+8:], 0x40)
			return b
		}},
	}
	for _, n := range []int{3 * pageSize, int(size) / 2, int(size) - pageSize} {
		n := n
		cases = append(cases, struct {
			name   string
			damage func(b []byte) []byte
		}{fmt.Sprintf("cut to %d bytes", n), func(b []byte) []byte { return b[:n] }})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "bad.db", tc.damage(append([]byte(nil), img...)))
			db, err := Open(p, Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open of a damaged unclean file succeeded")
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotVecbolt) {
				t.Fatalf("err = %v, want ErrCorrupt or ErrNotVecbolt", err)
			}
			// Not locked: a read-only open right after does not wait.
			if ro, err := Open(p, Options{ReadOnly: true, Timeout: -1}); err == nil {
				ro.Close()
			} else if errors.Is(err, ErrLocked) {
				t.Errorf("the failed Open left the file locked: %v", err)
			}
		})
	}
	// The undamaged image opens.
	p := writeFile(t, dir, "good.db", img)
	good, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Check(context.Background()); err != nil {
		t.Error(err)
	}
	good.Close()
}

// TestValidateUnclosedLocked: the walk before a read-write open of an
// unclean file waits for the lock like Open does, and says ErrLocked.
func TestValidateUnclosedLocked(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "src.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillFreelistTest(t, db, "c", 100)
	p := writeFile(t, dir, "unclean.db", uncleanCopy(t, db))
	db.Close()
	holder, err := bolt.Open(p, 0o600, &bolt.Options{NoFreelistSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := Open(p, Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("Open of a locked unclean file = %v, want ErrLocked", err)
	}
}

// TestCloseWithoutCommits: a read-write handle that commits nothing leaves
// the file byte for byte as it was, freelist included.
func TestCloseWithoutCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillFreelistTest(t, db, "c", 100)
	db.Close()
	before, _ := os.ReadFile(path)
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if after, _ := os.ReadFile(path); string(before) != string(after) {
		t.Error("a read-write handle without commits changed the file at Close")
	}
}

// TestUpgradeUnclean: Upgrade of a current-format file that a crash left
// without a freelist leaves it byte for byte as it was (bbolt writes a
// freelist at a synced open; Upgrade's open does not).
func TestUpgradeUnclean(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "src.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillFreelistTest(t, db, "c", 300)
	img := uncleanCopy(t, db)
	db.Close()
	p := writeFile(t, dir, "unclean.db", img)
	from, err := Upgrade(context.Background(), p, time.Second)
	if err != nil || from != FormatVersion {
		t.Fatalf("Upgrade = %d, %v; want %d", from, err, FormatVersion)
	}
	if now, _ := os.ReadFile(p); string(now) != string(img) {
		t.Error("Upgrade of a current-format file changed it")
	}
	// Damaged too: refused, not a crash.
	// The root bucket page of the newer meta page claims another id.
	le, meta := binary.LittleEndian, 0
	if le.Uint64(img[4096+metaTxidOffset:]) > le.Uint64(img[metaTxidOffset:]) {
		meta = 4096
	}
	bad := append([]byte(nil), img...)
	le.PutUint64(bad[int(le.Uint64(img[meta+pageHeaderSize+16:]))*4096:], 3)
	p = writeFile(t, dir, "bad.db", bad)
	if _, err := Upgrade(context.Background(), p, time.Second); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Upgrade of a damaged unclean file = %v, want ErrCorrupt", err)
	}
}
