package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// spillFixture spills n records into a new staged collection in batches of
// 700 (cosine keeps the vectors in the spill when vectors is set) and
// returns its hidden name, the records in insertion order (Seq set), and
// their vectors.
func spillFixture(t *testing.T, db *store.DB, metric string, n int, vectors bool) (string, []store.Record) {
	t.Helper()
	r := rand.New(rand.NewPCG(9, 9))
	var hidden string
	mustUpdate(t, db, func(tx *store.Tx) error {
		var err error
		hidden, _, err = tx.CreateStaged("c", store.Config{Dim: 4, Metric: metric})
		return err
	})
	recs := make([]store.Record, n)
	for i := range recs {
		recs[i] = store.Record{Key: fmt.Sprintf("k%05d", (i*7919)%n), Vector: randVec(r, 4)}
		if i%3 == 0 {
			recs[i].Metadata = []byte(fmt.Sprintf(`{"i":%d}`, i))
		}
	}
	for lo := 0; lo < n; lo += 700 {
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, err := tx.Collection(hidden)
			if err != nil {
				return err
			}
			return c.SpillBatch(recs[lo:min(lo+700, n)], vectors)
		})
	}
	return hidden, recs
}

// TestWriteSpilled spills records, writes them under reversed ids with
// nodes naming the ids, and checks every record (vector bit for bit,
// norm, metadata, Seq, id), the insertion order, the nodes and Check,
// under l2 (vectors from the caller) and cosine (from the spill).
func TestWriteSpilled(t *testing.T) {
	for _, metric := range []string{store.L2, store.Cosine} {
		t.Run(metric, func(t *testing.T) {
			db := openTemp(t)
			const n = 3000 // more than one block
			hidden, recs := spillFixture(t, db, metric, n, metric == store.Cosine)
			mustView(t, db, func(tx *store.Tx) error { // nothing under an id yet
				c, err := tx.Collection(hidden)
				if err != nil {
					return err
				}
				if c.Len() != n || c.NextSeq() != n+1 {
					t.Errorf("Len %d NextSeq %d after spilling %d", c.Len(), c.NextSeq(), n)
				}
				if _, err := c.Get(recs[0].Key); !errors.Is(err, store.ErrKeyNotFound) {
					t.Errorf("Get of a spilled record: %v", err)
				}
				return nil
			})
			keys, seqs := make([]string, n), make([]uint64, n)
			idOf := map[string]uint32{}
			for i, r := range recs {
				id := uint32(n - 1 - i)
				keys[id], seqs[id], idOf[r.Key] = r.Key, r.Seq, id
				if r.Seq != uint64(i+1) {
					t.Fatalf("record %d got Seq %d", i, r.Seq)
				}
			}
			vector := func(id uint32) []float32 {
				if metric == store.Cosine {
					t.Fatalf("vector of %d asked for under cosine", id)
				}
				return recs[n-1-int(id)].Vector
			}
			node := func(id uint32, dst []byte) []byte { return fmt.Appendf(dst, "node %d", id) }
			if err := db.WriteSpilled(context.Background(), hidden, keys, seqs, vector, node, []byte("gm")); err != nil {
				t.Fatal(err)
			}
			mustUpdate(t, db, func(tx *store.Tx) error { return tx.CommitStaged(hidden, "c") })
			if err := db.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
			mustView(t, db, func(tx *store.Tx) error {
				c, err := tx.Collection("c")
				if err != nil {
					return err
				}
				if string(c.GraphMeta()) != "gm" {
					t.Errorf("graph meta %q", c.GraphMeta())
				}
				for _, w := range recs {
					r, err := c.Get(w.Key)
					if err != nil {
						t.Fatal(err)
					}
					if r.ID != idOf[w.Key] || r.Seq != w.Seq || r.Norm != w.Norm || !reflect.DeepEqual(r.Vector, w.Vector) || string(r.Metadata) != string(w.Metadata) {
						t.Fatalf("key %s: %+v, want id %d %+v", w.Key, r, idOf[w.Key], w)
					}
					if metric == store.Cosine && r.Norm == 0 {
						t.Fatalf("key %s: no norm under cosine", w.Key)
					}
					if got, want := string(c.Node(r.ID)), fmt.Sprintf("node %d", r.ID); got != want {
						t.Fatalf("node %d = %q", r.ID, got)
					}
				}
				i := 0
				return c.ForEach(func(r *store.Record) error {
					if r.Key != recs[i].Key {
						t.Fatalf("insertion order: %d is %q, want %q", i, r.Key, recs[i].Key)
					}
					i++
					return nil
				})
			})
		})
	}
}

