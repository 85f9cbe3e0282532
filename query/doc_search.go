package query

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
	"github.com/vecbolt/vecbolt/store"
)

// Text search modes and fusions (TextSearchOptions).
const (
	ModeVector  = "vector"  // rank by the embedded query's vector score
	ModeKeyword = "keyword" // rank by BM25 over the stored texts
	ModeHybrid  = "hybrid"  // fuse the two rankings

	FusionRRF      = "rrf"      // reciprocal rank fusion, 1/(K + rank) summed
	FusionWeighted = "weighted" // Weight·vector + (1−Weight)·keyword, min-max normalised
)

// TextSearchOptions tunes SearchText. The zero value is a vector search
// merged per document. SearchOptions' Filter and Restrict apply to both
// rankings before they are fused; Ef and Exact to the vector ranking;
// WithMetadata, WithText and Offset to the results (Offset after merging
// and fusion); WithVectors is not supported.
type TextSearchOptions struct {
	SearchOptions
	// Mode is ModeVector ("" too), ModeKeyword or ModeHybrid.
	Mode string
	// Fusion is FusionRRF ("" too) or FusionWeighted, for ModeHybrid.
	Fusion string
	// RRFK is reciprocal rank fusion's k; 0 means 60.
	RRFK float64
	// Weight is the vector ranking's weight in [0, 1] for FusionWeighted
	// (the keyword ranking gets 1−Weight); 0 means 0.5. With FusionRRF it
	// weighs the two reciprocal ranks the same way.
	Weight float64
	// Candidates is how deep each ranking goes before fusion; 0 means
	// max(4·(k+Offset), 50).
	Candidates int
	// Chunks returns chunk records instead of merging them into their
	// documents.
	Chunks bool
	// Threshold, when not nil, drops results whose Score fails it:
	//   - vector: Score is the metric's score (cosine similarity or dot
	//     product, kept when ≥ Threshold; Euclidean distance under l2,
	//     kept when ≤ Threshold), as SearchWithin;
	//   - keyword: Score is the BM25 score, kept when ≥ Threshold;
	//   - hybrid: Score is the fused score, kept when ≥ Threshold: for
	//     RRF Σ w/(K + rank) with w = 2·Weight for the vector ranking and
	//     2·(1−Weight) for the keyword one, so at most 2/(K+1) (1/61 + 1/61
	//     for a document first in both at the defaults); for weighted
	//     fusion in [0, 1] (1: best in both rankings).
	// Threshold applies after fusion and before Offset.
	Threshold *float64
	// Embedder, when set, embeds the query instead of the collection's
	// resolved embedder; its spec and dimension must be the collection's.
	Embedder embed.Embedder
}

// TextResult is one answer of SearchText: a document (its best chunk
// first), or with Chunks one record.
type TextResult struct {
	// Key is the document's key: the record's key for a record that is
	// not a chunk, the key given to AddDocuments for a chunked document,
	// and with TextSearchOptions.Chunks the chunk record's key.
	Key string
	// Score is the ranking score (see TextSearchOptions.Threshold): the
	// best chunk's score in vector and keyword mode; the fused score in
	// hybrid mode (see TextSearchOptions.Threshold for its range).
	Score float64
	// Chunk is the key of the document's best-scoring record (Key itself
	// for a record that is not a chunk).
	Chunk string
	// VectorScore and KeywordScore are the best chunk's scores in each
	// ranking; VectorRank and KeywordRank are the document's 1-based
	// ranks there, 0 when it is not among the candidates of that ranking.
	VectorScore, KeywordScore float64
	VectorRank, KeywordRank   int
	// Text is the best chunk's text when WithText is set.
	Text string
	// Metadata is set when WithMetadata is set.
	Metadata json.RawMessage
}

// textHit is one record in a ranking.
type textHit struct {
	id    uint32
	key   string
	doc   string // merged key
	score float64
}

