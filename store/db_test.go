package store_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/store"
)

// lockHolderEnv makes the test binary, started as a child by
// TestOpenLockedByOtherProcess, open the named file, print "locked" and
// hold the lock until its stdin is closed.
const lockHolderEnv = "VECBOLT_STORE_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(lockHolderEnv); path != "" {
		db, err := store.Open(path, store.Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		_ = db.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestOpenCreatesAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.vecbolt")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path || db.ReadOnly() {
		t.Errorf("Path, ReadOnly = %q, %v", db.Path(), db.ReadOnly())
	}
	if n, err := db.Size(); err != nil || n <= 0 {
		t.Errorf("Size = %d, %v", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := db.Check(context.Background()); err != nil {
		t.Error(err)
	}
	_ = db.Close()
}

func TestOpenReadOnlyMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.vecbolt")
	_, err := store.Open(path, store.Options{ReadOnly: true})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if _, statErr := os.Stat(path); !errors.Is(statErr, fs.ErrNotExist) {
		t.Errorf("read-only Open created the file")
	}
}

func TestOpenLockedSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.vecbolt")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, opts := range []store.Options{
		{Timeout: 100 * time.Millisecond},
		{Timeout: -1},
		{ReadOnly: true, Timeout: 100 * time.Millisecond},
	} {
		db2, err := store.Open(path, opts)
		if err == nil {
			db2.Close()
			t.Fatalf("%+v: second Open succeeded", opts)
		}
		if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), path) {
			t.Errorf("%+v: err = %v, want ErrLocked naming the path", opts, err)
		}
	}
	// The default timeout (0 = 1s) also ends.
	if _, err := store.Open(path, store.Options{}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("default timeout: err = %v, want ErrLocked", err)
	}
	// After Close the lock is free.
	db.Close()
	db3, err := store.Open(path, store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	db3.Close()
}

func TestOpenLockedByOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "child.vecbolt")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	for _, ro := range []bool{false, true} {
		_, err = store.Open(path, store.Options{ReadOnly: ro, Timeout: 200 * time.Millisecond})
		if !errors.Is(err, store.ErrLocked) {
			t.Errorf("ReadOnly=%v: err = %v, want ErrLocked", ro, err)
		}
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.vecbolt")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.L2})
		if err != nil {
			return err
		}
		return c.Put(&store.Record{ID: 1, Key: "a", Vector: []float32{1, 2}})
	})
	db.Close()

	ro1, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro1.Close()
	ro2, err := store.Open(path, store.Options{ReadOnly: true}) // shared lock
	if err != nil {
		t.Fatal(err)
	}
	defer ro2.Close()
	if !ro1.ReadOnly() {
		t.Error("ReadOnly() = false")
	}
	mustView(t, ro2, func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		r, err := c.Get("a")
		if err != nil {
			return err
		}
		if r.Vector[1] != 2 {
			t.Errorf("vector = %v", r.Vector)
		}
		if err := c.Put(&store.Record{ID: 2, Key: "b", Vector: []float32{1, 2}}); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Put in read-only View: %v, want ErrReadOnly", err)
		}
		return nil
	})
	err = ro1.Update(func(tx *store.Tx) error {
		t.Error("Update ran fn on a read-only database")
		return nil
	})
	if !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Update: %v, want ErrReadOnly", err)
	}
	if err := ro1.Batch(func(*store.Tx) error { return nil }); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Batch: %v, want ErrReadOnly", err)
	}
	if err := ro1.Check(context.Background()); err != nil {
		t.Errorf("Check on read-only: %v", err)
	}
	// A read-write open waits for the readers.
	if _, err := store.Open(path, store.Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("read-write open beside readers: %v, want ErrLocked", err)
	}
}

func TestWriteInViewIsReadOnly(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		_, err := tx.CreateCollection("c", store.Config{Dim: 1, Metric: store.Dot})
		return err
	})
	mustView(t, db, func(tx *store.Tx) error {
		if tx.Writable() {
			t.Error("View tx is writable")
		}
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		checks := map[string]error{
			"CreateCollection": func() error { _, err := tx.CreateCollection("d", store.Config{Dim: 1, Metric: store.Dot}); return err }(),
			"DropCollection":   tx.DropCollection("c"),
			"Put":              c.Put(&store.Record{ID: 1, Key: "k", Vector: []float32{1}}),
			"Delete":           func() error { _, err := c.Delete("k"); return err }(),
			"PutNode":          c.PutNode(1, []byte{1}),
			"DeleteNode":       c.DeleteNode(1),
			"SetGraphMeta":     c.SetGraphMeta([]byte{1}),
		}
		for name, err := range checks {
			if !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("%s: %v, want ErrReadOnly", name, err)
			}
		}
		return nil
	})
}

