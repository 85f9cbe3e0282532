package wordnet

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
)

// GlossOptions configures GlossRetrieval. The zero value means 1,000
// queries, seed 0, depth 100, RRF k = 60, weights 0.5 / 0.5 in the
// weighted fusion, SIF pooling with the principal component removed, the
// HNSW graph.
type GlossOptions struct {
	// Queries is how many synsets with an example are drawn as queries;
	// 0 means 1,000; more than there are evaluates them all.
	Queries int
	Seed    uint64
	// Depth is the length of each ranked list before fusion; 0 means 100.
	Depth int
	// RRFK is RRF's k; 0 means 60.
	RRFK float64
	// Weight is the keyword list's weight in the weighted-score fusion
	// (text.WeightedScore of min-max normalised BM25 and cosine scores);
	// the vector list gets 1 − Weight. 0 means 0.5; otherwise it must lie
	// in (0, 1).
	Weight float64
	// Mean pools by plain mean instead of SIF; NoPC keeps the principal
	// component (otherwise it is fitted on all the definitions, the
	// documents, and removed from documents and queries alike).
	Mean, NoPC bool
	// Exact ranks the documents by an exact cosine scan of their vectors
	// held in memory, O(N·d) per query, and builds no vecbolt collection.
	Exact bool
	// Dir is where the temporary vecbolt database of the document vectors
	// is made (and removed); "" means os.TempDir().
	Dir string
	// Collection names the word collection in the embedder's spec; ""
	// means "words".
	Collection string
	// Progress, if set, is called with the number of documents indexed.
	Progress func(done, total int)
}

// GlossRow is the score of one search mode.
type GlossRow struct {
	Mode string  `json:"mode"` // keyword, vector, hybrid-rrf or hybrid-weighted
	R10  float64 `json:"recall_at_10"`
	MRR  float64 `json:"mrr"`
	// Latency is the mean time per query: tokenizing and BM25 for keyword;
	// embedding and the graph search for vector; both plus the fusion for
	// a hybrid (the two searches run one after the other).
	Latency time.Duration `json:"latency_ns"`
	ranks   []int
}

// GlossReport is the result of GlossRetrieval.
type GlossReport struct {
	Documents int        `json:"documents"` // definitions indexed
	Skipped   int        `json:"skipped"`   // synsets whose definition has no known word
	Eligible  int        `json:"eligible"`  // documents with an example that has a known word
	Queries   int        `json:"queries"`
	Depth     int        `json:"depth"`
	Embedder  string     `json:"embedder"`
	Weight    float64    `json:"keyword_weight"` // of the weighted fusion
	Rows      []GlossRow `json:"rows"`
	// Found counts where the relevant document is within the depth of the
	// two lists before fusion: it is what a fusion can work with.
	Found    GlossFound `json:"found"`
	QueryIDs []string   `json:"-"` // synset id of each query, in draw order
}

// GlossFound counts the queries by which of the keyword and vector lists
// (each cut at the depth) hold the relevant document, and by which hold
// it in their first 10.
type GlossFound struct {
	Both        int `json:"both"`
	KeywordOnly int `json:"keyword_only"`
	VectorOnly  int `json:"vector_only"`
	Neither     int `json:"neither"`
	Top10Both   int `json:"top10_both"`
	Top10Either int `json:"top10_either"` // the recall@10 of a perfect choice between the two lists
	// Overlap is the mean number of documents in both lists of a query:
	// RRF ranks each of them above the first document of either list
	// alone once both its ranks are below about 60.
	Overlap float64 `json:"mean_overlap"`
}

// Ranks returns the rank of each query's synset in row i (0: beyond the
// depth), in the order of QueryIDs.
func (r *GlossReport) Ranks(i int) []int { return r.Rows[i].ranks }