// SearchText answers a text query: vector mode embeds it with the
// collection's embedder (the same one, with the same SIF component, as the
// documents) and searches the graph; keyword mode scores the stored texts
// by Lucene's BM25 (k1 1.2, b 0.75) from the postings in the file; hybrid
// mode fuses the two rankings. Results are merged per document (a
// document's score is its best chunk's) unless opts.Chunks. The query's
// out-of-vocabulary words do not count towards its vector; EmbedQuery
// reports them. In keyword mode a query with no word has no results.
//
// Errors: ErrInvalidK; ErrTextMode; the query's *embed.TextError (no
// words, or no known word: vector and hybrid modes) and the embedder's
// errors; a *text.UTF8Error for invalid UTF-8; ErrNoEmbedder for vector
// and hybrid modes on a collection without one.
//
// Cost: vector, one query embedding plus a graph search of depth
// Candidates (O(ef·M) distance computations), repeated with a doubled
// depth while chunks of the same documents leave fewer than k documents;
// keyword, O(Σ df(t)) postings read for the query's distinct words t plus
// a read per candidate; hybrid, both plus O(Candidates) fusion. Safe for
// concurrent use.
func (c *Collection) SearchText(ctx context.Context, q string, k int, opts TextSearchOptions) ([]TextResult, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if k <= 0 {
		return nil, fmt.Errorf("%w (got %d)", ErrInvalidK, k)
	}
	if opts.Offset < 0 {
		return nil, fmt.Errorf("query: offset must not be negative (got %d)", opts.Offset)
	}
	if err := opts.Filter.Err(); err != nil {
		return nil, err
	}
	mode := opts.Mode
	if mode == "" {
		mode = ModeVector
	}
	if mode != ModeVector && mode != ModeKeyword && mode != ModeHybrid {
		return nil, fmt.Errorf("%w: mode %q (want vector, keyword or hybrid)", ErrTextMode, opts.Mode)
	}
	fusion := opts.Fusion
	if fusion == "" {
		fusion = FusionRRF
	}
	if fusion != FusionRRF && fusion != FusionWeighted {
		return nil, fmt.Errorf("%w: fusion %q (want rrf or weighted)", ErrTextMode, opts.Fusion)
	}
	weight := opts.Weight
	if weight == 0 {
		weight = 0.5
	}
	if !(weight >= 0 && weight <= 1) {
		return nil, fmt.Errorf("%w: weight %v is not in [0, 1]", ErrTextMode, opts.Weight)
	}
	want := k + opts.Offset
	depth := opts.Candidates
	if depth <= 0 {
		depth = max(4*want, 50)
	}
	depth = max(depth, want)
	var vec, kw []textHit
	var err error
	if mode != ModeKeyword {
		qv, _, err := c.EmbedQuery(ctx, q, opts.Embedder)
		if err != nil {
			return nil, err
		}
		if err := store.ValidateVector(c.cfg.storeConfig(), qv); err != nil {
			return nil, fmt.Errorf("query: collection %q: query vector: %w", c.name, err)
		}
		if vec, err = c.vectorRanking(ctx, c.indexVector(qv), depth, want, opts); err != nil {
			return nil, err
		}
	}
	if mode != ModeVector {
		if kw, err = c.keywordRanking(ctx, q, depth, want, opts); err != nil {
			return nil, err
		}
	}
	var out []TextResult
	switch mode {
	case ModeVector:
		out = resultsOf(vec, true)
	case ModeKeyword:
		out = resultsOf(kw, false)
	default:
		if out, err = c.fuse(vec, kw, fusion, opts.RRFK, weight); err != nil {
			return nil, err
		}
	}
	if t := opts.Threshold; t != nil {
		kept := out[:0]
		for _, r := range out {
			if (mode == ModeVector && c.metric == index.L2 && r.Score <= *t) ||
				(!(mode == ModeVector && c.metric == index.L2) && r.Score >= *t) {
				kept = append(kept, r)
			}
		}
		out = kept
	}
	out = out[min(opts.Offset, len(out)):]
	out = out[:min(k, len(out))]
	if opts.WithText || opts.WithMetadata {
		if err := c.fillText(out, opts.WithText, opts.WithMetadata); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// merge keeps each document's best hit (hits come best first), or with
// chunks every hit under its own key.
func merge(hits []textHit, chunks bool) []textHit {
	if chunks {
		for i := range hits {
			hits[i].doc = hits[i].key
		}
		return hits
	}
	seen := make(map[string]bool, len(hits))
	out := hits[:0]
	for _, h := range hits {
		if !seen[h.doc] {
			seen[h.doc] = true
			out = append(out, h)
		}
	}
	return out
}

// vectorRanking searches the graph for records near q and merges them
// into documents, deepening the search until it holds want documents or
// the collection is exhausted.
func (c *Collection) vectorRanking(ctx context.Context, q []float32, depth, want int, opts TextSearchOptions) ([]textHit, error) {
	so := opts.SearchOptions
	so.Offset, so.WithMetadata, so.WithVectors, so.WithText = 0, false, false, false
	so.Ef = max(so.Ef, depth)
	for {
		rs, err := c.search(ctx, q, depth, nil, so)
		if err != nil {
			return nil, err
		}
		hits := make([]textHit, len(rs))
		for i, r := range rs {
			hits[i] = textHit{key: r.Key, score: float64(r.Score)}
		}
		if err := c.docsOf(hits); err != nil {
			return nil, err
		}
		merged := merge(hits, opts.Chunks)
		if len(merged) >= want || len(rs) < depth || depth >= c.Len() {
			return merged, nil
		}
		depth *= 2
		so.Ef = max(so.Ef, depth)
	}
}

// docsOf sets the document key of each hit: the chunk's document, or the
// record's own key.
func (c *Collection) docsOf(hits []textHit) error {
	return c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		for i := range hits {
			hits[i].doc = hits[i].key
			id, ok := sc.ID(hits[i].key)
			if !ok {
				continue // deleted since the search
			}
			hits[i].id = id
			ti, ok, err := sc.TextRef(id)
			if err != nil {
				return err
			}
			if ok && ti.Doc != "" {
				hits[i].doc = ti.Doc
			}
		}
		return nil
	})
}