func TestOpenNotVecbolt(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name  string
		setup func(path string) error
		want  error
	}{
		{"random bytes", func(p string) error { return os.WriteFile(p, random, 0o600) }, store.ErrNotVecbolt},
		{"short random", func(p string) error { return os.WriteFile(p, random[:100], 0o600) }, store.ErrNotVecbolt},
		{"zero length", func(p string) error { return os.WriteFile(p, nil, 0o600) }, store.ErrNotVecbolt},
		{"text file", func(p string) error {
			return os.WriteFile(p, []byte(strings.Repeat("the 0.418 0.24968 -0.41242\n", 500)), 0o600)
		}, store.ErrNotVecbolt},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }, store.ErrNotVecbolt},
		{"empty bbolt file", func(p string) error {
			b, err := bolt.Open(p, 0o600, nil)
			if err != nil {
				return err
			}
			return b.Close()
		}, store.ErrNotVecbolt},
		{"bbolt file with other buckets", func(p string) error {
			return rawUpdate(p, func(btx *bolt.Tx) error {
				b, err := btx.CreateBucket([]byte("widgets"))
				if err != nil {
					return err
				}
				return b.Put([]byte("k"), []byte("v"))
			})
		}, store.ErrNotVecbolt},
		{"wrong magic", func(p string) error {
			return rawUpdate(p, func(btx *bolt.Tx) error {
				b, err := btx.CreateBucket([]byte("vecbolt"))
				if err != nil {
					return err
				}
				return b.Put([]byte("magic"), []byte("something else"))
			})
		}, store.ErrNotVecbolt},
		{"version too new", func(p string) error {
			if err := createDB(p); err != nil {
				return err
			}
			return rawUpdate(p, func(btx *bolt.Tx) error { return setVersion(btx, store.FormatVersion+1, true) })
		}, store.ErrVersion},
		{"version from a newer format without a sealed copy", func(p string) error {
			if err := createDB(p); err != nil {
				return err
			}
			return rawUpdate(p, func(btx *bolt.Tx) error {
				if err := btx.Bucket([]byte("vecbolt")).Delete([]byte("versioncrc")); err != nil {
					return err
				}
				return setVersion(btx, store.FormatVersion+5, false)
			})
		}, store.ErrVersion},
		{"version field damaged upwards", func(p string) error {
			if err := createDB(p); err != nil {
				return err
			}
			return rawUpdate(p, func(btx *bolt.Tx) error { return setVersion(btx, store.FormatVersion|0x80, false) })
		}, store.ErrCorrupt},
		{"version field damaged to 1", func(p string) error {
			if err := createDB(p); err != nil {
				return err
			}
			return rawUpdate(p, func(btx *bolt.Tx) error { return setVersion(btx, 1, false) })
		}, store.ErrCorrupt},
		{"version field damaged to 0", func(p string) error {
			if err := createDB(p); err != nil {
				return err
			}
			return rawUpdate(p, func(btx *bolt.Tx) error { return setVersion(btx, 0, false) })
		}, store.ErrCorrupt},
		{"version checksum damaged", func(p string) error {
			if err := createDB(p); err != nil {
				return err
			}
			return rawUpdate(p, func(btx *bolt.Tx) error {
				return btx.Bucket([]byte("vecbolt")).Put([]byte("versioncrc"), []byte{0, 0, 0, 2, 1, 2, 3, 4})
			})
		}, store.ErrCorrupt},
		{"version missing", func(p string) error {
			if err := createDB(p); err != nil {
				return err
			}
			return rawUpdate(p, func(btx *bolt.Tx) error { return btx.Bucket([]byte("vecbolt")).Delete([]byte("version")) })
		}, store.ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := tc.setup(path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			for _, ro := range []bool{false, true} {
				db, err := store.Open(path, store.Options{ReadOnly: ro})
				if err == nil {
					db.Close()
					t.Fatalf("ReadOnly=%v: Open succeeded", ro)
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("ReadOnly=%v: err = %v, want %v", ro, err, tc.want)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("ReadOnly=%v: error %q does not name the path", ro, err)
				}
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Errorf("failed Open changed the file")
			}
		})
	}
}

