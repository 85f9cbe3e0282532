package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/store"
)

// colBucket returns a sub-bucket of collection "c" in a raw bbolt tx,
// following the names table to the collection's id.
func colBucket(btx *bolt.Tx, sub string) *bolt.Bucket {
	root := btx.Bucket([]byte("vecbolt"))
	id := root.Bucket([]byte("names")).Get([]byte("c"))[:4]
	c := root.Bucket([]byte("collections")).Bucket(id)
	if sub == "" {
		return c
	}
	return c.Bucket([]byte(sub))
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// sealed is value v under key k as format 2 stores it: v, then
// CRC32C(k || v) little-endian (written out here, independently of the
// store's code).
func sealed(k, v []byte) []byte {
	tab := crc32.MakeTable(crc32.Castagnoli)
	sum := crc32.Checksum(append(append([]byte{}, k...), v...), tab)
	return binary.LittleEndian.AppendUint32(append([]byte{}, v...), sum)
}

// putSealed stores v under k in b, sealed.
func putSealed(b *bolt.Bucket, k, v []byte) error { return b.Put(k, sealed(k, v)) }
func be64(v uint64) []byte                        { return binary.BigEndian.AppendUint64(nil, v) }

func TestCheckFindsDamage(t *testing.T) {
	cases := []struct {
		name   string
		damage func(btx *bolt.Tx) error
		want   string // substring of the report
	}{
		{"key mapping removed", func(btx *bolt.Tx) error { return colBucket(btx, "keys").Delete([]byte("k3")) }, `key "k3" does not map back`},
		{"key to missing id", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "keys"), []byte("ghost"), be32(999)) }, `key "ghost" maps to id 999`},
		{"key to other record", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "keys"), []byte("k4"), be32(5)) }, `which holds key "k5"`},
		{"short vector", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "vectors"), be32(2), make([]byte, 12)) }, "id 2: vector has 12 bytes, want 32"},
		{"vector missing", func(btx *bolt.Tx) error { return colBucket(btx, "vectors").Delete(be32(2)) }, "id 2: record has no vector"},
		{"orphan vector", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "vectors"), be32(77), make([]byte, 32)) }, "id 77 has no record"},
		{"NaN component", func(btx *bolt.Tx) error {
			return putSealed(colBucket(btx, "vectors"), be32(1), append(make([]byte, 28), 0, 0, 0xc0, 0x7f))
		}, "component 7 is NaN"},
		{"norm disagrees under cosine", func(btx *bolt.Tx) error {
			v := make([]byte, 32)
			v[3] = 0x40 // 2.0 in component 0
			return putSealed(colBucket(btx, "vectors"), be32(1), v)
		}, "but its record's norm is"},
		{"order entry missing", func(btx *bolt.Tx) error { return colBucket(btx, "order").Delete(be64(1)) }, "seq 1 has no order entry"},
		{"order points elsewhere", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "order"), be64(1), be32(6)) }, "seq 1 points at id 6, whose record has seq 7"},
		{"order to nothing", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "order"), be64(500), be32(600)) }, "id 600, which has no record"},
		{"count wrong", func(btx *bolt.Tx) error {
			return putSealed(colBucket(btx, ""), []byte("meta"), append(be64(11), be64(9)...))
		}, "meta count is 9, records bucket holds 10"},
		{"record garbage", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "records"), be32(3), []byte("junk")) }, "id 3: record has 4 bytes"},
		{"graph key", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "graph"), []byte("xx"), []byte("n")) }, "graph: bad entry"},
		{"stray key in collections", func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("vecbolt")).Bucket([]byte("collections")).Put([]byte("odd"), []byte("1"))
		}, `stray key "odd"`},
		{"unsealed vector", func(btx *bolt.Tx) error { return colBucket(btx, "vectors").Put(be32(2), make([]byte, 36)) }, `collection "c" bucket vectors id 2: vector fails its checksum`},
		{"unsealed record", func(btx *bolt.Tx) error { return colBucket(btx, "records").Put(be32(3), []byte("junk")) }, `collection "c" bucket records id 3: record fails its checksum`},
		{"unsealed node", func(btx *bolt.Tx) error { return colBucket(btx, "graph").Put(be32(3), []byte("nodes")) }, `graph: node 3 fails its checksum`},
		{"unsealed key", func(btx *bolt.Tx) error { return colBucket(btx, "keys").Put([]byte("k1"), be32(1)) }, `entry for key "k1" fails its checksum`},
		{"unsealed order", func(btx *bolt.Tx) error { return colBucket(btx, "order").Put(be64(1), be32(0)) }, `order: entry 0000000000000001 fails its checksum`},
		{"unsealed graph meta", func(btx *bolt.Tx) error { return colBucket(btx, "").Put([]byte("graphmeta"), []byte("meta")) }, `graph metadata fails its checksum`},
		{"name disagrees", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, ""), []byte("name"), []byte("d")) }, `records the name "d"`},
		{"unnamed collection", func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("vecbolt")).Bucket([]byte("names")).Delete([]byte("c"))
		}, `collection id 1 has no name`},
		{"id counter behind", func(btx *bolt.Tx) error { return putSealed(btx.Bucket([]byte("vecbolt")), []byte("nextcol"), be32(1)) }, `collection id 1 is not below the id counter 1`},
		{"config garbage", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "config"), []byte("config"), []byte("{")) }, `collection "c" bucket config`},
		{"config from the future", func(btx *bolt.Tx) error { return putSealed(colBucket(btx, "config"), []byte("version"), be32(9)) }, "format version 9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.vecbolt")
			db, err := store.Open(path, store.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			fillRandom(t, db, "c", 8, 10) // ids 0..9, keys k0..k9, seqs 1..10
			if err := db.Check(context.Background()); err != nil {
				t.Fatalf("healthy file: %v", err)
			}
			db.Close()
			if err := rawUpdate(path, tc.damage); err != nil {
				t.Fatal(err)
			}
			db, err = store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.Check(context.Background())
			var ce *store.CheckError
			if !errors.As(err, &ce) || !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("Check = %v, want *CheckError wrapping ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("report lacks %q:\n%v", tc.want, err)
			}
		})
	}
}

