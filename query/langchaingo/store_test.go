package langchaingo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tmc/langchaingo/schema"
	"github.com/tmc/langchaingo/vectorstores"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/langchaingo"
)

const dim = 16

// hashEmbedder is a deterministic bag-of-words embedder: each lower-case
// word adds 1 to the component its FNV-1a hash picks, and every text gets
// a small constant in component 0 so that no text but "" embeds to zero.
type hashEmbedder struct {
	docCalls, queryCalls atomic.Int64
}

func embed(text string) []float32 {
	if text == "" {
		return make([]float32, dim)
	}
	v := make([]float32, dim)
	v[0] = 0.25
	for _, w := range strings.Fields(strings.ToLower(text)) {
		h := fnv.New32a()
		h.Write([]byte(strings.Trim(w, ".,;:!?")))
		v[h.Sum32()%dim]++
	}
	return v
}

func (e *hashEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	e.docCalls.Add(1)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = embed(t)
	}
	return out, nil
}

func (e *hashEmbedder) EmbedQuery(_ context.Context, text string) ([]float32, error) {
	e.queryCalls.Add(1)
	return embed(text), nil
}

// corpus has distinct texts (the test identifies documents by text) and
// metadata with strings, numbers and a bool, some fields missing.
func corpus() []schema.Document {
	colours := []string{"red", "green", "blue", "yellow", "purple", "orange", "black", "white"}
	things := []string{"lamp", "chair", "table", "desk", "door", "car", "bike", "cup"}
	rooms := []string{"kitchen", "patio", "sitting room", "attic"}
	var docs []schema.Document
	for i := 0; i < 48; i++ {
		c, t := colours[i%len(colours)], things[(i*5+i/8)%len(things)]
		md := map[string]any{"room": rooms[i%len(rooms)], "size": 100 * (i%9 + 1), "n": i}
		if i%3 == 0 {
			md["new"] = i%2 == 0
		}
		docs = append(docs, schema.Document{
			PageContent: fmt.Sprintf("The %s %s number %d is in the %s.", c, t, i, md["room"]),
			Metadata:    md,
		})
	}
	return docs
}

