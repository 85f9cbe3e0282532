package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

var cfg4 = store.Config{Dim: 4, Metric: store.Cosine, M: 16, EfConstruction: 200, Ef: 64, Seed: 7}

func TestCollectionsCreateListDrop(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		for _, name := range []string{"b", "a", "ünïcode", "c"} {
			c, err := tx.CreateCollection(name, cfg4)
			if err != nil {
				return err
			}
			if c.Name() != name || c.Config() != cfg4 || c.Len() != 0 {
				t.Errorf("new collection %q: Name %q, Config %+v, Len %d", name, c.Name(), c.Config(), c.Len())
			}
		}
		return tx.DropCollection("c")
	})
	mustView(t, db, func(tx *store.Tx) error {
		names, err := tx.Collections()
		if err != nil {
			return err
		}
		if want := []string{"a", "b", "ünïcode"}; !slices.Equal(names, want) {
			t.Errorf("Collections = %q, want %q", names, want)
		}
		_, err = tx.Collection("c")
		if !errors.Is(err, store.ErrUnknownCollection) || !strings.Contains(err.Error(), `"c"`) {
			t.Errorf("dropped collection: %v, want ErrUnknownCollection naming it", err)
		}
		a1, _ := tx.Collection("a")
		a2, _ := tx.Collection("a")
		if a1 != a2 {
			t.Error("two handles for one collection in one transaction")
		}
		return nil
	})
	err := db.Update(func(tx *store.Tx) error { return tx.DropCollection("nope") })
	if !errors.Is(err, store.ErrUnknownCollection) {
		t.Errorf("drop unknown: %v", err)
	}
}

