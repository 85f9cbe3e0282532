package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/vecbolt/vecbolt/store"
)

func Example() {
	dir, err := os.MkdirTemp("", "vecbolt-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := store.Open(filepath.Join(dir, "words.vecbolt"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// Write: everything in one Update commits together.
	err = db.Update(func(tx *store.Tx) error {
		c, err := tx.CreateCollection("words", store.Config{Dim: 2, Metric: store.Cosine, M: 16, EfConstruction: 200, Ef: 64})
		if err != nil {
			return err
		}
		for i, w := range []string{"king", "queen", "man"} {
			r := &store.Record{ID: uint32(i), Key: w, Vector: []float32{float32(i + 1), 4}, Metadata: []byte(`{"pos":"noun"}`)}
			if err := c.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	// Read.
	err = db.View(func(tx *store.Tx) error {
		c, err := tx.Collection("words")
		if err != nil {
			return err
		}
		r, err := c.Get("queen")
		if err != nil {
			return err
		}
		fmt.Printf("%s: id %d, seq %d, norm %.3f, vector [%.3f %.3f], %s\n", r.Key, r.ID, r.Seq, r.Norm, r.Vector[0], r.Vector[1], r.Metadata)
		fmt.Println("records:", c.Len())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("check:", db.Check(context.Background()))
	// Output:
	// queen: id 1, seq 2, norm 4.472, vector [2.000 4.000], {"pos":"noun"}
	// records: 3
	// check: <nil>
}

func ExampleCollection_ForEach() {
	dir, err := os.MkdirTemp("", "vecbolt-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "order.vecbolt"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	err = db.Update(func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 1, Metric: store.L2})
		if err != nil {
			return err
		}
		for _, r := range []store.Record{{ID: 9, Key: "the"}, {ID: 3, Key: "of"}, {ID: 5, Key: "and"}} {
			r.Vector = []float32{float32(r.ID)}
			if err := c.Put(&r); err != nil {
				return err
			}
		}
		if _, err := c.Delete("of"); err != nil {
			return err
		}
		return c.Put(&store.Record{ID: 3, Key: "of", Vector: []float32{3}}) // back, now last
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = db.View(func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		return c.ForEach(func(r *store.Record) error {
			fmt.Println(r.Seq, r.Key, r.ID)
			return nil
		})
	})
	// Output:
	// 1 the 9
	// 3 and 5
	// 4 of 3
}
