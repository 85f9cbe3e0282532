package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/store"
)

// words splits s on spaces and counts: a stand-in tokenizer, so these
// tests need nothing from package query.
func words(s string) *store.Text {
	m := map[string]int{}
	ws := strings.Fields(s)
	for _, w := range ws {
		m[w]++
	}
	t := &store.Text{Text: s, Len: len(ws)}
	for w, f := range m {
		t.Terms = append(t.Terms, store.TermFreq{Term: w, Freq: f})
	}
	return t
}

// textModel is what the store should hold, kept independently.
type textModel map[uint32]string

func (m textModel) verify(t *testing.T, c *store.Collection) {
	t.Helper()
	df := map[string]int64{}
	post := map[string]map[uint32][2]int{}
	var st store.TextStats
	for id, s := range m {
		got, ok, err := c.Text(id)
		if err != nil || !ok || got != s {
			t.Fatalf("Text(%d) = %q, %t, %v; want %q", id, got, ok, err, s)
		}
		ws := strings.Fields(s)
		if len(ws) > 0 {
			st.Docs++
			st.Tokens += uint64(len(ws))
		}
		seen := map[string]int{}
		for _, w := range ws {
			seen[w]++
		}
		for w, f := range seen {
			df[w]++
			if post[w] == nil {
				post[w] = map[uint32][2]int{}
			}
			post[w][id] = [2]int{f, len(ws)}
		}
	}
	if got, err := c.TextStats(); err != nil || got != st {
		t.Fatalf("TextStats = %+v, %v; want %+v", got, err, st)
	}
	for w, want := range post {
		if got, err := c.DocFreq(w); err != nil || got != df[w] {
			t.Fatalf("DocFreq(%q) = %d, %v; want %d", w, got, err, df[w])
		}
		got := map[uint32][2]int{}
		var ids []uint32
		if err := c.Postings(w, func(id uint32, f, l int) error {
			got[id] = [2]int{f, l}
			ids = append(ids, id)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(ids) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Postings(%q) = %v (order %v), want %v", w, got, ids, want)
		}
	}
	for _, w := range []string{"absent", "zzz"} {
		if n, _ := c.DocFreq(w); n != 0 {
			t.Fatalf("DocFreq(%q) = %d", w, n)
		}
	}
}

// TestTextPostingsExact: random puts, replacements and deletes keep the
// texts, postings, document frequencies and statistics equal to a model,
// and Check passes.
func TestTextPostingsExact(t *testing.T) {
	db := openTemp(t)
	rng := rand.New(rand.NewPCG(3, 4))
	vocab := []string{"a", "b", "c", "d", "e", "f", "g"}
	model := textModel{}
	mustUpdate(t, db, func(tx *store.Tx) error {
		_, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.L2})
		return err
	})
	for round := range 30 {
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, err := tx.Collection("c")
			if err != nil {
				return err
			}
			for range 5 {
				id := uint32(rng.IntN(12))
				key := fmt.Sprintf("k%d", id)
				if _, ok := model[id]; ok && rng.IntN(3) == 0 {
					if _, err := c.Delete(key); err != nil {
						return err
					}
					delete(model, id)
					continue
				}
				var ws []string
				for range rng.IntN(6) {
					ws = append(ws, vocab[rng.IntN(len(vocab))])
				}
				s := strings.Join(ws, " ")
				if err := c.Put(&store.Record{ID: id, Key: key, Vector: []float32{float32(round), 1}}); err != nil {
					return err
				}
				if err := c.PutText(id, words(s)); err != nil {
					return err
				}
				model[id] = s
			}
			model.verify(t, c)
			return nil
		})
	}
	// Batches: PutTexts writes many texts (new and replacing) at once.
	for round := range 10 {
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, err := tx.Collection("c")
			if err != nil {
				return err
			}
			var ids []uint32
			var texts []*store.Text
			for id := uint32(round % 3); id < 40; id += 1 + uint32(rng.IntN(3)) {
				var ws []string
				for range rng.IntN(8) {
					ws = append(ws, vocab[rng.IntN(len(vocab))])
				}
				s := strings.Join(ws, " ")
				if err := c.Put(&store.Record{ID: id, Key: fmt.Sprintf("k%d", id), Vector: []float32{1, 1}}); err != nil {
					return err
				}
				ids = append(ids, id)
				texts = append(texts, words(s))
				model[id] = s
			}
			if err := c.PutTexts(ids, texts); err != nil {
				return err
			}
			model.verify(t, c)
			if err := c.PutTexts([]uint32{1, 1}, []*store.Text{words("a"), words("b")}); !errors.Is(err, store.ErrInvalidText) {
				t.Errorf("id twice: err = %v", err)
			}
			return nil
		})
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestTextChunks: chunks share one stored document, read back as their
// spans; deleting the last chunk deletes the document.
func TestTextChunks(t *testing.T) {
	db := openTemp(t)
	doc := "one two three four five"
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.L2})
		if err != nil {
			return err
		}
		for i, span := range [][2]int{{0, 13}, {8, 23}} {
			key := fmt.Sprintf("d#%d", i)
			if err := c.Put(&store.Record{ID: uint32(i), Key: key, Vector: []float32{1, 2}}); err != nil {
				return err
			}
			tx := words(doc[span[0]:span[1]])
			tx.Text, tx.Doc, tx.DocText, tx.Start, tx.End = "", "d", doc, span[0], span[1]
			if err := c.PutText(uint32(i), tx); err != nil {
				return err
			}
		}
		// A chunk claiming another text for the same document is refused.
		bad := &store.Text{Doc: "d", DocText: "other", Start: 0, End: 5}
		if err := c.PutText(5, bad); !errors.Is(err, store.ErrInvalidText) {
			t.Errorf("conflicting document text: err = %v", err)
		}
		return nil
	})
	mustView(t, db, func(tx *store.Tx) error {
		c, _ := tx.Collection("c")
		text, n, ok, err := c.Document("d")
		if err != nil || !ok || n != 2 || text != doc {
			t.Fatalf("Document = %q, %d, %t, %v", text, n, ok, err)
		}
		ti, ok, err := c.TextInfo(1)
		if err != nil || !ok || ti.Text != "three four five" || ti.Doc != "d" || ti.Start != 8 || ti.End != 23 {
			t.Fatalf("TextInfo(1) = %+v, %t, %v", ti, ok, err)
		}
		return nil
	})
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, left := range []int{1, 0} {
		mustUpdate(t, db, func(tx *store.Tx) error {
			c, _ := tx.Collection("c")
			_, err := c.Delete(fmt.Sprintf("d#%d", i))
			return err
		})
		mustView(t, db, func(tx *store.Tx) error {
			c, _ := tx.Collection("c")
			_, n, ok, _ := c.Document("d")
			if ok != (left > 0) || n != left {
				t.Fatalf("after deleting chunk %d: document has %d chunks (present %t), want %d", i, n, ok, left)
			}
			return nil
		})
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestTextInvalid: PutText refuses bad input with ErrInvalidText.
func TestTextInvalid(t *testing.T) {
	db := openTemp(t)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.L2})
		if err != nil {
			return err
		}
		for name, tt := range map[string]*store.Text{
			"utf8":       {Text: "a\xff"},
			"empty term": {Text: "a", Terms: []store.TermFreq{{"", 1}}, Len: 1},
			"zero freq":  {Text: "a", Terms: []store.TermFreq{{"a", 0}}, Len: 1},
			"twice":      {Text: "a a", Terms: []store.TermFreq{{"a", 1}, {"a", 1}}, Len: 2},
			"short len":  {Text: "a a", Terms: []store.TermFreq{{"a", 2}}, Len: 1},
			"long term":  {Text: "a", Terms: []store.TermFreq{{strings.Repeat("a", store.MaxTermLen+1), 1}}, Len: 1},
			"span":       {Doc: "d", DocText: "abc", Start: 2, End: 4},
			"doc utf8":   {Doc: "d", DocText: "a\xff", Start: 0, End: 1},
		} {
			if err := c.PutText(1, tt); !errors.Is(err, store.ErrInvalidText) {
				t.Errorf("%s: err = %v, want ErrInvalidText", name, err)
			}
		}
		return nil
	})
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestTextCheckFindsDamage: Check reports a missing posting, a wrong
// document frequency, wrong statistics and a text without a record.
func TestTextCheckFindsDamage(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		damage     func(col *bolt.Bucket) error
	}{
		{"posting", "no valid posting", func(col *bolt.Bucket) error {
			b := col.Bucket([]byte("postings"))
			k, _ := b.Cursor().First()
			return b.Delete(k)
		}},
		{"df", "document frequency", func(col *bolt.Bucket) error {
			return col.Bucket([]byte("terms")).Delete([]byte("fox"))
		}},
		{"stats", "text statistics", func(col *bolt.Bucket) error {
			return col.Delete([]byte("textstats"))
		}},
		{"orphan", "no record", func(col *bolt.Bucket) error {
			return col.Bucket([]byte("records")).Delete(binary.BigEndian.AppendUint32(nil, 1))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.vecbolt")
			db, err := store.Open(path, store.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			mustUpdate(t, db, func(tx *store.Tx) error {
				c, err := tx.CreateCollection("c", store.Config{Dim: 2, Metric: store.L2})
				if err != nil {
					return err
				}
				for i, s := range []string{"the quick fox", "the lazy dog"} {
					if err := c.Put(&store.Record{ID: uint32(i), Key: fmt.Sprint(i), Vector: []float32{1, 1}}); err != nil {
						return err
					}
					if err := c.PutText(uint32(i), words(s)); err != nil {
						return err
					}
				}
				return nil
			})
			if err := db.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
			db.Close()
			b, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Update(func(btx *bolt.Tx) error {
				cols := btx.Bucket([]byte("vecbolt")).Bucket([]byte("collections"))
				k, _ := cols.Cursor().First()
				col := cols.Bucket(k)
				return tc.damage(col)
			}); err != nil {
				t.Fatal(err)
			}
			b.Close()
			db, err = store.Open(path, store.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.Check(context.Background())
			if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want a report containing %q", err, tc.want)
			}
		})
	}
}