func TestCreateCollectionValidation(t *testing.T) {
	db := openTemp(t)
	cases := []struct {
		name string
		col  string
		cfg  store.Config
		want error
	}{
		{"empty name", "", cfg4, store.ErrInvalidName},
		{"long name", strings.Repeat("n", store.MaxNameLen+1), cfg4, store.ErrInvalidName},
		{"invalid utf8 name", "a\xffb", cfg4, store.ErrInvalidName},
		{"dim 0", "x", store.Config{Dim: 0, Metric: store.L2}, store.ErrInvalidConfig},
		{"dim negative", "x", store.Config{Dim: -3, Metric: store.L2}, store.ErrInvalidConfig},
		{"dim too large", "x", store.Config{Dim: store.MaxDim + 1, Metric: store.L2}, store.ErrInvalidConfig},
		{"unknown metric", "x", store.Config{Dim: 3, Metric: "manhattan"}, store.ErrInvalidConfig},
		{"metric wrong case", "x", store.Config{Dim: 3, Metric: "Cosine"}, store.ErrInvalidConfig},
		{"empty metric", "x", store.Config{Dim: 3}, store.ErrInvalidConfig},
		{"negative M", "x", store.Config{Dim: 3, Metric: store.Dot, M: -1}, store.ErrInvalidConfig},
		{"negative ef", "x", store.Config{Dim: 3, Metric: store.Dot, Ef: -1}, store.ErrInvalidConfig},
		{"negative efc", "x", store.Config{Dim: 3, Metric: store.Dot, EfConstruction: -1}, store.ErrInvalidConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Update(func(tx *store.Tx) error {
				_, err := tx.CreateCollection(tc.col, tc.cfg)
				return err
			})
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	mustView(t, db, func(tx *store.Tx) error {
		if names, _ := tx.Collections(); len(names) != 0 {
			t.Errorf("rejected creates left collections %q", names)
		}
		return nil
	})
	// The bounds themselves are fine.
	mustUpdate(t, db, func(tx *store.Tx) error {
		if _, err := tx.CreateCollection(strings.Repeat("n", store.MaxNameLen), store.Config{Dim: store.MaxDim, Metric: store.L2}); err != nil {
			return err
		}
		_, err := tx.CreateCollection("one", store.Config{Dim: 1, Metric: store.Dot})
		return err
	})
}

func TestCreateCollectionConfigMismatch(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", cfg4)
		if err != nil {
			return err
		}
		return c.Put(&store.Record{ID: 3, Key: "k", Vector: []float32{1, 0, 0, 0}})
	})
	// Same config: the existing collection, data and all.
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", cfg4)
		if err != nil {
			return err
		}
		if c.Len() != 1 || !c.Has("k") {
			t.Errorf("existing collection: Len %d, Has(k) %v", c.Len(), c.Has("k"))
		}
		return nil
	})
	change := func(f func(*store.Config)) store.Config { c := cfg4; f(&c); return c }
	cases := []struct {
		field, stored, requested string
		cfg                      store.Config
	}{
		{"Dim", "4", "5", change(func(c *store.Config) { c.Dim = 5 })},
		{"Metric", `"cosine"`, `"l2"`, change(func(c *store.Config) { c.Metric = store.L2 })},
		{"M", "16", "32", change(func(c *store.Config) { c.M = 32 })},
		{"EfConstruction", "200", "100", change(func(c *store.Config) { c.EfConstruction = 100 })},
		{"Ef", "64", "10", change(func(c *store.Config) { c.Ef = 10 })},
		{"Seed", "7", "8", change(func(c *store.Config) { c.Seed = 8 })},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			err := db.Update(func(tx *store.Tx) error {
				_, err := tx.CreateCollection("c", tc.cfg)
				return err
			})
			var me *store.ConfigMismatchError
			if !errors.As(err, &me) || !errors.Is(err, store.ErrCollectionExists) {
				t.Fatalf("err = %v, want *ConfigMismatchError wrapping ErrCollectionExists", err)
			}
			if me.Field != tc.field || me.Stored != tc.stored || me.Requested != tc.requested {
				t.Errorf("mismatch = %+v", *me)
			}
			for _, s := range []string{tc.field, tc.stored, tc.requested, `"c"`} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestPutValidation(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		if _, err := tx.CreateCollection("cos", store.Config{Dim: 3, Metric: store.Cosine}); err != nil {
			return err
		}
		_, err := tx.CreateCollection("l2", store.Config{Dim: 3, Metric: store.L2})
		return err
	})
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name     string
		col      string
		rec      store.Record
		want     error
		contains []string
	}{
		{"empty key", "l2", store.Record{Key: "", Vector: []float32{1, 2, 3}}, store.ErrEmptyKey, nil},
		{"long key", "l2", store.Record{Key: strings.Repeat("k", store.MaxKeyLen+1), Vector: []float32{1, 2, 3}}, store.ErrKeyTooLong, []string{"4097", "4096"}},
		{"short vector", "l2", store.Record{Key: "k", Vector: []float32{1, 2}}, store.ErrDimension, []string{"2", "3", `"k"`}},
		{"long vector", "l2", store.Record{Key: "k", Vector: []float32{1, 2, 3, 4}}, store.ErrDimension, []string{"4", "3"}},
		{"nil vector", "l2", store.Record{Key: "k"}, store.ErrDimension, nil},
		{"NaN", "l2", store.Record{Key: "k", Vector: []float32{1, nan, 3}}, store.ErrInvalidVector, []string{"component 1", "NaN", `"k"`}},
		{"Inf", "l2", store.Record{Key: "k", Vector: []float32{1, 2, inf}}, store.ErrInvalidVector, []string{"component 2", "Inf"}},
		{"NaN cosine", "cos", store.Record{Key: "k", Vector: []float32{nan, 0, 0}}, store.ErrInvalidVector, []string{"component 0"}},
		{"zero cosine", "cos", store.Record{Key: "zk", Vector: []float32{0, 0, 0}}, store.ErrZeroVector, []string{`"zk"`}},
		{"metadata array", "l2", store.Record{Key: "k", Vector: []float32{1, 2, 3}, Metadata: json.RawMessage(`[1]`)}, store.ErrInvalidMetadata, nil},
		{"metadata string", "l2", store.Record{Key: "k", Vector: []float32{1, 2, 3}, Metadata: json.RawMessage(`"x"`)}, store.ErrInvalidMetadata, nil},
		{"metadata broken", "l2", store.Record{Key: "k", Vector: []float32{1, 2, 3}, Metadata: json.RawMessage(`{"a":`)}, store.ErrInvalidMetadata, nil},
		{"metadata trailing", "l2", store.Record{Key: "k", Vector: []float32{1, 2, 3}, Metadata: json.RawMessage(`{} {}`)}, store.ErrInvalidMetadata, nil},
		{"metadata too big", "l2", store.Record{Key: "k", Vector: []float32{1, 2, 3},
			Metadata: json.RawMessage(`{"a":"` + strings.Repeat("x", store.MaxMetadataLen) + `"}`)}, store.ErrInvalidMetadata, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sentinel := errors.New("roll back")
			err := db.Update(func(tx *store.Tx) error {
				c, err := tx.Collection(tc.col)
				if err != nil {
					return err
				}
				r := tc.rec
				err = c.Put(&r)
				if !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
				if err != nil {
					for _, s := range tc.contains {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("message %q lacks %q", err, s)
						}
					}
				}
				if c.Len() != 0 || (r.Key != "" && len(r.Key) <= store.MaxKeyLen && c.Has(r.Key)) {
					t.Errorf("rejected Put changed the collection")
				}
				return sentinel
			})
			if !errors.Is(err, sentinel) {
				t.Fatal(err)
			}
		})
	}
	var de *store.DimensionError
	err := db.Update(func(tx *store.Tx) error {
		c, _ := tx.Collection("l2")
		return c.Put(&store.Record{Key: "dk", Vector: []float32{1}})
	})
	if !errors.As(err, &de) || de.Got != 1 || de.Want != 3 || de.Key != "dk" {
		t.Errorf("DimensionError = %+v (%v)", de, err)
	}
	var ve *store.VectorError
	err = db.Update(func(tx *store.Tx) error {
		c, _ := tx.Collection("l2")
		return c.Put(&store.Record{Key: "vk", Vector: []float32{1, 2, nan}})
	})
	if !errors.As(err, &ve) || ve.Index != 2 || ve.Key != "vk" {
		t.Errorf("VectorError = %+v (%v)", ve, err)
	}
	// Accepted edge cases.
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("l2")
		for i, r := range []store.Record{
			{Key: strings.Repeat("k", store.MaxKeyLen), Vector: []float32{1, 2, 3}},
			{Key: "zero under l2", Vector: []float32{0, 0, 0}}, // zero is fine under l2 (keys must be UTF-8: TestValidateRanges)
			{Key: "null meta", Vector: []float32{1, 2, 3}, Metadata: json.RawMessage(" null ")},
			{Key: "spaced meta", Vector: []float32{1, 2, 3}, Metadata: json.RawMessage(" {\"a\": [1, 2]}\n")},
		} {
			r.ID = uint32(i)
			if err := c.Put(&r); err != nil {
				return fmt.Errorf("%s: %w", r.Key, err)
			}
		}
		if r, _ := c.Get("null meta"); r.Metadata != nil {
			t.Errorf("null metadata stored as %q", r.Metadata)
		}
		if r, _ := c.Get("spaced meta"); string(r.Metadata) != `{"a": [1, 2]}` {
			t.Errorf("metadata stored as %q", r.Metadata)
		}
		return nil
	})
}

