package query_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// Whole-file fuzzing: a damaged database must give an error from Open,
// from loading a collection or from Check, or pass Check and then serve
// reads; never panic, crash or hang. Run longer with
//
//	go test -run='^$' -fuzz=FuzzCorruptFile -fuzztime=5m ./query
//	go test -run='^$' -fuzz=FuzzLoadGraph -fuzztime=5m ./query

// fuzzTemplate is a small healthy database: collection "c" (cosine, dim 4,
// 60 records, 10 deleted) and "d" (l2, dim 3, 20 records).
var fuzzTemplate = struct {
	once sync.Once
	data []byte
	node []byte // stored bytes of graph node 5 of "c"
	err  error
}{}

func fuzzTemplateBytes(t testing.TB) []byte {
	fuzzTemplate.once.Do(func() {
		dir, err := os.MkdirTemp(testDir, "fuzz-template")
		if err != nil {
			fuzzTemplate.err = err
			return
		}
		path := filepath.Join(dir, "t.db")
		fuzzTemplate.err = func() error {
			db, err := query.Open(path, query.Options{NoSync: true})
			if err != nil {
				return err
			}
			defer db.Close()
			r := rand.New(rand.NewPCG(1, 2))
			for _, col := range []struct {
				name string
				cfg  query.CollectionConfig
				n    int
			}{
				{"c", query.CollectionConfig{Dim: 4, M: 4, EfConstruction: 16, Seed: 1}, 60},
				{"d", query.CollectionConfig{Dim: 3, Metric: query.L2, M: 4, EfConstruction: 16, Seed: 2}, 20},
			} {
				c, err := db.CreateCollection(ctx, col.name, col.cfg)
				if err != nil {
					return err
				}
				recs := make([]query.Record, col.n)
				for i := range recs {
					v := make([]float32, col.cfg.Dim)
					for j := range v {
						v[j] = float32(r.NormFloat64())
					}
					recs[i] = query.Record{Key: fmt.Sprintf("%s%d", col.name, i), Vector: v, Metadata: []byte(fmt.Sprintf(`{"i":%d}`, i))}
				}
				if err := c.UpsertBatch(ctx, recs, query.BatchOptions{Workers: 1}); err != nil {
					return err
				}
			}
			c, _ := db.Collection(ctx, "c")
			for i := 20; i < 30; i++ {
				if _, err := c.Delete(ctx, fmt.Sprintf("c%d", i)); err != nil {
					return err
				}
			}
			return db.Store().View(func(tx *store.Tx) error {
				sc, err := tx.Collection("c")
				if err != nil {
					return err
				}
				fuzzTemplate.node = sc.Node(5)
				return nil
			})
		}()
		if fuzzTemplate.err == nil {
			fuzzTemplate.data, fuzzTemplate.err = os.ReadFile(path)
		}
	})
	if fuzzTemplate.err != nil {
		t.Fatal(fuzzTemplate.err)
	}
	return fuzzTemplate.data
}

// withDeadline runs fn and fails the test if it has not returned after d,
// printing every goroutine (a hang is a bug, like a panic).
func withDeadline(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		fn()
	}()
	select {
	case r := <-done:
		if r != nil {
			buf := make([]byte, 1<<16)
			t.Fatalf("panic: %v\n%s", r, buf[:runtime.Stack(buf, false)])
		}
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		t.Fatalf("no answer after %v:\n%s", d, buf[:runtime.Stack(buf, true)])
	}
}

// exercise opens path and, if Open, loading and Check all succeed, reads
// everything: a file that passes Check must serve reads.
func exercise(t *testing.T, path string) {
	db, err := query.Open(path, query.Options{ReadOnly: true, Timeout: -1})
	if err != nil {
		return
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return
	}
	names, err := db.Collections()
	if err != nil {
		t.Fatalf("Check passed, Collections: %v", err)
	}
	for _, n := range names {
		c, err := db.Collection(ctx, n)
		if err != nil {
			t.Fatalf("Check passed, Collection(%q): %v", n, err)
		}
		q := make([]float32, c.Config().Dim)
		q[0] = 1
		if _, err := c.Search(ctx, q, 5, query.SearchOptions{}); err != nil {
			t.Fatalf("Check passed, Search: %v", err)
		}
		if err := c.ForEach(ctx, func(query.Record) error { return nil }); err != nil {
			t.Fatalf("Check passed, ForEach: %v", err)
		}
	}
}

// FuzzCorruptFile flips bytes of a healthy database file. The input is a
// list of 4-byte flips: a 24-bit little-endian offset (modulo the file
// size) and a byte to XOR there (0 means 0xFF).
func FuzzCorruptFile(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x10, 0x00, 0x00, 0x01})                         // meta page 0
	f.Add([]byte{0x10, 0x00, 0x00, 0x01, 0x10, 0x10, 0x00, 0x01}) // both meta pages
	f.Add([]byte{0x00, 0x20, 0x00, 0xff, 0x08, 0x30, 0x00, 0x04}) // page headers
	f.Add([]byte{0x40, 0x50, 0x00, 0x80, 0x44, 0x60, 0x00, 0x80, 0x48, 0x70, 0x00, 0x80})
	f.Fuzz(func(t *testing.T, flips []byte) {
		data := append([]byte(nil), fuzzTemplateBytes(t)...)
		for i := 0; i+4 <= len(flips) && i < 4*64; i += 4 {
			off := int(uint32(flips[i]) | uint32(flips[i+1])<<8 | uint32(flips[i+2])<<16)
			x := flips[i+3]
			if x == 0 {
				x = 0xff
			}
			data[off%len(data)] ^= x
		}
		path := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		withDeadline(t, 20*time.Second, func() { exercise(t, path) })
	})
}

// FuzzLoadGraph writes arbitrary graph bytes through the store's API (node
// id, node bytes, graph meta), below what the query layer would ever write,
// and checks that loading gives an error or a graph that passes Check.
func FuzzLoadGraph(f *testing.F) {
	node := func() []byte { fuzzTemplateBytes(f); return fuzzTemplate.node }()
	f.Add(uint32(5), node, []byte(nil))
	f.Add(uint32(25), node, []byte(nil))           // a deleted slot
	f.Add(uint32(0xFFFFFF00), node, []byte(nil))   // far beyond every record
	f.Add(uint32(5), []byte{0}, []byte(nil))       // no links
	f.Add(uint32(5), []byte{1, 0, 0}, []byte(nil)) // truncated
	f.Add(uint32(5), node, []byte{1, 0, 4, 0, 0, 0})
	f.Add(uint32(7), append([]byte{0, 1, 0}, binary.LittleEndian.AppendUint32(nil, 7)...), []byte(nil)) // self-loop
	f.Fuzz(func(t *testing.T, id uint32, node, meta []byte) {
		path := filepath.Join(t.TempDir(), "g.db")
		if err := os.WriteFile(path, fuzzTemplateBytes(t), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(path, store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Update(func(tx *store.Tx) error {
			sc, err := tx.Collection("c")
			if err != nil {
				return err
			}
			if len(node) > 0 {
				if err := sc.PutNode(id, node); err != nil {
					return err
				}
			} else if err := sc.DeleteNode(id); err != nil {
				return err
			}
			if len(meta) > 0 {
				return sc.SetGraphMeta(meta)
			}
			return nil
		})
		st.Close()
		if err != nil {
			return // the store refused the bytes
		}
		withDeadline(t, 20*time.Second, func() { exercise(t, path) })
	})
}