// TestWriteSpilledRefusesBadTables: keys and Seqs that do not match the
// spilled records one to one are refused with ErrPermutation; spilling
// into a collection that is not staged, or a bad vector, is refused.
func TestWriteSpilledRefusesBadTables(t *testing.T) {
	db := openTemp(t)
	const n = 50
	hidden, recs := spillFixture(t, db, store.L2, n, false)
	good := func() ([]string, []uint64) {
		keys, seqs := make([]string, n), make([]uint64, n)
		for i, r := range recs {
			keys[i], seqs[i] = r.Key, r.Seq
		}
		return keys, seqs
	}
	vector := func(id uint32) []float32 { return recs[id].Vector }
	for name, edit := range map[string]func(k []string, s []uint64) ([]string, []uint64){
		"a key missing":  func(k []string, s []uint64) ([]string, []uint64) { k[3] = ""; return k, s },
		"a key twice":    func(k []string, s []uint64) ([]string, []uint64) { k[3] = k[4]; return k, s },
		"a Seq twice":    func(k []string, s []uint64) ([]string, []uint64) { s[3] = s[4]; return k, s },
		"a Seq of 0":     func(k []string, s []uint64) ([]string, []uint64) { s[3] = 0; return k, s },
		"a Seq too high": func(k []string, s []uint64) ([]string, []uint64) { s[3] = n + 1; return k, s },
		"too few Seqs":   func(k []string, s []uint64) ([]string, []uint64) { return k, s[:n-1] },
		"an extra key":   func(k []string, s []uint64) ([]string, []uint64) { return append(k, "x"), append(s, n+1) },
		"no vector for id": func(k []string, s []uint64) ([]string, []uint64) {
			return append(k[:n-1:n-1], "", recs[n-1].Key), append(s[:n-1:n-1], 0, s[n-1])
		},
	} {
		keys, seqs := edit(good())
		err := db.WriteSpilled(context.Background(), hidden, keys, seqs, func(id uint32) []float32 {
			if int(id) >= n {
				return nil
			}
			return vector(id)
		}, nil, nil)
		if !errors.Is(err, store.ErrPermutation) {
			t.Errorf("%s: %v, want ErrPermutation", name, err)
		}
	}
	// Spilling into a collection that is not staged, and a bad vector.
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("plain", store.Config{Dim: 4, Metric: store.L2})
		if err != nil {
			return err
		}
		if err := c.SpillBatch([]store.Record{{Key: "a", Vector: []float32{1, 2, 3, 4}}}, false); !errors.Is(err, store.ErrInvalidName) {
			t.Errorf("spill into a collection that is not staged: %v", err)
		}
		s, err := tx.Collection(hidden)
		if err != nil {
			return err
		}
		var dim *store.DimensionError
		if err := s.SpillBatch([]store.Record{{Key: "b", Vector: []float32{1}}}, false); !errors.As(err, &dim) {
			t.Errorf("spill of a short vector: %v", err)
		}
		if err := s.SpillBatch([]store.Record{{Key: "c", Vector: []float32{1, 2, 3, 4}, Metadata: []byte("[1]")}}, false); !errors.Is(err, store.ErrInvalidMetadata) {
			t.Errorf("spill of bad metadata: %v", err)
		}
		if s.Len() != n {
			t.Errorf("Len %d after refused spills, want %d", s.Len(), n)
		}
		return nil
	})
}
