package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// mVector is the vector of key at version ver, derivable by any reader.
func mVector(key string, ver int, dim int) []float32 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 1099511628211
	}
	r := rand.New(rand.NewPCG(h, uint64(ver)))
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func mMeta(ver int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"v":%d}`, ver)) }

// fillDB writes n records k0..k(n-1) at version 0 to collection "default"
// (l2, so vectors come back bit-exact).
func fillDB(t *testing.T, db *query.DB, n, dim int) *query.Collection {
	t.Helper()
	c, err := db.CreateCollection(context.Background(), "default", query.CollectionConfig{Dim: dim, Metric: query.L2, M: 8, EfConstruction: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < n; lo += 500 {
		var recs []query.Record
		for i := lo; i < min(n, lo+500); i++ {
			k := fmt.Sprintf("k%d", i)
			recs = append(recs, query.Record{Key: k, Vector: mVector(k, 0, dim), Metadata: mMeta(0)})
		}
		if err := c.UpsertBatch(context.Background(), recs, query.BatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// consistent checks every record of the file at path: its vector is the
// one its metadata's version gives, and Check passes. It returns the count.
func consistent(t *testing.T, path string, dim int) int {
	t.Helper()
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c, err := db.Collection(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = c.ForEach(context.Background(), func(r query.Record) error {
		var m struct{ V int }
		if err := json.Unmarshal(r.Metadata, &m); err != nil {
			return err
		}
		want := mVector(r.Key, m.V, dim)
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(r.Vector[i]) {
				return fmt.Errorf("record %s: vector is not version %d's: a torn write", r.Key, m.V)
			}
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackupWhileWriting takes hot backups of a database that another
// goroutine keeps writing to; each must open, pass Check and hold a
// consistent state.
func TestBackupWhileWriting(t *testing.T) {
	const dim = 8
	dir := t.TempDir()
	db, err := query.Open(filepath.Join(dir, "live.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := fillDB(t, db, 300, dim)

	var stop atomic.Bool
	var writes atomic.Int64
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(3, 3))
		next := 300
		for ver := 1; !stop.Load(); ver++ {
			k := fmt.Sprintf("k%d", r.IntN(next))
			var err error
			switch r.IntN(3) {
			case 0:
				k = fmt.Sprintf("k%d", next)
				next++
				err = c.Upsert(context.Background(), k, mVector(k, ver, dim), mMeta(ver))
			case 1:
				if c.Has(k) {
					_, err = c.Delete(context.Background(), k)
				}
			default:
				err = c.Upsert(context.Background(), k, mVector(k, ver, dim), mMeta(ver))
			}
			if err != nil {
				werr = err
				return
			}
			writes.Add(1)
		}
	}()
	for i := range 3 {
		dest := filepath.Join(dir, fmt.Sprintf("backup%d.db", i))
		n, err := backupDB(context.Background(), db, dest, true, false, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Error("empty backup")
		}
		records := consistent(t, dest, dim)
		t.Logf("backup %d: %d bytes, %d records, %d writes so far", i, n, records, writes.Load())
	}
	stop.Store(true)
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	if _, err := backupDB(context.Background(), db, filepath.Join(dir, "backup0.db"), false, false, io.Discard); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	assertNoTemps(t, dir)
}

func TestBackupCommand(t *testing.T) {
	path := tempDB(t)
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillDB(t, db, 50, 4)
	db.Close()
	dest := filepath.Join(filepath.Dir(path), "copy.db")
	out := ok(t, "--db", path, "backup", dest)
	if !strings.HasPrefix(out, "backed up "+path+" to "+dest) || !strings.Contains(out, "checked") {
		t.Errorf("output: %q", out)
	}
	if n := consistent(t, dest, 4); n != 50 {
		t.Errorf("backup holds %d records, want 50", n)
	}
	fails(t, exitUsage, []string{"--db", path, "backup", dest}, "already exists")
	fails(t, exitNotFound, []string{"--db", path + ".missing", "backup", dest + "2"}, "does not exist")
}

// snapshot returns the answers of a few searches (graph and exact).
func snapshot(t *testing.T, path string, dim int) [][]query.Result {
	t.Helper()
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Collection(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]query.Result
	for i := range 20 {
		q := mVector("query", i, dim)
		for _, exact := range []bool{false, true} {
			res, err := c.Search(context.Background(), q, 10, query.SearchOptions{Exact: exact, WithMetadata: true})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res)
		}
	}
	return out
}

func TestCompactShrinksAndKeepsAnswers(t *testing.T) {
	const dim = 16
	path := tempDB(t)
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c := fillDB(t, db, 3000, dim)
	var del []string
	for i := 0; i < 3000; i++ {
		if i%10 != 0 {
			del = append(del, fmt.Sprintf("k%d", i))
		}
	}
	if _, err := c.Delete(context.Background(), del...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := snapshot(t, path, dim)
	before := fileSize(path)

	// --output leaves the database alone.
	orig, _ := os.ReadFile(path)
	small := filepath.Join(filepath.Dir(path), "small.db")
	out := ok(t, "--db", path, "compact", "--output", small)
	if !strings.Contains(out, "into "+small) {
		t.Errorf("output: %q", out)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, orig) {
		t.Error("compact --output changed the database")
	}

	out = ok(t, "--db", path, "compact")
	after := fileSize(path)
	t.Logf("%s", out)
	if !strings.HasPrefix(out, "compacted "+path+": "+humanBytes(before)+" -> "+humanBytes(after)) {
		t.Errorf("output: %q", out)
	}
	if after*2 > before {
		t.Errorf("compacting after deleting 90%%: %d -> %d bytes", before, after)
	}
	if fileSize(small) != after {
		t.Errorf("--output copy is %d bytes, in-place %d", fileSize(small), after)
	}
	if n := consistent(t, path, dim); n != 300 {
		t.Errorf("%d records after compaction, want 300", n)
	}
	if got := snapshot(t, path, dim); !reflect.DeepEqual(got, want) {
		t.Error("searches answer differently after compaction")
	}
	if !strings.HasPrefix(ok(t, "--db", path, "check"), "ok: ") {
		t.Error("check after compaction")
	}
	assertNoTemps(t, filepath.Dir(path))
}

func TestCompactFailureLeavesSource(t *testing.T) {
	const dim = 32
	dir := t.TempDir()
	path := filepath.Join(dir, "src.db")
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillDB(t, db, 1500, dim)
	db.Close()
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	intact := func() {
		t.Helper()
		if now, _ := os.ReadFile(path); !bytes.Equal(now, orig) {
			t.Fatal("the source database changed")
		}
		if n := consistent(t, path, dim); n != 1500 {
			t.Fatalf("source holds %d records", n)
		}
		assertNoTemps(t, dir)
	}

	r := vecbolt(t, "", "--db", path, "compact", "--output", filepath.Join(dir, "no", "such", "dir.db"))
	if r.code != exitNotFound || !strings.Contains(r.stderr, "directory "+filepath.Join(dir, "no", "such")+" does not exist") {
		t.Errorf("compact into a missing directory: exit %d, %s", r.code, r.stderr)
	}
	intact()
	if err := os.WriteFile(filepath.Join(dir, "taken.db"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fails(t, exitUsage, []string{"--db", path, "compact", "--output", filepath.Join(dir, "taken.db")}, "already exists")
	intact()

	// A destination file system too small for the copy, and the database
	// itself on a file system with no room for its compacted twin.
	full := t.TempDir()
	if err := mountTmpfs(full, len(orig)/4); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v", err)
	}
	defer unmountTmpfs(full)
	r = vecbolt(t, "", "--db", path, "compact", "--output", filepath.Join(full, "out.db"))
	if r.code == 0 || !strings.Contains(r.stderr, "no space left on device") {
		t.Errorf("compact onto a full file system: exit %d, %s", r.code, r.stderr)
	}
	intact()
	if ents, _ := os.ReadDir(full); len(ents) != 0 {
		t.Errorf("left %d files on the full file system", len(ents))
	}

	// Room for the database and half its compacted twin (how much
	// compaction saves depends on the file's free pages).
	probe := filepath.Join(dir, "probe.db")
	ok(t, "--db", path, "compact", "--output", probe)
	pfi, err := os.Stat(probe)
	if err != nil {
		t.Fatal(err)
	}
	tight := t.TempDir()
	if err := mountTmpfs(tight, len(orig)+int(pfi.Size())/2); err != nil {
		t.Fatal(err)
	}
	defer unmountTmpfs(tight)
	inTight := filepath.Join(tight, "db.db")
	if err := os.WriteFile(inTight, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	r = vecbolt(t, "", "--db", inTight, "compact")
	if r.code == 0 || !strings.Contains(r.stderr, "no space left on device") || !strings.Contains(r.stderr, "unchanged") {
		t.Errorf("in-place compact without room: exit %d, %s", r.code, r.stderr)
	}
	if now, _ := os.ReadFile(inTight); !bytes.Equal(now, orig) {
		t.Error("failed in-place compact changed the database")
	}
	if ents, _ := os.ReadDir(tight); len(ents) != 1 {
		t.Errorf("failed in-place compact left %d files", len(ents))
	}
}

func TestCheckCommand(t *testing.T) {
	path := tempDB(t)
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillDB(t, db, 200, 4)
	db.Close()
	healthy, _ := os.ReadFile(path)
	out := ok(t, "--db", path, "check")
	if !strings.HasPrefix(out, "ok: "+path) || !strings.Contains(out, "1 collection(s), 200 record(s)") {
		t.Errorf("output: %q", out)
	}

	damage := []struct {
		name string
		fn   func(sc *store.Collection) error
		want string
	}{
		{"graph node removed", func(sc *store.Collection) error { return sc.DeleteNode(7) }, `"k7" has no graph node`},
		{"self-loop", func(sc *store.Collection) error { return sc.PutNode(9, []byte{0, 1, 0, 9, 0, 0, 0}) }, "self-loop"},
		{"link to a missing node", func(sc *store.Collection) error { return sc.PutNode(9, []byte{0, 1, 0, 0x39, 0x30, 0, 0}) }, "link to 12345"},
		{"record gone, node stays", func(sc *store.Collection) error { _, err := sc.Delete("k11"); return err }, "has no record"},
	}
	for _, d := range damage {
		t.Run(d.name, func(t *testing.T) {
			if err := os.WriteFile(path, healthy, 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = st.Update(func(tx *store.Tx) error {
				sc, err := tx.Collection("default")
				if err != nil {
					return err
				}
				return d.fn(sc)
			})
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			r := fails(t, exitDatabase, []string{"--db", path, "check"}, "check "+path+": failed")
			if !strings.Contains(r.stdout, "problem(s):") || !strings.Contains(r.stdout, d.want) {
				t.Errorf("report lacks %q:\n%s", d.want, r.stdout)
			}
		})
	}

	t.Run("not a database", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "junk.db")
		if err := os.WriteFile(bad, bytes.Repeat([]byte("junk"), 4096), 0o600); err != nil {
			t.Fatal(err)
		}
		r := fails(t, exitDatabase, []string{"--db", bad, "check"}, "cannot be opened")
		if !strings.Contains(r.stdout, "not a vecbolt database") {
			t.Errorf("stdout: %s", r.stdout)
		}
	})
}

// assertNoTemps fails if dir holds a maintenance temporary file.
func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