// GlossRetrieval indexes the definition of every synset whose definition
// has a word in v as a document, twice: in a BM25 index (text.Index, Lucene's
// k1 = 1.2, b = 0.75) and as vectors of the words embedder in a temporary
// vecbolt collection (cosine, default HNSW parameters). It then draws
// opts.Queries synsets that have an example with a known word, queries
// with the first example, and records the rank of the synset's own
// definition under keyword, vector and two hybrid searches, each fusing
// the two lists of depth Depth: RRF (k = RRFK) and a weighted sum of
// min-max normalised scores (keyword weight Weight). The examples are not
// part of the documents. Found tells, per query, which of the two lists
// holds the relevant document.
//
// Errors: a bad option (ErrOption), no synset with an example
// (ErrNoSynsets), ctx's error, errors of the embedder, the index or the
// temporary database. Cost: O(total definition words) to index, the
// component fit O(N·d²), the collection build O(N·log N·M·d), then per
// query one BM25 search (O(postings of the query terms)), one graph search
// and two fusions over 2·Depth entries.
func GlossRetrieval(ctx context.Context, synsets []Synset, v embed.Vocabulary, opts GlossOptions) (rep *GlossReport, err error) {
	if opts.Queries < 0 || opts.Depth < 0 || opts.RRFK < 0 {
		return nil, fmt.Errorf("%w: queries %d, depth %d and RRF k %g must not be negative", ErrOption, opts.Queries, opts.Depth, opts.RRFK)
	}
	if opts.Weight == 0 {
		opts.Weight = 0.5
	}
	if !(opts.Weight > 0 && opts.Weight < 1) {
		return nil, fmt.Errorf("%w: keyword weight %g is outside (0, 1)", ErrOption, opts.Weight)
	}
	if opts.Queries == 0 {
		opts.Queries = 1000
	}
	if opts.Depth == 0 {
		opts.Depth = 100
	}
	if opts.Depth < 10 {
		return nil, fmt.Errorf("%w: depth %d is below the 10 of recall@10", ErrOption, opts.Depth)
	}
	wo := embed.WordsOptions{Collection: opts.Collection, Pool: embed.SIF}
	if wo.Collection == "" {
		wo.Collection = "words"
	}
	if opts.Mean {
		wo.Pool = embed.Mean
	}
	e, err := embed.NewWords(v, wo)
	if err != nil {
		return nil, err
	}
	// Documents: definitions with a known word.
	var docs []Synset
	var defs []string
	rep = &GlossReport{Depth: opts.Depth, Weight: opts.Weight}
	for _, s := range synsets {
		if _, err := e.Pool(ctx, []string{s.Definition}); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rep.Skipped++
			continue
		}
		docs = append(docs, s)
		defs = append(defs, s.Definition)
	}
	rep.Documents = len(docs)
	pooled, err := e.Pool(ctx, defs)
	if err != nil {
		return nil, err
	}
	vecs := make([][]float32, len(pooled))
	for i, p := range pooled {
		vecs[i] = p.Vector
	}
	if !opts.NoPC && len(vecs) > 0 {
		comp, err := text.FitComponent(vecs)
		if err != nil {
			return nil, err
		}
		if e, err = e.WithComponent(comp); err != nil {
			return nil, err
		}
		for _, x := range vecs {
			if err := comp.Remove(x); err != nil {
				return nil, err
			}
		}
	}
	rep.Embedder = e.Spec().String()

	// Queries: documents with an example that embeds.
	var qdocs []int
	var qtexts []string
	for i, s := range docs {
		if len(s.Examples) == 0 {
			continue
		}
		if _, err := e.Pool(ctx, []string{s.Examples[0]}); err != nil {
			continue
		}
		qdocs = append(qdocs, i)
		qtexts = append(qtexts, s.Examples[0])
	}
	rep.Eligible = len(qdocs)
	if len(qdocs) == 0 {
		return nil, fmt.Errorf("%w: none of %d documents has an example with a known word", ErrNoSynsets, len(docs))
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	perm := r.Perm(len(qdocs))[:min(opts.Queries, len(qdocs))]
	sort.Ints(perm) // evaluate in file order; the draw is the set
	rep.Queries = len(perm)

	// BM25 index.
	ix := text.NewIndex()
	for i, d := range defs {
		toks, err := text.Tokenize(d)
		if err != nil {
			return nil, err
		}
		ix.Put(uint64(i), text.Terms(toks))
	}
	search := func(q []float32) ([]text.Scored[uint64], error) { return scanCosine(vecs, q, opts.Depth), nil }
	if !opts.Exact {
		var done func() error
		if search, done, err = glossCollection(ctx, vecs, v.Dim(), opts); err != nil {
			return nil, err
		}
		defer func() {
			if derr := done(); err == nil && derr != nil {
				err = derr
			}
		}()
	}
	rows := []GlossRow{{Mode: "keyword"}, {Mode: "vector"}, {Mode: "hybrid-rrf"}, {Mode: "hybrid-weighted"}}
	for i := range rows {
		rows[i].ranks = make([]int, len(perm))
	}
	var lat [4]time.Duration
	bm := text.DefaultBM25()
	for qi, p := range perm {
		want := uint64(qdocs[p])
		rep.QueryIDs = append(rep.QueryIDs, docs[want].ID())
		q := qtexts[p]

		t0 := time.Now()
		toks, err := text.Tokenize(q)
		if err != nil {
			return nil, err
		}
		hits, err := text.Search(ctx, ix, bm, text.Terms(toks), opts.Depth, nil)
		if err != nil {
			return nil, err
		}
		kw := text.Ranked(hits)
		t1 := time.Now()
		qv, err := e.EmbedQuery(ctx, q)
		if err != nil {
			return nil, err
		}
		vl, err := search(qv)
		if err != nil {
			return nil, err
		}
		t2 := time.Now()
		fused, err := text.RRF([][]text.Scored[uint64]{kw, vl}, text.FuseOptions{K: opts.RRFK})
		if err != nil {
			return nil, err
		}
		fused = fused[:min(len(fused), opts.Depth)]
		t3 := time.Now()
		weighted, err := text.WeightedScore([][]text.Scored[uint64]{kw, vl}, text.FuseOptions{Weights: []float64{opts.Weight, 1 - opts.Weight}})
		if err != nil {
			return nil, err
		}
		weighted = weighted[:min(len(weighted), opts.Depth)]
		t4 := time.Now()
		lat[0] += t1.Sub(t0)
		lat[1] += t2.Sub(t1)
		lat[2] += t3.Sub(t0)
		lat[3] += t2.Sub(t0) + t4.Sub(t3)
		rows[0].ranks[qi] = rankIn(kw, want)
		rows[1].ranks[qi] = rankIn(vl, want)
		rows[2].ranks[qi] = rankIn(fused, want)
		rows[3].ranks[qi] = rankIn(weighted, want)
		rep.Found.add(rows[0].ranks[qi], rows[1].ranks[qi])
		rep.Found.Overlap += float64(overlap(kw, vl))
	}
	rep.Found.Overlap /= float64(len(perm))
	for i := range rows {
		rows[i].R10 = RecallAt(rows[i].ranks, 10)
		rows[i].MRR = MRR(rows[i].ranks)
		rows[i].Latency = lat[i] / time.Duration(len(perm))
	}
	rep.Rows = rows
	return rep, nil
}