func openDB(t *testing.T) *query.DB {
	t.Helper()
	db, err := query.Open(filepath.Join(t.TempDir(), "lc.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newStore(t *testing.T, db *query.DB, opts langchaingo.Options) (*langchaingo.Store, *hashEmbedder) {
	t.Helper()
	e := &hashEmbedder{}
	st, err := langchaingo.New(db, e, opts)
	if err != nil {
		t.Fatal(err)
	}
	return st, e
}

// bruteForce ranks docs that pass keep by cosine with the query's
// embedding, computed here in float64, best first, and cuts the list at k
// and at the threshold (0: none).
func bruteForce(docs []schema.Document, q string, k int, threshold float64, keep func(md map[string]any) bool) []schema.Document {
	qv := embed(q)
	var out []schema.Document
	for _, d := range docs {
		if keep != nil && !keep(d.Metadata) {
			continue
		}
		v := embed(d.PageContent)
		var dot, nq, nv float64
		for i := range v {
			dot += float64(qv[i]) * float64(v[i])
			nq += float64(qv[i]) * float64(qv[i])
			nv += float64(v[i]) * float64(v[i])
		}
		d.Score = float32(dot / math.Sqrt(nq*nv))
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	out = out[:min(k, len(out))]
	if threshold != 0 {
		n := 0
		for n < len(out) && float64(out[n].Score) >= threshold {
			n++
		}
		out = out[:n]
	}
	return out
}

// sameResults compares results with the brute-force list: the same
// scores, position by position, and the same set of texts within each run
// of equal scores (ties may come in any order). Metadata must round-trip.
func sameResults(t *testing.T, what string, got, want []schema.Document) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d\ngot  %v\nwant %v", what, len(got), len(want), texts(got), texts(want))
	}
	for i := range got {
		if math.Abs(float64(got[i].Score-want[i].Score)) > 1e-5 {
			t.Fatalf("%s: result %d scores %v, want %v (%q)", what, i, got[i].Score, want[i].Score, want[i].PageContent)
		}
	}
	byText := map[string]schema.Document{}
	for _, d := range want {
		byText[d.PageContent] = d
	}
	for i := 0; i < len(got); {
		j := i
		for j < len(got) && math.Abs(float64(got[j].Score-got[i].Score)) <= 1e-5 {
			j++
		}
		if !sameSet(texts(got[i:j]), texts(want[i:j])) {
			t.Fatalf("%s: results %d..%d are %v, want %v", what, i, j-1, texts(got[i:j]), texts(want[i:j]))
		}
		i = j
	}
	for _, d := range got {
		w, ok := byText[d.PageContent]
		if !ok {
			t.Fatalf("%s: unexpected result %q", what, d.PageContent)
		}
		if !sameMeta(d.Metadata, w.Metadata) {
			t.Fatalf("%s: %q has metadata %v, want %v", what, d.PageContent, d.Metadata, w.Metadata)
		}
	}
}

// sameMeta compares through JSON, as numbers come back as float64.
func sameMeta(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var x, y any
	json.Unmarshal(ja, &x)
	json.Unmarshal(jb, &y)
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func texts(ds []schema.Document) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.PageContent
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

var queries = []string{"the red lamp", "a blue car in the kitchen", "purple desk number 7", "nothing matches zebra"}

func TestAddDocumentsStoresRecords(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	st, e := newStore(t, db, langchaingo.Options{})
	docs := corpus()
	keys, err := st.AddDocuments(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(docs) || e.docCalls.Load() != 1 {
		t.Fatalf("%d keys for %d documents, %d embedder calls", len(keys), len(docs), e.docCalls.Load())
	}
	c, err := db.Collection(ctx, langchaingo.DefaultCollection)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := c.Config(); cfg.Dim != dim || cfg.Metric != query.Cosine || c.Len() != len(docs) {
		t.Fatalf("collection %+v with %d records", cfg, c.Len())
	}
	seen := map[string]bool{}
	for i, k := range keys {
		if seen[k] || len(k) != 36 {
			t.Fatalf("key %d %q is repeated or not a UUID", i, k)
		}
		seen[k] = true
		r, err := c.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != docs[i].PageContent {
			t.Errorf("record %q text %q, want %q", k, r.Text, docs[i].PageContent)
		}
		want := embed(docs[i].PageContent)
		for j := range want {
			if r.Vector[j] != want[j] {
				t.Fatalf("record %q vector %v, want %v", k, r.Vector, want)
			}
		}
		var md map[string]any
		if err := json.Unmarshal(r.Metadata, &md); err != nil || !sameMeta(md, docs[i].Metadata) {
			t.Errorf("record %q metadata %s, want %v (%v)", k, r.Metadata, docs[i].Metadata, err)
		}
	}
	// No documents: no keys, no embedding.
	keys, err = st.AddDocuments(ctx, nil)
	if err != nil || len(keys) != 0 || e.docCalls.Load() != 1 {
		t.Fatalf("no documents: keys %v, err %v, %d embedder calls", keys, err, e.docCalls.Load())
	}
}

func TestSimilaritySearchMatchesBruteForce(t *testing.T) {
	ctx := context.Background()
	for _, exact := range []bool{false, true} {
		t.Run(fmt.Sprintf("exact=%v", exact), func(t *testing.T) {
			db := openDB(t)
			st, _ := newStore(t, db, langchaingo.Options{Search: query.SearchOptions{Exact: exact}})
			docs := corpus()
			if _, err := st.AddDocuments(ctx, docs); err != nil {
				t.Fatal(err)
			}
			// 48 records and ef 64: the graph search visits them all, so
			// it must agree with the scan.
			for _, q := range queries {
				for _, k := range []int{1, 4, 10, 48, 100} {
					got, err := st.SimilaritySearch(ctx, q, k)
					if err != nil {
						t.Fatal(err)
					}
					sameResults(t, fmt.Sprintf("%q k=%d", q, k), got, bruteForce(docs, q, k, 0, nil))
				}
			}
		})
	}
}

func TestScoreThreshold(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	st, _ := newStore(t, db, langchaingo.Options{})
	docs := corpus()
	if _, err := st.AddDocuments(ctx, docs); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		for _, th := range []float32{0.2, 0.5, 0.8, 0.99, -0.5} {
			got, err := st.SimilaritySearch(ctx, q, 20, vectorstores.WithScoreThreshold(th))
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(docs, q, 20, float64(th), nil)
			sameResults(t, fmt.Sprintf("%q threshold %g", q, th), got, want)
			for _, d := range got {
				if d.Score < th {
					t.Fatalf("%q threshold %g: score %g", q, th, d.Score)
				}
			}
		}
	}
}

// Each filter form is checked against a predicate written out here.
func TestFilters(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	st, _ := newStore(t, db, langchaingo.Options{})
	docs := corpus()
	if _, err := st.AddDocuments(ctx, docs); err != nil {
		t.Fatal(err)
	}
	num := func(md map[string]any, f string) (float64, bool) {
		switch x := md[f].(type) {
		case int:
			return float64(x), true
		case float64:
			return x, true
		}
		return 0, false
	}
	cases := []struct {
		name   string
		filter any
		keep   func(md map[string]any) bool
	}{
		{"map eq", map[string]any{"room": "patio"}, func(md map[string]any) bool { return md["room"] == "patio" }},
		{"map[string]string", map[string]string{"room": "sitting room"}, func(md map[string]any) bool { return md["room"] == "sitting room" }},
		{"two fields", map[string]any{"room": "kitchen", "size": 500}, func(md map[string]any) bool {
			s, _ := num(md, "size")
			return md["room"] == "kitchen" && s == 500
		}},
		{"bool", map[string]any{"new": true}, func(md map[string]any) bool { return md["new"] == true }},
		{"chroma $and", map[string]any{"$and": []map[string]any{
			{"room": map[string]any{"$eq": "sitting room"}},
			{"size": map[string]any{"$gte": 300}},
		}}, func(md map[string]any) bool {
			s, _ := num(md, "size")
			return md["room"] == "sitting room" && s >= 300
		}},
		{"$or of []any", map[string]any{"$or": []any{
			map[string]any{"room": "attic"},
			map[string]any{"n": map[string]any{"$lt": 5}},
		}}, func(md map[string]any) bool {
			n, _ := num(md, "n")
			return md["room"] == "attic" || n < 5
		}},
		{"range on one field", map[string]any{"size": map[string]any{"$gt": 200, "$lte": 600}}, func(md map[string]any) bool {
			s, _ := num(md, "size")
			return s > 200 && s <= 600
		}},
		{"$in $nin", map[string]any{"room": map[string]any{"$in": []string{"patio", "attic"}}, "size": map[string]any{"$nin": []int{100, 900}}}, func(md map[string]any) bool {
			s, _ := num(md, "size")
			return (md["room"] == "patio" || md["room"] == "attic") && s != 100 && s != 900
		}},
		{"$ne matches a missing field", map[string]any{"new": map[string]any{"$ne": true}}, func(md map[string]any) bool { return md["new"] != true }},
		{"$exists", map[string]any{"new": map[string]any{"$exists": true}}, func(md map[string]any) bool { _, ok := md["new"]; return ok }},
		{"$exists false", map[string]any{"new": map[string]any{"$exists": false}}, func(md map[string]any) bool { _, ok := md["new"]; return !ok }},
		{"filter string", `room = "kitchen" or n >= 40`, func(md map[string]any) bool {
			n, _ := num(md, "n")
			return md["room"] == "kitchen" || n >= 40
		}},
		{"query.Filter", query.And(query.Eq("room", "patio"), query.Lt("size", 450)), func(md map[string]any) bool {
			s, _ := num(md, "size")
			return md["room"] == "patio" && s < 450
		}},
		{"nothing passes", map[string]any{"room": "cellar"}, func(map[string]any) bool { return false }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			passing := 0
			for _, d := range docs {
				if tc.keep(d.Metadata) {
					passing++
				}
			}
			if tc.name != "nothing passes" && (passing == 0 || passing == len(docs)) {
				t.Fatalf("the filter passes %d of %d documents: a useless case", passing, len(docs))
			}
			for _, q := range queries {
				got, err := st.SimilaritySearch(ctx, q, 5, vectorstores.WithFilters(tc.filter))
				if err != nil {
					t.Fatal(err)
				}
				sameResults(t, q, got, bruteForce(docs, q, 5, 0, tc.keep))
				got, err = st.SimilaritySearch(ctx, q, 5, vectorstores.WithFilters(tc.filter), vectorstores.WithScoreThreshold(0.5))
				if err != nil {
					t.Fatal(err)
				}
				sameResults(t, q+" threshold 0.5", got, bruteForce(docs, q, 5, 0.5, tc.keep))
			}
		})
	}
}

func TestNamespaces(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	st, _ := newStore(t, db, langchaingo.Options{Collection: "main", Config: query.CollectionConfig{M: 8}})
	docs := corpus()
	a, b := docs[:20], docs[20:]
	if _, err := st.AddDocuments(ctx, a, vectorstores.WithNameSpace("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddDocuments(ctx, b, vectorstores.WithNameSpace("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddDocuments(ctx, docs[:3]); err != nil {
		t.Fatal(err)
	}
	names, err := db.Collections()
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(names, []string{"a", "b", "main"}) {
		t.Fatalf("collections %v, want a, b, main", names)
	}
	ca, _ := db.Collection(ctx, "a")
	if ca.Config().M != 8 || ca.Len() != len(a) {
		t.Fatalf("collection a: %+v, %d records", ca.Config(), ca.Len())
	}
	for _, q := range queries {
		for ns, want := range map[string][]schema.Document{"a": a, "b": b, "": docs[:3], "main": docs[:3]} {
			got, err := st.SimilaritySearch(ctx, q, 10, vectorstores.WithNameSpace(ns))
			if err != nil {
				t.Fatal(err)
			}
			sameResults(t, fmt.Sprintf("%q in %q", q, ns), got, bruteForce(want, q, 10, 0, nil))
		}
	}
	_, err = st.SimilaritySearch(ctx, "red", 3, vectorstores.WithNameSpace("nosuch"))
	if !errors.Is(err, query.ErrUnknownCollection) || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Fatalf("unknown namespace: %v", err)
	}
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	n := 0
	st, e := newStore(t, db, langchaingo.Options{NewKey: func() string { n++; return fmt.Sprintf("doc-%03d", n) }})
	docs := corpus()[:6]
	// The deduplicater skips documents 1 and 4; keys are those of the rest.
	dedup := func(_ context.Context, d schema.Document) bool {
		return d.PageContent == docs[1].PageContent || d.PageContent == docs[4].PageContent
	}
	keys, err := st.AddDocuments(ctx, docs, vectorstores.WithDeduplicater(dedup))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "doc-001,doc-002,doc-003,doc-004" {
		t.Fatalf("keys %v", keys)
	}
	c, _ := db.Collection(ctx, langchaingo.DefaultCollection)
	for i, k := range keys {
		r, err := c.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{0, 2, 3, 5}[i]; r.Text != docs[want].PageContent {
			t.Errorf("%s holds %q, want document %d", k, r.Text, want)
		}
	}
	// All skipped: nothing embedded.
	keys, err = st.AddDocuments(ctx, docs[1:2], vectorstores.WithDeduplicater(dedup))
	if err != nil || len(keys) != 0 || e.docCalls.Load() != 1 {
		t.Fatalf("all skipped: keys %v, err %v, %d embedder calls", keys, err, e.docCalls.Load())
	}
	// WithEmbedder replaces the store's embedder for one call.
	other := &hashEmbedder{}
	if _, err := st.AddDocuments(ctx, docs[1:2], vectorstores.WithEmbedder(other)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SimilaritySearch(ctx, "red", 2, vectorstores.WithEmbedder(other)); err != nil {
		t.Fatal(err)
	}
	if other.docCalls.Load() != 1 || other.queryCalls.Load() != 1 || e.docCalls.Load() != 1 || e.queryCalls.Load() != 0 {
		t.Fatalf("calls: other %d/%d, store's %d/%d", other.docCalls.Load(), other.queryCalls.Load(), e.docCalls.Load(), e.queryCalls.Load())
	}
	// A retriever over the store.
	got, err := vectorstores.ToRetriever(st, 2).GetRelevantDocuments(ctx, docs[3].PageContent)
	if err != nil || len(got) != 2 || got[0].PageContent != docs[3].PageContent {
		t.Fatalf("retriever: %v, %v", texts(got), err)
	}
}

// badEmbedder returns what it is told to.
type badEmbedder struct {
	vecs [][]float32
	err  error
}

func (b badEmbedder) EmbedDocuments(context.Context, []string) ([][]float32, error) {
	return b.vecs, b.err
}

func (b badEmbedder) EmbedQuery(context.Context, string) ([]float32, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.vecs[0], nil
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	st, _ := newStore(t, db, langchaingo.Options{})
	docs := corpus()[:4]
	if _, err := st.AddDocuments(ctx, docs); err != nil {
		t.Fatal(err)
	}
	c, _ := db.Collection(ctx, langchaingo.DefaultCollection)
	down := errors.New("embedding server down")
	nan := math.NaN()
	adds := []struct {
		name string
		docs []schema.Document
		opts []vectorstores.Option
		want error
		msg  string
	}{
		{"threshold on add", docs, []vectorstores.Option{vectorstores.WithScoreThreshold(0.5)}, langchaingo.ErrOption, "no score threshold or filters"},
		{"filters on add", docs, []vectorstores.Option{vectorstores.WithFilters(map[string]any{"a": 1})}, langchaingo.ErrOption, "no score threshold or filters"},
		{"metadata not JSON", []schema.Document{docs[0], {PageContent: "x", Metadata: map[string]any{"f": nan}}}, nil, langchaingo.ErrMetadata, "document 1"},
		{"metadata func", []schema.Document{{PageContent: "x", Metadata: map[string]any{"f": func() {}}}}, nil, langchaingo.ErrMetadata, "document 0"},
		{"empty text embeds to zero", []schema.Document{docs[0], {PageContent: ""}}, nil, query.ErrZeroVector, ""},
		{"embedder error", docs, []vectorstores.Option{vectorstores.WithEmbedder(badEmbedder{err: down})}, down, "embedding 4 documents"},
		{"too few vectors", docs, []vectorstores.Option{vectorstores.WithEmbedder(badEmbedder{vecs: [][]float32{embed("a")}})}, langchaingo.ErrEmbedder, "1 vectors for 4 documents"},
		{"ragged vectors", docs[:2], []vectorstores.Option{vectorstores.WithEmbedder(badEmbedder{vecs: [][]float32{embed("a"), {1, 2}}})}, langchaingo.ErrEmbedder, "vector 1 has 2 components"},
		{"wrong dimension", docs[:2], []vectorstores.Option{vectorstores.WithEmbedder(badEmbedder{vecs: [][]float32{{1, 2, 3}, {3, 2, 1}}})}, query.ErrDimension, ""},
		{"NaN vector", docs[:1], []vectorstores.Option{vectorstores.WithEmbedder(badEmbedder{vecs: [][]float32{append([]float32{float32(nan)}, make([]float32, dim-1)...)}})}, query.ErrInvalidVector, ""},
	}
	for _, tc := range adds {
		t.Run("add/"+tc.name, func(t *testing.T) {
			keys, err := st.AddDocuments(ctx, tc.docs, tc.opts...)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || keys != nil {
				t.Fatalf("keys %v, error %v; want %v containing %q", keys, err, tc.want, tc.msg)
			}
			if c.Len() != len(docs) {
				t.Fatalf("%d records after a failed add, want %d: the add was not all or nothing", c.Len(), len(docs))
			}
		})
	}
	searches := []struct {
		name string
		k    int
		opts []vectorstores.Option
		want error
		msg  string
	}{
		{"k zero", 0, nil, langchaingo.ErrOption, "numDocuments is 0"},
		{"k negative", -3, nil, langchaingo.ErrOption, "numDocuments is -3"},
		{"threshold NaN", 3, []vectorstores.Option{vectorstores.WithScoreThreshold(float32(nan))}, langchaingo.ErrOption, "not a finite number"},
		{"threshold above 1", 3, []vectorstores.Option{vectorstores.WithScoreThreshold(1.5)}, langchaingo.ErrOption, "outside [-1, 1]"},
		{"threshold below -1", 3, []vectorstores.Option{vectorstores.WithScoreThreshold(-2)}, langchaingo.ErrOption, "outside [-1, 1]"},
		{"filter type", 3, []vectorstores.Option{vectorstores.WithFilters(42)}, langchaingo.ErrFilter, "a int is not a filter"},
		{"filter syntax", 3, []vectorstores.Option{vectorstores.WithFilters("room = ")}, query.ErrSyntax, `filter "room = "`},
		{"embedder error", 3, []vectorstores.Option{vectorstores.WithEmbedder(badEmbedder{err: down})}, down, "embedding the query"},
		{"wrong dimension", 3, []vectorstores.Option{vectorstores.WithEmbedder(badEmbedder{vecs: [][]float32{{1, 2}}})}, query.ErrDimension, ""},
	}
	for _, tc := range searches {
		t.Run("search/"+tc.name, func(t *testing.T) {
			got, err := st.SimilaritySearch(ctx, "red lamp", tc.k, tc.opts...)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || got != nil {
				t.Fatalf("results %v, error %v; want %v containing %q", texts(got), err, tc.want, tc.msg)
			}
		})
	}
	t.Run("threshold on l2", func(t *testing.T) {
		l2, _ := newStore(t, db, langchaingo.Options{Collection: "euclid", Config: query.CollectionConfig{Metric: query.L2}})
		if _, err := l2.AddDocuments(ctx, docs); err != nil {
			t.Fatal(err)
		}
		if _, err := l2.SimilaritySearch(ctx, "red", 2, vectorstores.WithScoreThreshold(0.5)); !errors.Is(err, langchaingo.ErrOption) || !strings.Contains(err.Error(), "l2") {
			t.Fatalf("threshold on l2: %v", err)
		}
		got, err := l2.SimilaritySearch(ctx, docs[2].PageContent, 1)
		if err != nil || len(got) != 1 || got[0].PageContent != docs[2].PageContent || got[0].Score != 0 {
			t.Fatalf("l2 search for a stored text: %v %v, %v", texts(got), got, err)
		}
	})
	for _, tc := range []struct {
		name string
		db   *query.DB
		e    *hashEmbedder
	}{{"nil db", nil, &hashEmbedder{}}, {"nil embedder", db, nil}} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.e == nil {
				_, err = langchaingo.New(tc.db, nil, langchaingo.Options{})
			} else {
				_, err = langchaingo.New(tc.db, tc.e, langchaingo.Options{})
			}
			if !errors.Is(err, langchaingo.ErrOption) {
				t.Fatalf("New: %v", err)
			}
		})
	}
}
