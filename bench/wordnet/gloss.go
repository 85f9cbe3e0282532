package wordnet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
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
	// Weights are the vector ranking's weights in the weighted-score fusion
	// (min-max normalised cosine and BM25 scores, as
	// query.TextSearchOptions.Weight), one hybrid-weighted row each; the
	// keyword ranking gets 1 − weight. nil means {0.5}; each must lie in
	// (0, 1).
	Weights []float64
	// Mean pools by plain mean instead of SIF; NoPC keeps the principal
	// component (otherwise AddDocuments fits it on a sample of the
	// definitions, the documents, and it is removed from documents and
	// queries alike).
	Mean, NoPC bool
	// Exact ranks the documents' vectors by an exact scan of the
	// collection, O(N·d) per query, instead of the graph search.
	Exact bool
	// Dir is where the temporary vecbolt database of the documents is made
	// (and removed); "" means os.TempDir().
	Dir string
	// Collection names the word collection in the embedder's spec; ""
	// means "words".
	Collection string
	// Progress, if set, is called with the number of documents linked into
	// the graph so far, from the building goroutines (it must be safe for
	// concurrent use).
	Progress func(done, total int)
}

// GlossRow is the score of one search mode.
type GlossRow struct {
	Mode string `json:"mode"` // keyword, vector, hybrid-rrf or hybrid-weighted
	// Weight is the vector weight of a hybrid-weighted row.
	Weight float64 `json:"vector_weight,omitempty"`
	R10    float64 `json:"recall_at_10"`
	MRR    float64 `json:"mrr"`
	// Latency is the mean time of the query's SearchText call: tokenizing
	// and BM25 over the postings in the file for keyword; embedding and the
	// graph search for vector; both plus the fusion for a hybrid (the two
	// rankings run one after the other).
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

// GlossRetrieval evaluates vecbolt's text search as an application uses
// it. It stores the definition of every synset whose definition has a word
// in v as a document (key: the synset's ID) with query.AddDocuments in a
// collection of a temporary database (cosine, default HNSW parameters,
// level seed 1): the vector of the words embedder over v, the text, and
// its BM25 postings in the file. With the principal component (not NoPC),
// the first AddDocuments call fits it on a seeded random sample of
// query.DefaultFitSample definitions (all of them when there are fewer)
// and stores it with the collection. It then draws opts.Queries synsets that have an example with
// a known word, queries with the first example through
// query.Collection.SearchText, and records the rank of the synset's own
// definition under keyword (BM25 from the postings, Lucene's k1 = 1.2,
// b = 0.75), vector and two hybrid searches, each fusing the two rankings
// of depth Depth: RRF (k = RRFK) and a weighted sum of min-max normalised
// scores (one row per vector weight in Weights). The examples are not part of the
// documents. Found tells, per query, which of the keyword and vector
// rankings holds the relevant document.
//
// The temporary collection records the embedder's spec (words:COLLECTION)
// but embeds with the embedder built here over v
// (query.Collection.UseEmbedder), since the word collection lives in
// another database.
//
// Errors: a bad option (ErrOption), no synset with an example
// (ErrNoSynsets), ctx's error, errors of the embedder and of the
// temporary database. Cost: AddDocuments of N definitions (embedding,
// the component fit O(N·d²), the graph build O(N·log N·M·efConstruction·d),
// the postings O(total words)), then per query four SearchText calls: a
// BM25 ranking (O(postings of the query's words)), a graph search, and two
// hybrids that run both.
func GlossRetrieval(ctx context.Context, synsets []Synset, v embed.Vocabulary, opts GlossOptions) (rep *GlossReport, err error) {
	if opts.Queries < 0 || opts.Depth < 0 || opts.RRFK < 0 {
		return nil, fmt.Errorf("%w: queries %d, depth %d and RRF k %g must not be negative", ErrOption, opts.Queries, opts.Depth, opts.RRFK)
	}
	if opts.Weights == nil {
		opts.Weights = []float64{0.5}
	}
	for _, w := range opts.Weights {
		if !(w > 0 && w < 1) {
			return nil, fmt.Errorf("%w: vector weight %g is outside (0, 1)", ErrOption, w)
		}
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
	wo := embed.WordsOptions{Collection: opts.Collection, Pool: embed.SIF, RemoveComponent: !opts.NoPC}
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
	// Documents: definitions with a known word (AddDocuments refuses a
	// text with none, and would refuse the whole batch).
	var docs []query.Document
	var qdocs []int
	var qtexts []string
	rep = &GlossReport{Depth: opts.Depth}
	for _, s := range synsets {
		if _, err := e.Pool(ctx, []string{s.Definition}); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rep.Skipped++
			continue
		}
		// Queries: documents with an example that embeds.
		if len(s.Examples) > 0 {
			if _, err := e.Pool(ctx, []string{s.Examples[0]}); err == nil {
				qdocs = append(qdocs, len(docs))
				qtexts = append(qtexts, s.Examples[0])
			}
		}
		docs = append(docs, query.Document{Key: s.ID(), Text: s.Definition})
	}
	rep.Documents = len(docs)
	rep.Eligible = len(qdocs)
	if len(qdocs) == 0 {
		return nil, fmt.Errorf("%w: none of %d documents has an example with a known word", ErrNoSynsets, len(docs))
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	perm := r.Perm(len(qdocs))[:min(opts.Queries, len(qdocs))]
	sort.Ints(perm) // evaluate in file order; the draw is the set
	rep.Queries = len(perm)

	c, done, err := glossCollection(ctx, docs, e, opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if derr := done(); err == nil && derr != nil {
			err = derr
		}
	}()
	rep.Embedder = c.Config().Embedder

	base := query.TextSearchOptions{SearchOptions: query.SearchOptions{Exact: opts.Exact}, Candidates: opts.Depth, RRFK: opts.RRFK}
	modes := []query.TextSearchOptions{base, base, base}
	modes[0].Mode = query.ModeKeyword
	modes[1].Mode = query.ModeVector
	modes[2].Mode, modes[2].Fusion = query.ModeHybrid, query.FusionRRF
	rows := []GlossRow{{Mode: "keyword"}, {Mode: "vector"}, {Mode: "hybrid-rrf"}}
	for _, w := range opts.Weights {
		m := base
		m.Mode, m.Fusion, m.Weight = query.ModeHybrid, query.FusionWeighted, w
		modes = append(modes, m)
		rows = append(rows, GlossRow{Mode: "hybrid-weighted", Weight: w})
	}
	for i := range rows {
		rows[i].ranks = make([]int, len(perm))
	}
	lat := make([]time.Duration, len(modes))
	lists := make([][]query.TextResult, len(modes))
	for qi, p := range perm {
		want := docs[qdocs[p]].Key
		rep.QueryIDs = append(rep.QueryIDs, want)
		for m, mo := range modes {
			t0 := time.Now()
			res, err := c.SearchText(ctx, qtexts[p], opts.Depth, mo)
			lat[m] += time.Since(t0)
			if err != nil {
				return nil, fmt.Errorf("wordnet: gloss retrieval, %s query %q: %w", rows[m].Mode, qtexts[p], err)
			}
			lists[m] = res
			rows[m].ranks[qi] = rankIn(res, want)
		}
		rep.Found.add(rows[0].ranks[qi], rows[1].ranks[qi])
		rep.Found.Overlap += float64(overlap(lists[0], lists[1]))
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
func overlap(a, b []query.TextResult) int {
	in := make(map[string]bool, len(a))
	for _, r := range a {
		in[r.Key] = true
	}
	n := 0
	for _, r := range b {
		if in[r.Key] {
			n++
		}
	}
	return n
}

// rankIn returns the 1-based position of key in l, or 0.
func rankIn(l []query.TextResult, key string) int {
	for i, r := range l {
		if r.Key == key {
			return i + 1
		}
	}
	return 0
}

// glossFirst and glossBatch are the number of documents of the first
// AddDocuments call and of each later one (variables for the tests).
var glossFirst, glossBatch = query.DefaultFitSample, 2000

// glossCollection adds docs with query.AddDocuments to a collection
// "gloss" (cosine, default HNSW parameters, level seed 1, e's spec) of a
// temporary database, fitting e's principal component on a seeded sample
// of query.DefaultFitSample of them when e removes one, and returns the collection, embedding with e and the
// stored component, and a function that closes and removes the database.
// Cost: see GlossRetrieval.
func glossCollection(ctx context.Context, docs []query.Document, e *embed.WordsEmbedder, opts GlossOptions) (c *query.Collection, done func() error, err error) {
	dir, err := os.MkdirTemp(opts.Dir, "vecbolt-gloss-")
	if err != nil {
		return nil, nil, fmt.Errorf("wordnet: %w", err)
	}
	db, err := query.Open(filepath.Join(dir, "gloss.db"), query.Options{NoSync: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	cleanup := func() error {
		err := db.Close()
		if rerr := os.RemoveAll(dir); err == nil && rerr != nil {
			err = fmt.Errorf("wordnet: %w", rerr)
		}
		return err
	}
	defer func() {
		if err != nil {
			cleanup() // the first error is the one to report
		}
	}()
	c, err = db.CreateCollection(ctx, "gloss", query.CollectionConfig{Dim: e.Dim(), Seed: 1, Embedder: e.Spec().String()})
	if err != nil {
		return nil, nil, err
	}
	if err := c.UseEmbedder(e); err != nil {
		return nil, nil, err
	}
	// Documents go in batches, in a seeded random order (file order when
	// they fit in one batch, so ties rank in file order): the first batch
	// of query.DefaultFitSample documents is a random sample on which
	// AddDocuments fits the component (the product's default sample); the
	// later batches are small because one AddDocuments call writes its
	// postings at random places of a bbolt transaction, which costs
	// quadratically in the batch (10k definitions: 6 s of memmove).
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	if len(docs) > glossFirst { // else one batch, in file order
		rand.New(rand.NewPCG(opts.Seed, 0xadd)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	batch := make([]query.Document, 0, max(glossFirst, glossBatch))
	added := 0
	for lo := 0; lo < len(order); {
		size := glossBatch
		if lo == 0 {
			size = glossFirst
		}
		hi := min(lo+size, len(order))
		batch = batch[:0]
		for _, i := range order[lo:hi] {
			batch = append(batch, docs[i])
		}
		// The first call embeds with e and fits the component; later ones
		// with the collection's embedder, e with the stored component
		// (UseEmbedder below).
		do := query.DocumentOptions{Seed: opts.Seed}
		if opts.Progress != nil {
			total, base := len(docs), added
			do.Batch.Progress = func(n int) { opts.Progress(base+n, total) }
		}
		if _, err := c.AddDocuments(ctx, batch, do); err != nil {
			return nil, nil, err
		}
		added += len(batch)
		lo = hi
		if err := c.UseEmbedder(e); err != nil {
			return nil, nil, err
		}
	}
	return c, cleanup, nil
}