func TestPutCosineNorm(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.Cosine})
		if err != nil {
			return err
		}
		in := []float32{3, 4}
		r := &store.Record{ID: 1, Key: "raw", Vector: in}
		if err := c.Put(r); err != nil {
			return err
		}
		if r.Norm != 5 || in[0] != 3 {
			t.Errorf("after Put: Norm %v, caller's vector %v", r.Norm, in)
		}
		// A Norm given by the caller is ignored: the store measures it.
		if err := c.Put(&store.Record{ID: 2, Key: "unit", Vector: []float32{0.6, 0.8}, Norm: 10}); err != nil {
			return err
		}
		for key, want := range map[string]store.Record{
			"raw":  {Vector: []float32{3, 4}, Norm: 5},
			"unit": {Vector: []float32{0.6, 0.8}, Norm: 1},
		} {
			got, err := c.Get(key)
			if err != nil {
				return err
			}
			if !closeTo(got.Vector, want.Vector, 1e-6) || got.Norm != want.Norm {
				t.Errorf("%s: vector %v norm %v, want %v %v", key, got.Vector, got.Norm, want.Vector, want.Norm)
			}
		}
		return nil
	})
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("dot", store.Config{Dim: 2, Metric: store.Dot})
		if err != nil {
			return err
		}
		r := &store.Record{ID: 1, Key: "k", Vector: []float32{3, 4}, Norm: 9}
		if err := c.Put(r); err != nil {
			return err
		}
		got, _ := c.Get("k")
		if r.Norm != 0 || got.Norm != 0 || got.Vector[1] != 4 {
			t.Errorf("dot: r.Norm %v, stored %+v", r.Norm, got)
		}
		return nil
	})
}

