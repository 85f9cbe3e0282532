package query_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// The corruption tests damage a copy of a healthy database in one way each,
// by raw bbolt writes below the store's API (a test may; the package never
// does), and check that opening it gives an error or that Check reports the
// damage: never a panic, never a clean bill of health.

const corruptDim = 8

// corruptFixture builds a healthy database: collection "c" (cosine, 300
// records k0..k299 with ids 0..299, then k10..k39 deleted, so ids 10..39
// are free slots) and returns its path.
func corruptFixture(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "healthy.db")
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: corruptDim, M: 6, EfConstruction: 32, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	recs := make([]query.Record, 300)
	for i := range recs {
		v := make([]float32, corruptDim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		recs[i] = query.Record{Key: fmt.Sprintf("k%d", i), Vector: v, Metadata: []byte(fmt.Sprintf(`{"i":%d}`, i))}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	var del []string
	for i := 10; i < 40; i++ {
		del = append(del, fmt.Sprintf("k%d", i))
	}
	if _, err := c.Delete(ctx, del...); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("healthy fixture: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	foldNodeLog(t, path, "c")
	return path
}

// foldNodeLog moves collection name's node log (store/nodelog.go) into its
// graph deltas and blocks, where the raw helpers below look for nodes.
func foldNodeLog(t testing.TB, path, name string) {
	t.Helper()
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(func(tx *store.Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		return c.FoldNodeLog()
	}); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// rawBucket returns sub-bucket sub of collection "c" ("" for the
// collection's own bucket).
func rawBucket(btx *bolt.Tx, sub string) *bolt.Bucket {
	root := btx.Bucket([]byte("vecbolt"))
	id := root.Bucket([]byte("names")).Get([]byte("c"))[:4]
	b := root.Bucket([]byte("collections")).Bucket(id)
	if sub != "" {
		b = b.Bucket([]byte(sub))
	}
	return b
}

func rawUpdate(t testing.TB, path string, fn func(btx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// sealed is value v under key k as format 2 stores it: v, then
// CRC32C(k || v) little-endian (written out here, independently of the
// store's code).
func sealed(k, v []byte) []byte {
	sum := crc32.Checksum(append(append([]byte{}, k...), v...), crc32.MakeTable(crc32.Castagnoli))
	return binary.LittleEndian.AppendUint32(append([]byte{}, v...), sum)
}

// putSealed stores v under k in b, sealed.
func putSealed(b *bolt.Bucket, k, v []byte) error { return b.Put(k, sealed(k, v)) }

// nodeLists decodes an index node (level, then per level a uint16 LE count
// and that many uint32 LE ids), written out here independently of package
// index.
func nodeLists(b []byte) [][]uint32 {
	level := int(b[0])
	p := b[1:]
	lists := make([][]uint32, level+1)
	for l := range lists {
		n := int(binary.LittleEndian.Uint16(p))
		p = p[2:]
		for i := 0; i < n; i++ {
			lists[l] = append(lists[l], binary.LittleEndian.Uint32(p[4*i:]))
		}
		p = p[4*n:]
	}
	return lists
}

func encodeNode(lists [][]uint32) []byte {
	b := []byte{byte(len(lists) - 1)}
	for _, l := range lists {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(l)))
		for _, x := range l {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
	}
	return b
}

// The graph and vectors are stored in blocks of ids with per-id deltas
// over them (store/doc.go). corruptDim 8 puts 65,536 ids in a block, so
// the fixture's nodes and vectors are all in block 0. The helpers below
// read a node or vector where it is, decoding the block layout written
// out here independently of package store.

// rawBlock returns block 0 of sub-bucket sub ("vblocks" or "gblocks"),
// without its seal.
func rawBlock(btx *bolt.Tx, sub string) []byte {
	v := rawBucket(btx, sub).Get(be32(0))
	return v[:len(v)-4]
}

// blockNode returns node id's bytes from graph block payload p: rows
// uint32 LE, (rows+1) offsets uint32 LE, then the nodes.
func blockNode(p []byte, id uint32) []byte {
	rows := binary.LittleEndian.Uint32(p)
	if id >= rows {
		return nil
	}
	off := func(i uint32) uint32 { return binary.LittleEndian.Uint32(p[4+4*i:]) }
	data := p[4+4*(rows+1):]
	return data[off(id):off(id+1)]
}

// vectorRowAt returns the offset in vector block payload p of id's row:
// rows uint32 LE, presence bits (4·ceil(rows/32) bytes), rows × uint32
// row checksums, then the rows.
func vectorRowAt(p []byte, id uint32) int {
	rows := int(binary.LittleEndian.Uint32(p))
	return 4 + 4*((rows+31)/32) + 4*rows + 4*corruptDim*int(id)
}

// rawNode returns node id as stored: its delta if it has one, else its
// row in the graph block.
func rawNode(btx *bolt.Tx, id uint32) []byte {
	if v := rawBucket(btx, "graph").Get(be32(id)); v != nil {
		return v[:len(v)-4]
	}
	return blockNode(rawBlock(btx, "gblocks"), id)
}

// editNode rewrites graph node id with edit, as a delta over its block.
func editNode(btx *bolt.Tx, id uint32, edit func(lists [][]uint32) [][]uint32) error {
	v := rawNode(btx, id)
	if len(v) == 0 {
		return fmt.Errorf("no node %d", id)
	}
	return putSealed(rawBucket(btx, "graph"), be32(id), encodeNode(edit(nodeLists(v))))
}

// openAndCheck opens path, loads every collection and runs Check,
// returning every error met (nil if the file looks healthy). A panic fails
// the test.
func openAndCheck(t testing.TB, path string) (errs []error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	db, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		return []error{err}
	}
	defer db.Close()
	if _, err := db.Collection(ctx, "c"); err != nil {
		errs = append(errs, err)
	}
	if err := db.Check(ctx); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func TestCheckCatchesCorruption(t *testing.T) {
	healthy := corruptFixture(t)
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string // in one of the errors
	}{
		{"graph node removed", raw(func(btx *bolt.Tx) error { return putSealed(rawBucket(btx, "graph"), be32(50), nil) }),
			`graph id 50: record "k50" has no graph node`},
		{"link to a node beyond the graph", raw(func(btx *bolt.Tx) error {
			return editNode(btx, 60, func(l [][]uint32) [][]uint32 { l[0] = append(l[0][:len(l[0])-1], 5000); return l })
		}), "link to 5000 beyond"},
		{"link to a deleted node", raw(func(btx *bolt.Tx) error {
			return editNode(btx, 60, func(l [][]uint32) [][]uint32 { l[0] = append(l[0][:len(l[0])-1], 20); return l })
		}), "link to 20, which was not restored"},
		{"self-loop", raw(func(btx *bolt.Tx) error {
			return editNode(btx, 61, func(l [][]uint32) [][]uint32 { l[0][0] = 61; return l })
		}), "self-loop"},
		{"node unreachable", raw(func(btx *bolt.Tx) error {
			// Remove every link to node 70 and make it link to itself
			// nowhere: a live record the graph search cannot reach.
			g := rawBucket(btx, "graph")
			for id := uint32(0); id < 300; id++ {
				v := rawNode(btx, id)
				if len(v) == 0 {
					continue
				}
				lists := nodeLists(v)
				changed := false
				for l := range lists {
					kept := lists[l][:0]
					for _, x := range lists[l] {
						if x == 70 {
							changed = true
							continue
						}
						kept = append(kept, x)
					}
					lists[l] = kept
				}
				if changed {
					if err := putSealed(g, be32(id), encodeNode(lists)); err != nil {
						return err
					}
				}
			}
			return nil
		}), "node 70 level 0: not reachable"},
		{"graph node without a record", raw(func(btx *bolt.Tx) error {
			return putSealed(rawBucket(btx, "graph"), be32(25), encodeNode([][]uint32{{0}}))
		}), "has no record"},
		{"graph node far beyond every record", raw(func(btx *bolt.Tx) error {
			return putSealed(rawBucket(btx, "graph"), be32(0xFFFFFF00), encodeNode([][]uint32{{0}}))
		}), "has no record"},
		{"graph meta garbage", raw(func(btx *bolt.Tx) error { return putSealed(rawBucket(btx, ""), []byte("graphmeta"), []byte{1, 2, 3}) }),
			"graph meta"},
		{"graph meta checksum", raw(func(btx *bolt.Tx) error { return rawBucket(btx, "").Put([]byte("graphmeta"), []byte{1, 2, 3, 4, 5}) }),
			"graph metadata fails its checksum"},
		{"one byte of a record's vector changed", raw(func(btx *bolt.Tx) error {
			v := bytes.Clone(rawBucket(btx, "vblocks").Get(be32(0)))
			v[vectorRowAt(v, 100)+5] ^= 0x01 // the case: a component moves in its last digits
			return rawBucket(btx, "vblocks").Put(be32(0), v)
		}), `bucket vblocks id 100: vector fails its checksum`},
		{"one byte of a graph node changed", raw(func(btx *bolt.Tx) error {
			v := bytes.Clone(rawBucket(btx, "gblocks").Get(be32(0)))
			n := blockNode(v, 100)
			at := len(v) - 4 - len(blockNode(v, 299)) // node 299 ends the data
			for id := uint32(100); id < 299; id++ {
				at -= len(blockNode(v, id))
			}
			if !bytes.Equal(v[at:at+len(n)], n) {
				return fmt.Errorf("node 100 not at %d", at)
			}
			v[at+3] ^= 0x10
			return rawBucket(btx, "gblocks").Put(be32(0), v)
		}), `graph block fails its checksum`},
		{"a vector delta changed", raw(func(btx *bolt.Tx) error {
			k := be32(100)
			v := sealed(k, bytes.Repeat([]byte{0, 0, 0x80, 0x3f}, corruptDim)) // a valid delta of ones
			v[6] ^= 0x01
			return rawBucket(btx, "vectors").Put(k, v)
		}), `bucket vectors id 100: vector fails its checksum`},
		{"a node delta changed", raw(func(btx *bolt.Tx) error {
			k := be32(100)
			v := sealed(k, rawNode(btx, 100))
			v[3] ^= 0x10
			return rawBucket(btx, "graph").Put(k, v)
		}), `bucket graph id 100: node fails its checksum`},
		{"record encoding broken", raw(func(btx *bolt.Tx) error { return putSealed(rawBucket(btx, "records"), be32(80), []byte("junk")) }),
			"id 80"},
		{"key mapping deleted", raw(func(btx *bolt.Tx) error { return rawBucket(btx, "keys").Delete([]byte("k90")) }),
			`key "k90" does not map back`},
		{"vector overwritten", raw(func(btx *bolt.Tx) error {
			return putSealed(rawBucket(btx, "vectors"), be32(100), make([]byte, 12))
		}), "vector has 12 bytes"},
		{"page header smashed", smashPages("leaf"), "page"},
		{"branch page smashed", smashPages("branch"), "page"},
		{"file truncated", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"meta pages zeroed", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, 2*4096), 0); err != nil {
				t.Fatal(err)
			}
		}, "not a vecbolt database"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "damaged.db")
			copyFile(t, healthy, path)
			tc.damage(t, path)
			errs := openAndCheck(t, path)
			if len(errs) == 0 {
				t.Fatalf("damaged file opens and passes Check")
			}
			joined := errors.Join(errs...).Error()
			if !strings.Contains(joined, tc.want) {
				t.Errorf("errors lack %q:\n%s", tc.want, joined)
			}
		})
	}
}

func raw(fn func(btx *bolt.Tx) error) func(t *testing.T, path string) {
	return func(t *testing.T, path string) { rawUpdate(t, path, fn) }
}

// smashPages overwrites the header (id, flags, count, overflow) of every
// page of the given kind ("leaf", "branch") with garbage.
func smashPages(kind string) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		b, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		var pages []int
		pageSize := b.Info().PageSize
		if err := b.View(func(btx *bolt.Tx) error {
			for id := 2; ; id++ {
				p, err := btx.Page(id)
				if err != nil || p == nil {
					return err
				}
				if p.Type == kind {
					pages = append(pages, id)
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		b.Close()
		if len(pages) == 0 {
			t.Fatalf("no %s pages", kind)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		junk := []byte{0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0x55, 0x55, 0xff, 0xff, 0x7f, 0, 0, 0}
		for _, id := range pages {
			if _, err := f.WriteAt(junk, int64(id*pageSize)); err != nil {
				t.Fatal(err)
			}
		}
	}
}