// storeSource is a text.Source over a collection's postings in one read
// transaction.
type storeSource struct{ sc *store.Collection }

func (s storeSource) Stats() (text.Stats, error) {
	st, err := s.sc.TextStats()
	return text.Stats{Docs: int64(st.Docs), Tokens: int64(st.Tokens)}, err
}

func (s storeSource) DocFreq(term string) (int64, error) { return s.sc.DocFreq(term) }

func (s storeSource) Postings(term string, fn func(text.Posting) error) error {
	return s.sc.Postings(term, func(id uint32, freq, length int) error {
		return fn(text.Posting{Doc: uint64(id), Freq: freq, Len: length})
	})
}

// keywordRanking scores the stored texts by BM25, keeping the records
// that pass the filter and restriction, and merges them into documents,
// deepening until it holds want documents or every match is in.
func (c *Collection) keywordRanking(ctx context.Context, q string, depth, want int, opts TextSearchOptions) ([]textHit, error) {
	toks, err := text.Tokenize(q)
	if err != nil {
		return nil, fmt.Errorf("query: text query: %w", err)
	}
	terms := text.Terms(toks)
	if len(terms) == 0 {
		return nil, nil
	}
	if err := c.ensureCatalog(ctx); err != nil {
		return nil, err
	}
	for {
		var hits []textHit
		c.mu.RLock()
		accept, _ := c.plan(nil, opts.Restrict, opts.Filter, true, depth)
		keys := c.keys
		err := c.db.st.View(func(tx *store.Tx) error {
			sc, err := tx.Collection(c.name)
			if err != nil {
				return err
			}
			hs, err := text.Search(ctx, storeSource{sc}, text.DefaultBM25(), terms, depth, func(doc uint64) bool {
				return doc <= math.MaxUint32 && (accept == nil || accept(uint32(doc)))
			})
			if err != nil {
				return err
			}
			for _, h := range hs {
				id := uint32(h.Doc)
				if int(id) >= len(keys) || keys[id] == "" {
					continue
				}
				hit := textHit{id: id, key: keys[id], doc: keys[id], score: h.Score}
				ti, ok, err := sc.TextRef(id)
				if err != nil {
					return err
				}
				if ok && ti.Doc != "" {
					hit.doc = ti.Doc
				}
				hits = append(hits, hit)
			}
			return nil
		})
		c.mu.RUnlock()
		if err != nil {
			return nil, err
		}
		n := len(hits)
		merged := merge(hits, opts.Chunks)
		if len(merged) >= want || n < depth {
			return merged, nil
		}
		depth *= 2
	}
}

