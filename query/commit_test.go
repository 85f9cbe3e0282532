package query_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// nodeBytes reads every stored graph node of collection name.
func nodeBytes(t *testing.T, db *query.DB, name string) map[uint32]string {
	t.Helper()
	out := map[uint32]string{}
	err := db.Store().View(func(tx *store.Tx) error {
		sc, err := tx.Collection(name)
		if err != nil {
			return err
		}
		return sc.ForEachNode(func(id uint32, node []byte) error {
			out[id] = string(node)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameNodes(a, b map[uint32]string) bool {
	if len(a) != len(b) {
		return false
	}
	for id, n := range a {
		if b[id] != n {
			return false
		}
	}
	return true
}

// writeFixture returns a cosine collection of n seeded records k0..k<n-1>
// with metadata {"i": i}.
func writeFixture(t *testing.T, n int) (*query.DB, *query.Collection, [][]float32) {
	t.Helper()
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 8, Metric: query.Cosine, M: 8, EfConstruction: 32, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	vecs := clustered(9, n, 8)
	recs := make([]query.Record, n)
	for i := range recs {
		recs[i] = query.Record{Key: fmt.Sprintf("k%d", i), Vector: vecs[i], Metadata: json.RawMessage(fmt.Sprintf(`{"i": %d}`, i))}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return db, c, vecs
}

func metaOf(t *testing.T, c *query.Collection, key string) string {
	t.Helper()
	r, err := c.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Metadata)
}

// TestUpsertMetadataRules pins the documented metadata rules of Upsert and
// UpsertBatch: nil keeps, JSON null clears, an object replaces.
func TestUpsertMetadataRules(t *testing.T) {
	db, c, vecs := writeFixture(t, 20)
	steps := []struct {
		name  string
		batch bool
		key   string
		meta  string // "" is nil
		want  string // stored afterwards; "" is none
	}{
		{"nil keeps", false, "k1", "", `{"i": 1}`},
		{"white space keeps", false, "k1", "  ", `{"i": 1}`},
		{"object replaces", false, "k1", `{"x": 2}`, `{"x": 2}`},
		{"null clears", false, "k1", "null", ""},
		{"nil on none stays none", false, "k1", "", ""},
		{"batch nil keeps", true, "k2", "", `{"i": 2}`},
		{"batch null clears", true, "k2", " null ", ""},
		{"new key nil", false, "new1", "", ""},
		{"new key null", true, "new2", "null", ""},
		{"new key object", false, "new3", `{"y": 1}`, `{"y": 1}`},
	}
	for i, s := range steps {
		var meta json.RawMessage
		if s.meta != "" {
			meta = json.RawMessage(s.meta)
		}
		vec := vecs[i%len(vecs)]
		var err error
		if s.batch {
			err = c.UpsertBatch(ctx, []query.Record{{Key: s.key, Vector: vec, Metadata: meta}, {Key: "k5", Vector: vecs[5]}}, query.BatchOptions{})
		} else {
			err = c.Upsert(ctx, s.key, vec, meta)
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := metaOf(t, c, s.key); got != s.want {
			t.Errorf("%s: metadata %q, want %q", s.name, got, s.want)
		}
	}
	if got := metaOf(t, c, "k5"); got != `{"i": 5}` {
		t.Errorf("k5 was re-upserted in batches without metadata: %q", got)
	}
	// The filter index follows the stored metadata.
	flt, err := query.ParseFilter(`exists(i)`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(ctx, vecs[0], 30, query.SearchOptions{Filter: flt, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 18 { // k0..k19 minus k1 and k2
		t.Errorf("exists(i) matches %d records, want 18", len(res))
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestUpsertSameVectorDoesNoWork: re-upserting identical vectors does no
// graph work and rewrites no node; with unchanged metadata it commits
// nothing at all.
func TestUpsertSameVectorDoesNoWork(t *testing.T) {
	db, c, vecs := writeFixture(t, 300)
	nodes := nodeBytes(t, db, "c")
	d0, tx0 := c.DistanceComputations(), c.WriteStats().Commits

	// One key, same vector, no metadata: nothing happens.
	if err := c.Upsert(ctx, "k7", vecs[7], nil); err != nil {
		t.Fatal(err)
	}
	// The whole collection again, as a re-import would.
	recs := make([]query.Record, len(vecs))
	for i := range recs {
		recs[i] = query.Record{Key: fmt.Sprintf("k%d", i), Vector: vecs[i], Metadata: json.RawMessage(fmt.Sprintf(`{"i": %d}`, i))}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if d, tx := c.DistanceComputations(), c.WriteStats().Commits; d != d0 || tx != tx0 {
		t.Errorf("identical re-upserts: %d distance computations and %d commits, want 0 and 0", d-d0, tx-tx0)
	}

	// Same vector, new metadata: one commit, still no graph work.
	if err := c.Upsert(ctx, "k7", vecs[7], json.RawMessage(`{"new": true}`)); err != nil {
		t.Fatal(err)
	}
	// Under cosine a scaled vector is the same graph vector: the stored
	// vector changes, the graph does not.
	scaled := make([]float32, len(vecs[8]))
	for i, x := range vecs[8] {
		scaled[i] = 2 * x
	}
	if err := c.Upsert(ctx, "k8", scaled, nil); err != nil {
		t.Fatal(err)
	}
	if d, tx := c.DistanceComputations(), c.WriteStats().Commits; d != d0 || tx != tx0+2 {
		t.Errorf("metadata-only and scaled upserts: %d distance computations and %d commits, want 0 and 2", d-d0, tx-tx0)
	}
	if got := metaOf(t, c, "k7"); got != `{"new": true}` {
		t.Errorf("k7 metadata %q", got)
	}
	r, err := c.Get(ctx, "k8")
	if err != nil || !sameBits(r.Vector, scaled) || string(r.Metadata) != `{"i": 8}` {
		t.Errorf("k8 = %v %s, %v; want the scaled vector and its old metadata", r.Vector, r.Metadata, err)
	}
	if !sameNodes(nodes, nodeBytes(t, db, "c")) {
		t.Error("a graph node was rewritten by writes that changed no graph vector")
	}

	// A changed vector does graph work and rewrites nodes.
	if err := c.Upsert(ctx, "k9", vecs[10], nil); err != nil {
		t.Fatal(err)
	}
	if c.DistanceComputations() == d0 || sameNodes(nodes, nodeBytes(t, db, "c")) {
		t.Error("a changed vector did no graph work or rewrote no node")
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSetMetadata(t *testing.T) {
	db, c, vecs := writeFixture(t, 50)
	nodes := nodeBytes(t, db, "c")
	d0 := c.DistanceComputations()
	for _, s := range []struct {
		meta, want string // meta "" is nil
	}{
		{`{"color": "red"}`, `{"color": "red"}`},
		{` {"color": "blue"} `, `{"color": "blue"}`},
		{`null`, ``},
		{`{"color": "red"}`, `{"color": "red"}`},
		{``, ``},
	} {
		var m json.RawMessage
		if s.meta != "" {
			m = json.RawMessage(s.meta)
		}
		if err := c.SetMetadata(ctx, "k3", m); err != nil {
			t.Fatalf("SetMetadata(%q): %v", s.meta, err)
		}
		if got := metaOf(t, c, "k3"); got != s.want {
			t.Errorf("SetMetadata(%q): stored %q, want %q", s.meta, got, s.want)
		}
	}
	if err := c.SetMetadata(ctx, "k4", json.RawMessage(`{"color": "red"}`)); err != nil {
		t.Fatal(err)
	}
	r, err := c.Get(ctx, "k4")
	if err != nil || !sameBits(r.Vector, vecs[4]) {
		t.Errorf("k4's vector changed: %v, %v", r.Vector, err)
	}
	if c.DistanceComputations() != d0 {
		t.Errorf("SetMetadata did %d distance computations", c.DistanceComputations()-d0)
	}
	if !sameNodes(nodes, nodeBytes(t, db, "c")) {
		t.Error("SetMetadata rewrote a graph node")
	}
	flt, err := query.ParseFilter(`color = "red"`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(ctx, vecs[0], 10, query.SearchOptions{Filter: flt})
	if err != nil || len(res) != 1 || res[0].Key != "k4" {
		t.Errorf("filter after SetMetadata: %v, %v", res, err)
	}

	// Bad input.
	var ke *query.KeyError
	if err := c.SetMetadata(ctx, "nope", json.RawMessage(`{}`)); !errors.As(err, &ke) || ke.Key != "nope" || !errors.Is(err, query.ErrKeyNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	if err := c.SetMetadata(ctx, "", nil); !errors.Is(err, query.ErrEmptyKey) {
		t.Errorf("empty key: %v", err)
	}
	for _, bad := range []string{`[1]`, `3`, `{"a":`, `"s"`} {
		if err := c.SetMetadata(ctx, "k4", json.RawMessage(bad)); !errors.Is(err, store.ErrInvalidMetadata) {
			t.Errorf("metadata %s: %v, want ErrInvalidMetadata", bad, err)
		}
	}
	if got := metaOf(t, c, "k4"); got != `{"color": "red"}` {
		t.Errorf("rejected SetMetadata calls changed k4: %q", got)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.SetMetadata(ctx, "k4", nil); !errors.Is(err, query.ErrClosed) {
		t.Errorf("closed: %v", err)
	}
	ro, err := query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rc, err := ro.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.SetMetadata(ctx, "k4", nil); !errors.Is(err, query.ErrReadOnly) {
		t.Errorf("read-only: %v", err)
	}
	if got := metaOf(t, rc, "k4"); got != `{"color": "red"}` {
		t.Errorf("reopened: k4 metadata %q", got)
	}
}

// TestConcurrentWritersCommitTogether runs 16 writers doing upserts,
// updates, metadata changes and deletes of their own keys, durably, and
// checks the result against each writer's acknowledged history, in memory
// and after a reopen. It logs how many commits the writes took.
func TestConcurrentWritersCommitTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "group.db")
	db, err := query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCollection(ctx, "g", query.CollectionConfig{Dim: soakDim, Metric: query.L2, M: 8, EfConstruction: 48, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	const writers, ops = 16, 12
	type state struct {
		ver  uint64
		meta string
	}
	models := make([]map[string]state, writers)
	tx0 := c.WriteStats().Commits
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		models[w] = map[string]state{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := models[w]
			for op := range ops {
				k := fmt.Sprintf("w%d-%d", w, op/3)
				ver := uint64(op + 1)
				var err error
				switch op % 3 {
				case 0: // insert
					err = c.Upsert(ctx, k, soakVector(k, ver), soakMeta(ver))
					m[k] = state{ver, string(soakMeta(ver))}
				case 1: // new vector, metadata kept
					err = c.Upsert(ctx, k, soakVector(k, ver), nil)
					m[k] = state{ver, m[k].meta}
				case 2:
					if op%2 == 0 {
						_, err = c.Delete(ctx, k)
						delete(m, k)
					} else {
						err = c.SetMetadata(ctx, k, soakMeta(100+ver))
						m[k] = state{m[k].ver, string(soakMeta(100 + ver))}
					}
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d op %d: %w", w, op, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d write calls took %d commits", writers*ops, c.WriteStats().Commits-tx0)
	check := func(c *query.Collection) {
		t.Helper()
		n := 0
		for _, m := range models {
			for k, s := range m {
				n++
				r, err := c.Get(ctx, k)
				if err != nil {
					t.Errorf("%s: %v", k, err)
					continue
				}
				if !sameBits(r.Vector, soakVector(k, s.ver)) || string(r.Metadata) != s.meta {
					t.Errorf("%s: got %s, want version %d with %s", k, r.Metadata, s.ver, s.meta)
				}
			}
		}
		if c.Len() != n {
			t.Errorf("%d records, want %d", c.Len(), n)
		}
	}
	check(c)
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = query.Open(path, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	c, err = db.Collection(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	check(c)
}