func TestPutReplaceConflictAndReuse(t *testing.T) {
	db := openTemp(t)
	l2 := store.Config{Dim: 2, Metric: store.L2}
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", l2)
		if err != nil {
			return err
		}
		a := &store.Record{ID: 10, Key: "a", Vector: []float32{1, 1}, Metadata: json.RawMessage(`{"v":1}`)}
		if err := c.Put(a); err != nil {
			return err
		}
		b := &store.Record{ID: 11, Key: "b", Vector: []float32{2, 2}}
		if err := c.Put(b); err != nil {
			return err
		}
		// Replace a with the same id: new vector and metadata, same seq.
		a2 := &store.Record{ID: 10, Key: "a", Vector: []float32{5, 5}}
		if err := c.Put(a2); err != nil {
			return err
		}
		if a2.Seq != a.Seq || c.Len() != 2 {
			t.Errorf("replace: seq %d -> %d, Len %d", a.Seq, a2.Seq, c.Len())
		}
		got, _ := c.Get("a")
		if got.Vector[0] != 5 || got.Metadata != nil || got.ID != 10 {
			t.Errorf("replaced record = %+v", got)
		}
		// Same key, other id: conflict, nothing changes.
		err = c.Put(&store.Record{ID: 12, Key: "a", Vector: []float32{9, 9}})
		if !errors.Is(err, store.ErrKeyConflict) || !strings.Contains(err.Error(), "10") || !strings.Contains(err.Error(), "12") {
			t.Errorf("conflict: %v", err)
		}
		if got, _ := c.Get("a"); got.Vector[0] != 5 {
			t.Errorf("conflicting Put changed the record")
		}
		// New key on an id that holds b: b's mapping goes.
		cc := &store.Record{ID: 11, Key: "c", Vector: []float32{3, 3}}
		if err := c.Put(cc); err != nil {
			return err
		}
		if c.Has("b") || c.Len() != 2 || cc.Seq <= b.Seq {
			t.Errorf("reuse: Has(b) %v, Len %d, seq %d after %d", c.Has("b"), c.Len(), cc.Seq, b.Seq)
		}
		if id, ok := c.ID("c"); !ok || id != 11 {
			t.Errorf("ID(c) = %d, %v", id, ok)
		}
		return nil
	})
	if err := db.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestForEachInsertionOrder(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 1, Metric: store.L2})
		if err != nil {
			return err
		}
		// ids deliberately not in key or insertion order.
		put := func(id uint32, key string) {
			if err := c.Put(&store.Record{ID: id, Key: key, Vector: []float32{float32(id)}}); err != nil {
				t.Fatal(err)
			}
		}
		put(5, "a")
		put(1, "b")
		put(9, "c")
		put(3, "d")
		put(1, "b") // replace: keeps its place
		if _, err := c.Delete("c"); err != nil {
			return err
		}
		put(7, "e")
		put(9, "c") // back, at the end
		return nil
	})
	mustView(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		var keys []string
		var seqs []uint64
		err := c.ForEach(func(r *store.Record) error {
			keys = append(keys, r.Key)
			seqs = append(seqs, r.Seq)
			if r.Vector[0] != float32(r.ID) {
				t.Errorf("%s: vector %v, id %d", r.Key, r.Vector, r.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if want := []string{"a", "b", "d", "e", "c"}; !slices.Equal(keys, want) {
			t.Errorf("ForEach order %q, want %q", keys, want)
		}
		if !slices.IsSorted(seqs) || seqs[0] != 1 {
			t.Errorf("seqs %v", seqs)
		}
		var ids []uint32
		err = c.ForEachID(func(id uint32, key string, seq uint64, vec []float32) error {
			ids = append(ids, id)
			if vec[0] != float32(id) {
				t.Errorf("ForEachID %d: vec %v", id, vec)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if want := []uint32{1, 3, 5, 7, 9}; !slices.Equal(ids, want) {
			t.Errorf("ForEachID ids %v, want %v", ids, want)
		}
		// Stopping early returns fn's error.
		stop := errors.New("stop")
		n := 0
		if err := c.ForEach(func(*store.Record) error { n++; return stop }); err != stop || n != 1 {
			t.Errorf("ForEach stop: %v after %d", err, n)
		}
		return nil
	})
}

func TestDeleteAndNotFound(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 1, Metric: store.Dot})
		if err != nil {
			return err
		}
		if err := c.Put(&store.Record{ID: 4, Key: "k", Vector: []float32{1}}); err != nil {
			return err
		}
		id, err := c.Delete("k")
		if err != nil || id != 4 {
			t.Errorf("Delete = %d, %v", id, err)
		}
		if _, err := c.Delete("k"); !errors.Is(err, store.ErrKeyNotFound) {
			t.Errorf("second Delete: %v", err)
		}
		if _, err := c.Get("k"); !errors.Is(err, store.ErrKeyNotFound) || !strings.Contains(err.Error(), `"k"`) {
			t.Errorf("Get deleted: %v", err)
		}
		if _, err := c.GetByID(4); !errors.Is(err, store.ErrKeyNotFound) {
			t.Errorf("GetByID deleted: %v", err)
		}
		if c.Has("k") || c.Len() != 0 || c.Has("") {
			t.Errorf("Has %v Len %d", c.Has("k"), c.Len())
		}
		return nil
	})
}

func TestUpdateRollsBack(t *testing.T) {
	db := openTemp(t)
	fillRandom(t, db, "c", 4, 10)
	boom := errors.New("boom")
	write := func(tx *store.Tx) {
		c, _ := tx.Collection("c")
		_ = c.Put(&store.Record{ID: 100, Key: "new", Vector: []float32{1, 2, 3, 4}})
		_, _ = c.Delete("k1")
		_ = tx.DropCollection("c")
		_, _ = tx.CreateCollection("d", cfg4)
	}
	if err := db.Update(func(tx *store.Tx) error { write(tx); return boom }); err != boom {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "panic in fn" {
				t.Errorf("recovered %v", r)
			}
		}()
		_ = db.Update(func(tx *store.Tx) error { write(tx); panic("panic in fn") })
	}()
	mustView(t, db, func(tx *store.Tx) error {
		names, _ := tx.Collections()
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		if !slices.Equal(names, []string{"c"}) || c.Len() != 10 || c.Has("new") || !c.Has("k1") {
			t.Errorf("after rollbacks: %q, Len %d", names, c.Len())
		}
		return nil
	})
}