// add counts one query whose document has rank kw in the keyword list and
// v in the vector list (0: absent).
func (f *GlossFound) add(kw, v int) {
	switch {
	case kw > 0 && v > 0:
		f.Both++
	case kw > 0:
		f.KeywordOnly++
	case v > 0:
		f.VectorOnly++
	default:
		f.Neither++
	}
	in10 := func(r int) bool { return r >= 1 && r <= 10 }
	if in10(kw) && in10(v) {
		f.Top10Both++
	}
	if in10(kw) || in10(v) {
		f.Top10Either++
	}
}

// overlap returns the number of documents in both lists.
func overlap(a, b []text.Scored[uint64]) int {
	in := make(map[uint64]bool, len(a))
	for _, s := range a {
		in[s.ID] = true
	}
	n := 0
	for _, s := range b {
		if in[s.ID] {
			n++
		}
	}
	return n
}

func docKey(i int) string { return strconv.Itoa(i) }

// keyDoc inverts docKey; the collection holds no other keys.
func keyDoc(k string) uint64 {
	n, err := strconv.ParseUint(k, 10, 64)
	if err != nil {
		panic("wordnet: gloss collection holds key " + k)
	}
	return n
}

// rankIn returns the 1-based position of id in l, or 0 (the fused list is
// cut at Depth like the other two).
func rankIn(l []text.Scored[uint64], id uint64) int {
	for i, s := range l {
		if s.ID == id {
			return i + 1
		}
	}
	return 0
}