func TestOpenVersionError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.vecbolt")
	if err := createDB(path); err != nil {
		t.Fatal(err)
	}
	if err := rawUpdate(path, func(btx *bolt.Tx) error { return setVersion(btx, 7, true) }); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(path, store.Options{})
	var ve *store.VersionError
	if !errors.As(err, &ve) || ve.Got != 7 || ve.Supported != store.FormatVersion {
		t.Fatalf("err = %v, want *VersionError{Got: 7, Supported: %d}", err, store.FormatVersion)
	}
	if msg := err.Error(); !strings.Contains(msg, "7") || !strings.Contains(msg, fmt.Sprint(store.FormatVersion)) {
		t.Errorf("message %q lacks both versions", msg)
	}
}

// TestOpenTruncated cuts a real database at many lengths: every Open must
// return (an error, or a database whose Check runs), never panic.
func TestOpenTruncated(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "full.vecbolt")
	db, err := store.Open(src, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillRandom(t, db, "c", 16, 1500)
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	full, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{1, 100, 4095, 4096, 8191, 8192, 3 * 4096, 5 * 4096, len(full) / 3, len(full) / 2, int(st.DataSize) - 4096, int(st.DataSize) - 1}
	for _, n := range sizes {
		if n <= 0 || n >= len(full) {
			continue
		}
		for _, ro := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d/ro=%v", n, ro), func(t *testing.T) {
				path := filepath.Join(dir, fmt.Sprintf("trunc-%d-%v", n, ro))
				if err := os.WriteFile(path, full[:n], 0o600); err != nil {
					t.Fatal(err)
				}
				db, err := store.Open(path, store.Options{ReadOnly: ro})
				if err == nil {
					db.Close()
					t.Fatalf("Open of a file cut to %d of %d bytes (data %d) succeeded", n, len(full), st.DataSize)
				}
				if !errors.Is(err, store.ErrNotVecbolt) && !errors.Is(err, store.ErrCorrupt) {
					t.Errorf("err = %v, want ErrNotVecbolt or ErrCorrupt", err)
				}
				// The failed open must not leave the file locked: repair
				// it and open it read-write without waiting.
				if err := os.WriteFile(path, full, 0o600); err != nil {
					t.Fatal(err)
				}
				db, err = store.Open(path, store.Options{Timeout: -1})
				if err != nil {
					t.Fatalf("open after repair: %v", err)
				}
				db.Close()
			})
		}
	}
}

// createDB creates an empty vecbolt file.
func createDB(path string) error {
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		return err
	}
	return db.Close()
}

// rawUpdate edits a file with bbolt directly, bypassing the store.
func rawUpdate(path string, fn func(*bolt.Tx) error) error {
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	if err := b.Update(fn); err != nil {
		b.Close()
		return err
	}
	return b.Close()
}

// fillRandom creates collection name (cosine) and puts n seeded random
// records with ids 0..n-1 and keys "k0".., in one transaction.
func fillRandom(t testing.TB, db *store.DB, name string, dim, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(dim), uint64(n)))
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection(name, store.Config{Dim: dim, Metric: store.Cosine, M: 16, EfConstruction: 200, Ef: 64})
		if err != nil {
			return err
		}
		for i := range n {
			r := &store.Record{ID: uint32(i), Key: fmt.Sprintf("k%d", i), Vector: randVec(rng, dim),
				Metadata: []byte(fmt.Sprintf(`{"i":%d}`, i))}
			if err := c.Put(r); err != nil {
				return err
			}
			if err := c.PutNode(uint32(i), []byte(fmt.Sprintf("node-%d", i))); err != nil {
				return err
			}
		}
		return c.SetGraphMeta([]byte("graph-meta"))
	})
}

// setVersion writes format version v into the root bucket, and with
// sealed also its checksummed copy, as a writer of that version would.
// Without sealed it imitates a damaged version field.
func setVersion(btx *bolt.Tx, v uint32, sealedCopy bool) error {
	root := btx.Bucket([]byte("vecbolt"))
	ver := binary.BigEndian.AppendUint32(nil, v)
	if sealedCopy {
		if err := root.Put([]byte("versioncrc"), sealed([]byte("versioncrc"), ver)); err != nil {
			return err
		}
	}
	return root.Put([]byte("version"), ver)
}