func TestNodesAndGraphMeta(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", cfg4)
		if err != nil {
			return err
		}
		if c.Node(1) != nil || c.GraphMeta() != nil {
			t.Error("empty collection has a node or graph meta")
		}
		buf := []byte("node-one")
		if err := c.PutNode(1, buf); err != nil {
			return err
		}
		buf[0] = 'X' // PutNode copied it
		for _, id := range []uint32{300, 2, 1 << 31} {
			if err := c.PutNode(id, []byte(fmt.Sprint("n", id))); err != nil {
				return err
			}
		}
		if err := c.PutNode(5, nil); err == nil {
			t.Error("PutNode accepted an empty node")
		}
		if err := c.DeleteNode(2); err != nil {
			return err
		}
		if err := c.DeleteNode(12345); err != nil {
			t.Errorf("DeleteNode of a missing node: %v", err)
		}
		if err := c.SetGraphMeta([]byte("meta")); err != nil {
			return err
		}
		return nil
	})
	mustView(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		if got := string(c.Node(1)); got != "node-one" {
			t.Errorf("Node(1) = %q", got)
		}
		var ids []uint32
		if err := c.ForEachNode(func(id uint32, node []byte) error {
			ids = append(ids, id)
			return nil
		}); err != nil {
			return err
		}
		if want := []uint32{1, 300, 1 << 31}; !slices.Equal(ids, want) {
			t.Errorf("ForEachNode ids %v, want %v", ids, want)
		}
		if string(c.GraphMeta()) != "meta" {
			t.Errorf("GraphMeta = %q", c.GraphMeta())
		}
		return nil
	})
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		return c.SetGraphMeta(nil)
	})
	mustView(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		if c.GraphMeta() != nil {
			t.Error("SetGraphMeta(nil) kept the blob")
		}
		return nil
	})
}