// glossCollection puts vecs in a vecbolt collection (cosine, default HNSW
// parameters, level seed 1) of a temporary database and returns a search
// over its graph, and a function that closes and removes the database.
// Cost: the HNSW build, O(N·log N·M·ef_construction·d) distance work.
func glossCollection(ctx context.Context, vecs [][]float32, dim int, opts GlossOptions) (search func([]float32) ([]text.Scored[uint64], error), done func() error, err error) {
	dir, err := os.MkdirTemp(opts.Dir, "vecbolt-gloss-")
	if err != nil {
		return nil, nil, fmt.Errorf("wordnet: %w", err)
	}
	db, err := query.Open(filepath.Join(dir, "gloss.db"), query.Options{NoSync: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	done = func() error {
		err := db.Close()
		if rerr := os.RemoveAll(dir); err == nil && rerr != nil {
			err = fmt.Errorf("wordnet: %w", rerr)
		}
		return err
	}
	defer func() {
		if err != nil {
			done()
		}
	}()
	c, err := db.CreateCollection(ctx, "gloss", query.CollectionConfig{Dim: dim, Seed: 1})
	if err != nil {
		return nil, nil, err
	}
	const batch = 10000
	for lo := 0; lo < len(vecs); lo += batch {
		hi := min(lo+batch, len(vecs))
		recs := make([]query.Record, 0, hi-lo)
		for i := lo; i < hi; i++ {
			recs = append(recs, query.Record{Key: docKey(i), Vector: vecs[i]})
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
			return nil, nil, err
		}
		if opts.Progress != nil {
			opts.Progress(hi, len(vecs))
		}
	}
	search = func(q []float32) ([]text.Scored[uint64], error) {
		res, err := c.Search(ctx, q, opts.Depth, query.SearchOptions{})
		if err != nil {
			return nil, err
		}
		out := make([]text.Scored[uint64], len(res))
		for j, x := range res {
			out[j] = text.Scored[uint64]{ID: keyDoc(x.Key), Score: float64(x.Score)}
		}
		return out, nil
	}
	return search, done, nil
}

// scanCosine ranks every document vector by cosine with q, best first
// (ties by lower index), and returns the first depth. Cost: O(N·d + N log N).
func scanCosine(vecs [][]float32, q []float32, depth int) []text.Scored[uint64] {
	qn := math.Sqrt(dot64(q, q))
	out := make([]text.Scored[uint64], len(vecs))
	for i, v := range vecs {
		s := dot64(q, v) / (qn * math.Sqrt(dot64(v, v)))
		if math.IsNaN(s) {
			s = math.Inf(-1) // a zero vector is never close
		}
		out[i] = text.Scored[uint64]{ID: uint64(i), Score: s}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out[:min(depth, len(out))]
}

func dot64(a, b []float32) float64 {
	s := 0.0
	for i, x := range a {
		s += float64(x) * float64(b[i])
	}
	return s
}
