package query

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// TestReadOnlyInt8ReadsRowsThroughFile: a read-only open of an INT8
// collection holds its codes and packed level-0 lists and nothing more
// (no float32 slab, no writers' state, no exact vector in RAM, as the
// graph and the views report them; the lists' bytes as computed here from
// the layout); with Options.LeanReads it reads the exact rows of its
// re-ranking through the file (positioned reads, not the mapping). Both
// answer with the exact scores: the same results, bit for bit, as an open
// that leaves the lists at their fixed stride (fixedLists), and the
// scores of a brute force over the exact vectors written out here.
func TestReadOnlyInt8ReadsRowsThroughFile(t *testing.T) {
	ctx := context.Background()
	const n, dim, k = 1500, 16, 10
	r := rand.New(rand.NewPCG(41, 1))
	vecs := make([][]float32, n+20)
	for i := range vecs {
		vecs[i] = make([]float32, dim)
		for j := range vecs[i] {
			vecs[i][j] = float32(r.NormFloat64())
		}
	}
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCollection(ctx, "c", CollectionConfig{Dim: dim, Metric: L2, Quantize: "int8", M: 8, EfConstruction: 64})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Key: fmt.Sprint("k", i), Vector: vecs[i]}
	}
	if err := c.UpsertBatch(ctx, recs, BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	open := func(lean, fixed bool) *Collection {
		t.Helper()
		db, err := Open(path, Options{ReadOnly: true, LeanReads: lean})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fixedLists.Store(fixed)
		defer fixedLists.Store(false)
		c, err := db.Collection(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rc, mc, fc := open(true, false), open(false, false), open(false, true)
	rc.mu.RLock()
	mem, fileBacked, viaFile := rc.g.Memory(), rc.qx.cur.FileBacked(), rc.qx.rf != nil
	rc.mu.RUnlock()
	if !fileBacked || !viaFile {
		t.Fatalf("lean read-only INT8 open: rows read through the file %t/%t, want true", fileBacked, viaFile)
	}
	if !rc.g.Packed() || !mc.g.Packed() || fc.g.Packed() {
		t.Fatalf("level-0 lists packed: lean %t, default %t, fixed %t; want true, true, false", rc.g.Packed(), mc.g.Packed(), fc.g.Packed())
	}
	if mem.Vectors != 0 || mem.Writers != 0 || mem.Codes == 0 {
		t.Fatalf("read-only INT8 open holds %+v: want codes, no float32 slab, no writers' state", mem)
	}
	if info := rc.Encoding(); info.Encoding != "int8" || info.ExactInRAM != 0 {
		t.Fatalf("Encoding() = %+v, want int8 with no exact vector in RAM", info)
	}
	if mc.qx.rf != nil || mc.qx.cur.FileBacked() || fc.qx.rf != nil {
		t.Fatal("an open without LeanReads reads its rows through the file")
	}
	// The lists' bytes from the layout: packed, a count and the links of
	// every slot and an offset a slot and one more; fixed, 2M+1 words a
	// slot (M 8).
	st := fc.g.Stats()
	slots, links := int64(st.Capacity), int64(st.Levels[0].Links)
	for name, c := range map[string]*Collection{"lean": rc, "default": mc} {
		if got, want := c.g.Memory().Level0, 4*(slots+links+slots+1); got != want {
			t.Errorf("%s open: level-0 lists take %d bytes, want %d (packed)", name, got, want)
		}
	}
	if got, want := fc.g.Memory().Level0, 4*(2*8+1)*slots; got != want || fc.g.Memory().Vectors != 0 {
		t.Errorf("fixed lists: %d bytes, want %d; float32 slab %d", got, want, fc.g.Memory().Vectors)
	}

	for qi, q := range vecs[n:] {
		for _, opts := range []SearchOptions{{Ef: 48}, {Ef: 48, Oversample: 5}, {Exact: true}} {
			got, err := rc.Search(ctx, q, k, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, other := range []struct {
				name string
				c    *Collection
			}{{"through the mapping, packed", mc}, {"through the mapping, fixed stride", fc}} {
				res, err := other.c.Search(ctx, q, k, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != k || len(res) != k {
					t.Fatalf("query %d %+v: %d and %d results", qi, opts, len(got), len(res))
				}
				for i := range got {
					if got[i].Key != res[i].Key || math.Float32bits(got[i].Score) != math.Float32bits(res[i].Score) {
						t.Fatalf("query %d %+v result %d: %v lean, %v %s", qi, opts, i, got[i], res[i], other.name)
					}
				}
			}
			// Brute force over the exact vectors, in float64.
			type hit struct {
				key  string
				dist float64
			}
			all := make([]hit, n)
			for i, v := range vecs[:n] {
				var d float64
				for j := range v {
					x := float64(q[j]) - float64(v[j])
					d += x * x
				}
				all[i] = hit{fmt.Sprint("k", i), math.Sqrt(d)}
			}
			sort.Slice(all, func(a, b int) bool { return all[a].dist < all[b].dist })
			exact := map[string]float64{}
			for _, h := range all {
				exact[h.key] = h.dist
			}
			for i, res := range got {
				if want := exact[res.Key]; math.Abs(float64(res.Score)-want) > 1e-5*max(1, want) {
					t.Fatalf("query %d %+v: %s scores %v, exact %v", qi, opts, res.Key, res.Score, want)
				}
				if opts.Exact && res.Key != all[i].key {
					t.Fatalf("query %d exact scan result %d: %s, brute force %s", qi, i, res.Key, all[i].key)
				}
			}
		}
	}
}

// TestReadOnlyInt8TruncatedFile: a lean read-only database whose file is cut
// after the open (inside its vector blocks) answers a search with an error
// naming the row that could not be read, not with a wrong or missing
// result.
func TestReadOnlyInt8TruncatedFile(t *testing.T) {
	ctx := context.Background()
	const n, dim = 600, 8
	r := rand.New(rand.NewPCG(43, 1))
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCollection(ctx, "c", CollectionConfig{Dim: dim, Metric: L2, Quantize: "int8", M: 8, EfConstruction: 40})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, n)
	for i := range recs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		recs[i] = Record{Key: fmt.Sprint("k", i), Vector: v}
	}
	if err := c.UpsertBatch(ctx, recs, BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true, LeanReads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rc, err := ro.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	// Cut the file after its first pages: every exact row lies beyond the
	// end now. The search touches no mapped page beyond it (codes and
	// links are in memory; rows are read with pread).
	if err := os.Truncate(path, 16<<10); err != nil {
		t.Fatal(err)
	}
	_, err = rc.Search(ctx, recs[0].Vector, 5, SearchOptions{})
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "exact vector of id") {
		t.Fatalf("search of a truncated file: %v, want an error wrapping store.ErrCorrupt", err)
	}
}