// snapshot is everything a collection holds, for comparing across reopen,
// backup and compaction.
type snapshot struct {
	Config  store.Config
	Len     int
	Records []store.Record // in ForEach order
	Nodes   map[uint32]string
	Meta    string
}

func takeSnapshot(t testing.TB, db *store.DB, name string) snapshot {
	t.Helper()
	var s snapshot
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		s.Config, s.Len, s.Meta, s.Nodes = c.Config(), c.Len(), string(c.GraphMeta()), map[uint32]string{}
		if err := c.ForEach(func(r *store.Record) error {
			cp := *r
			cp.Vector = slices.Clone(r.Vector)
			cp.Metadata = bytes.Clone(r.Metadata)
			s.Records = append(s.Records, cp)
			return nil
		}); err != nil {
			return err
		}
		return c.ForEachNode(func(id uint32, node []byte) error {
			s.Nodes[id] = string(node)
			return nil
		})
	})
	return s
}

func TestReopenIdentical(t *testing.T) {
	path := filepath.Join(t.TempDir(), "re.vecbolt")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fillRandom(t, db, "c", 8, 300)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		for i := 0; i < 300; i += 7 {
			if _, err := c.Delete(fmt.Sprintf("k%d", i)); err != nil {
				return err
			}
			if err := c.DeleteNode(uint32(i)); err != nil {
				return err
			}
		}
		return c.Put(&store.Record{ID: 3, Key: "k3", Vector: []float32{1, 2, 3, 4, 5, 6, 7, 8}, Metadata: json.RawMessage(`{"replaced":true}`)})
	})
	before := takeSnapshot(t, db, "c")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		db, err := store.Open(path, store.Options{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		after := takeSnapshot(t, db, "c")
		if !reflect.DeepEqual(before, after) {
			t.Errorf("ReadOnly=%v: data differs after reopen", ro)
		}
		if err := db.Check(context.Background()); err != nil {
			t.Error(err)
		}
		db.Close()
	}
	if before.Len != 300-43 || len(before.Records) != before.Len || len(before.Nodes) != before.Len {
		t.Errorf("Len %d, records %d, nodes %d", before.Len, len(before.Records), len(before.Nodes))
	}
}

