package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/store"
)

// v1Fixture copies testdata/v1.vecbolt (written by format-1 code, see
// testdata/mkv1) to a temporary file.
func v1Fixture(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "v1.vecbolt"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.vecbolt")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// v1Words is what testdata/mkv1 wrote into collection "words", derived
// here the same way: key -> vector and metadata.
func v1Words() (vecs map[string][]float32, metas map[string]string) {
	rng := rand.New(rand.NewSource(1))
	vecs, metas = map[string][]float32{}, map[string]string{}
	for i := 0; i < 300; i++ {
		v := make([]float32, 8)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		key := fmt.Sprintf("w%03d", i)
		vecs[key] = v
		if i%3 == 0 {
			metas[key] = fmt.Sprintf(`{"i":%d,"tag":"t%d"}`, i, i%5)
		}
	}
	for i := 0; i < 300; i += 15 {
		delete(vecs, fmt.Sprintf("w%03d", i))
		delete(metas, fmt.Sprintf("w%03d", i))
	}
	vecs["w001"] = []float32{1, 2, 3, 4, 5, 6, 7, 8}
	metas["w001"] = `{"updated":true}`
	return vecs, metas
}

func TestUpgradeV1Fixture(t *testing.T) {
	ctx := context.Background()
	path := v1Fixture(t)
	_, err := store.Open(path, store.Options{})
	var ue *store.UpgradeError
	if !errors.As(err, &ue) || !errors.Is(err, store.ErrNeedsUpgrade) || ue.Got != 1 {
		t.Fatalf("Open of a format-1 file: err = %v, want *UpgradeError{Got: 1}", err)
	}
	if from, err := store.Upgrade(ctx, path, 0); err != nil || from != 1 {
		t.Fatalf("Upgrade = %d, %v", from, err)
	}
	if _, err := os.Stat(path + store.UpgradeSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	// A second upgrade finds the current format and changes nothing.
	before, _ := os.ReadFile(path)
	if from, err := store.Upgrade(ctx, path, 0); err != nil || from != store.FormatVersion {
		t.Fatalf("second Upgrade = %d, %v", from, err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("second Upgrade changed the file")
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkOK(t, db)
	vecs, metas := v1Words()
	mustView(t, db, func(tx *store.Tx) error {
		names, err := tx.Collections()
		if err != nil {
			return err
		}
		if want := []string{"empty", "points", "words"}; !reflect.DeepEqual(names, want) {
			t.Errorf("collections %q, want %q", names, want)
		}
		c, err := tx.Collection("words")
		if err != nil {
			return err
		}
		if want := (store.Config{Dim: 8, Metric: store.Cosine, M: 4, EfConstruction: 32, Ef: 64, Seed: 7}); c.Config() != want {
			t.Errorf("words config %+v, want %+v", c.Config(), want)
		}
		// Format 1's per-id vectors and nodes are folded into blocks.
		if d, b := c.BucketLen("vectors")+c.BucketLen("graph"), c.BucketLen("vblocks")*c.BucketLen("gblocks"); d != 0 || b == 0 {
			t.Errorf("after the upgrade: %d deltas, %d vector and graph blocks; want all in blocks", d, b)
		}
		if c.Len() != len(vecs) {
			t.Errorf("words has %d records, want %d", c.Len(), len(vecs))
		}
		n := 0
		err = c.ForEach(func(r *store.Record) error {
			n++
			if !reflect.DeepEqual(r.Vector, vecs[r.Key]) {
				t.Errorf("%s: vector %v, want %v", r.Key, r.Vector, vecs[r.Key])
			}
			if string(r.Metadata) != metas[r.Key] {
				t.Errorf("%s: metadata %s, want %s", r.Key, r.Metadata, metas[r.Key])
			}
			return nil
		})
		if n != len(vecs) {
			t.Errorf("ForEach saw %d records", n)
		}
		if c.GraphMeta() == nil || c.Node(5) == nil {
			t.Errorf("graph not carried over")
		}
		p, err := tx.Collection("points")
		if err != nil {
			return err
		}
		r, err := p.Get("p9")
		if err != nil {
			return err
		}
		if want := []float32{9, 2, -4.5}; !reflect.DeepEqual(r.Vector, want) || p.Len() != 50 {
			t.Errorf("p9 = %v (len %d), want %v", r.Vector, p.Len(), want)
		}
		return err
	})
}

// TestV2RefusedByV1Rule: format-1 code reads the root's version as 4
// bytes and refuses anything above 1 (store.checkHeader at commit dfc0cf5:
// "ver > FormatVersion" with FormatVersion 1 gives ErrVersion). A format-2
// file keeps that field as 4 plain bytes holding 2.
func TestV2RefusedByV1Rule(t *testing.T) {
	db := openTemp(t)
	path := db.Path()
	db.Close()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.View(func(btx *bolt.Tx) error {
		v := btx.Bucket([]byte("vecbolt")).Get([]byte("version"))
		if len(v) != 4 || binary.BigEndian.Uint32(v) <= 1 {
			t.Errorf("version field %x: format-1 code would not refuse it", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestUpgradeRefusesDamage(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		damage func(btx *bolt.Tx) error
	}{
		{"record garbage", func(btx *bolt.Tx) error {
			return v1Bucket(btx, "records").Put(be32(3), []byte("junk"))
		}},
		{"short vector", func(btx *bolt.Tx) error { return v1Bucket(btx, "vectors").Put(be32(3), []byte{1, 2}) }},
		{"key mapping removed", func(btx *bolt.Tx) error { return v1Bucket(btx, "keys").Delete([]byte("w004")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := v1Fixture(t)
			if err := rawUpdate(path, tc.damage); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			if _, err := store.Upgrade(ctx, path, 0); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("Upgrade = %v, want ErrCorrupt", err)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Errorf("failed Upgrade changed the file")
			}
			if _, err := os.Stat(path + store.UpgradeSuffix); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("temporary file left behind: %v", err)
			}
		})
	}
	if _, err := store.Upgrade(ctx, filepath.Join(t.TempDir(), "missing"), 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Upgrade of a missing file: %v", err)
	}
}

func v1Bucket(btx *bolt.Tx, sub string) *bolt.Bucket {
	return btx.Bucket([]byte("vecbolt")).Bucket([]byte("collections")).Bucket([]byte("words")).Bucket([]byte(sub))
}