func TestReadsReportCorruption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.vecbolt")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillRandom(t, db, "c", 8, 10)
	db.Close()
	if err := rawUpdate(path, func(btx *bolt.Tx) error {
		if err := putSealed(colBucket(btx, "vectors"), be32(2), make([]byte, 5)); err != nil {
			return err
		}
		return putSealed(colBucket(btx, "records"), be32(4), []byte{1, 2, 3})
	}); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		for _, tc := range []struct {
			err    error
			bucket string
			id     uint32
		}{
			{func() error { _, err := c.Get("k2"); return err }(), "vectors", 2},
			{func() error { _, err := c.GetByID(4); return err }(), "records", 4},
			{c.ForEach(func(*store.Record) error { return nil }), "vectors", 2},
			{c.ForEachID(func(uint32, string, uint64, []float32) error { return nil }), "vectors", 2},
		} {
			var ce *store.CorruptError
			if !errors.As(tc.err, &ce) || ce.Bucket != tc.bucket || ce.ID != tc.id || ce.Collection != "c" {
				t.Errorf("err = %v, want *CorruptError for bucket %s id %d", tc.err, tc.bucket, tc.id)
			}
		}
		return nil
	})
}

func TestCheckContext(t *testing.T) {
	db := openTemp(t)
	fillRandom(t, db, "c", 4, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Check(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Check with cancelled ctx = %v", err)
	}
}

func TestCheckReportIsCapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.vecbolt")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillRandom(t, db, "c", 4, 300)
	db.Close()
	if err := rawUpdate(path, func(btx *bolt.Tx) error { return colBucket(btx, "").DeleteBucket([]byte("order")) }); err != nil {
		t.Fatal(err)
	}
	// Without the order bucket the collection does not open at all.
	db, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Check(context.Background())
	db.Close()
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "bucket order") {
		t.Errorf("Check = %v", err)
	}
	if err := rawUpdate(path, func(btx *bolt.Tx) error {
		_, err := colBucket(btx, "").CreateBucket([]byte("order"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Check(context.Background())
	var ce *store.CheckError
	if !errors.As(err, &ce) || ce.Total < 300 || len(ce.Problems) != 100 || !strings.Contains(err.Error(), fmt.Sprintf("and %d more", ce.Total-100)) {
		t.Errorf("capped report: total %d, listed %d", ce.Total, len(ce.Problems))
	}
}