// TestRandomOpsAgainstModel applies seeded random puts, replaces, deletes
// and id reuse, and compares the collection with a plain map model after
// every transaction; Check must pass throughout.
func TestRandomOpsAgainstModel(t *testing.T) {
	db := openTemp(t)
	const dim = 3
	type entry struct {
		id  uint32
		seq uint64
		vec []float32
	}
	model := map[string]entry{}
	var order []string // keys by seq
	free := []uint32{}
	nextID := uint32(0)
	rng := rand.New(rand.NewPCG(42, 43))
	mustUpdate(t, db, func(tx *store.Tx) error {
		_, err := tx.CreateCollection("m", store.Config{Dim: dim, Metric: store.L2})
		return err
	})
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, _ := tx.Collection("m")
			for range 50 {
				key := fmt.Sprintf("k%d", rng.IntN(150))
				vec := randVec(rng, dim)
				e, exists := model[key]
				switch op := rng.IntN(3); {
				case op < 2 && exists: // replace
					r := &store.Record{ID: e.id, Key: key, Vector: vec}
					if err := c.Put(r); err != nil {
						return err
					}
					if r.Seq != e.seq {
						t.Fatalf("replace changed seq")
					}
					e.vec = vec
					model[key] = e
				case op < 2: // insert, reusing freed ids first
					id := nextID
					if len(free) > 0 {
						id, free = free[len(free)-1], free[:len(free)-1]
					} else {
						nextID++
					}
					r := &store.Record{ID: id, Key: key, Vector: vec}
					if err := c.Put(r); err != nil {
						return err
					}
					model[key] = entry{id, r.Seq, vec}
					order = append(order, key)
				case exists: // delete
					id, err := c.Delete(key)
					if err != nil {
						return err
					}
					if id != e.id {
						t.Fatalf("Delete returned id %d, want %d", id, e.id)
					}
					delete(model, key)
					order = slices.DeleteFunc(order, func(k string) bool { return k == key })
					free = append(free, id)
				}
			}
			return nil
		})
		if err := db.Check(context.Background()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	mustView(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("m")
		if c.Len() != len(model) {
			t.Errorf("Len %d, model %d", c.Len(), len(model))
		}
		var got []string
		err := c.ForEach(func(r *store.Record) error {
			got = append(got, r.Key)
			e := model[r.Key]
			if r.ID != e.id || r.Seq != e.seq || !slices.Equal(r.Vector, e.vec) {
				t.Errorf("%s: got id %d seq %d %v, model %+v", r.Key, r.ID, r.Seq, r.Vector, e)
			}
			return nil
		})
		if !slices.Equal(got, order) {
			t.Errorf("order differs from model:\n got %q\nwant %q", got, order)
		}
		return err
	})
}

func TestPutBatch(t *testing.T) {
	db := openTemp(t)
	const n = 3000
	recs := make([]store.Record, n)
	for i := range recs {
		// Keys in an order unrelated to ids, ids not in input order.
		recs[i] = store.Record{ID: uint32((i * 7919) % n), Key: fmt.Sprintf("w%05d", (i*104729)%n), Vector: []float32{float32(i + 1), 2}}
		if i%10 == 0 {
			recs[i].Metadata = []byte(fmt.Sprintf(`{"i":%d}`, i))
		}
	}
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.Cosine})
		if err != nil {
			return err
		}
		return c.PutBatch(recs)
	})
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d got seq %d, want %d (input order)", i, r.Seq, i+1)
		}
	}
	mustView(t, db, func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		if c.Len() != n {
			t.Fatalf("Len = %d", c.Len())
		}
		i := 0
		err = c.ForEach(func(r *store.Record) error {
			want := recs[i]
			if r.Key != want.Key || r.ID != want.ID || r.Vector[0] != want.Vector[0] || string(r.Metadata) != string(want.Metadata) {
				t.Fatalf("record %d = %+v, want %+v", i, *r, want)
			}
			i++
			return nil
		})
		return err
	})
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Duplicates and invalid records are refused before anything is written.
	for _, bad := range [][]store.Record{
		{{ID: 5000, Key: "a", Vector: []float32{1, 1}}, {ID: 5001, Key: "a", Vector: []float32{1, 1}}},
		{{ID: 5000, Key: "a", Vector: []float32{1, 1}}, {ID: 5000, Key: "b", Vector: []float32{1, 1}}},
		{{ID: 5000, Key: "a", Vector: []float32{1, 1}}, {ID: 5001, Key: "b", Vector: []float32{0, 0}}},
	} {
		err := db.Update(func(tx *store.Tx) error {
			c, err := tx.Collection("c")
			if err != nil {
				return err
			}
			return c.PutBatch(bad)
		})
		if err == nil {
			t.Fatalf("batch %v accepted", bad)
		}
		mustView(t, db, func(tx *store.Tx) error {
			c, _ := tx.Collection("c")
			if c.Len() != n || c.Has("a") {
				t.Fatalf("rejected batch changed the collection")
			}
			return nil
		})
	}
}