// resultsOf turns a merged ranking into results.
func resultsOf(hits []textHit, vector bool) []TextResult {
	out := make([]TextResult, len(hits))
	for i, h := range hits {
		out[i] = TextResult{Key: h.doc, Score: h.score, Chunk: h.key}
		if vector {
			out[i].VectorScore, out[i].VectorRank = h.score, i+1
		} else {
			out[i].KeywordScore, out[i].KeywordRank = h.score, i+1
		}
	}
	return out
}

// fuse merges the vector and keyword rankings of documents.
func (c *Collection) fuse(vec, kw []textHit, fusion string, rrfK, weight float64) ([]TextResult, error) {
	lists := [][]text.Scored[string]{make([]text.Scored[string], len(vec)), make([]text.Scored[string], len(kw))}
	best := map[string]*TextResult{}
	entry := func(h textHit) *TextResult {
		r := best[h.doc]
		if r == nil {
			r = &TextResult{Key: h.doc, Chunk: h.key}
			best[h.doc] = r
		}
		return r
	}
	for i, h := range vec {
		s := h.score
		if c.metric == index.L2 {
			s = -s // higher is better for the weighted sum
		}
		lists[0][i] = text.Scored[string]{ID: h.doc, Score: s}
		r := entry(h)
		r.VectorScore, r.VectorRank = h.score, i+1
	}
	for i, h := range kw {
		lists[1][i] = text.Scored[string]{ID: h.doc, Score: h.score}
		r := entry(h)
		r.KeywordScore, r.KeywordRank = h.score, i+1
		if r.VectorRank == 0 {
			r.Chunk = h.key // the vector ranking's best chunk, when it has the document
		}
	}
	fo := text.FuseOptions{K: rrfK, Weights: []float64{2 * weight, 2 * (1 - weight)}}
	var fused []text.Scored[string]
	var err error
	if fusion == FusionWeighted {
		fo.Weights = []float64{weight, 1 - weight}
		fused, err = text.WeightedScore(lists, fo)
	} else {
		fused, err = text.RRF(lists, fo)
	}
	if err != nil {
		return nil, fmt.Errorf("query: fuse: %w", err)
	}
	out := make([]TextResult, len(fused))
	for i, f := range fused {
		out[i] = *best[f.ID]
		out[i].Score = f.Score
	}
	return out, nil
}

// fillText sets the best chunk's text and the metadata of each result in
// one read transaction.
func (c *Collection) fillText(rs []TextResult, texts, meta bool) error {
	return c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		for i := range rs {
			id, ok := sc.ID(rs[i].Chunk)
			if !ok {
				continue // deleted since the search
			}
			if texts {
				if rs[i].Text, _, err = sc.Text(id); err != nil {
					return err
				}
			}
			if meta {
				r, err := sc.GetByID(id)
				if err != nil {
					return err
				}
				rs[i].Metadata = r.Metadata
			}
		}
		return nil
	})
}
