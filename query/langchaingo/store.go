package langchaingo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/tmc/langchaingo/embeddings"
	"github.com/tmc/langchaingo/schema"
	"github.com/tmc/langchaingo/vectorstores"

	"github.com/vecbolt/vecbolt/query"
)

// DefaultCollection is the collection used when neither Options.Collection
// nor a call's namespace names one; it is also the CLI's default (-c).
const DefaultCollection = "default"

// Options configures New. The zero value means the collection "default",
// collections created under cosine with vecbolt's HNSW defaults, graph
// searches with the collection's ef, and random UUID keys.
type Options struct {
	// Collection is the collection of calls that give no namespace; ""
	// means DefaultCollection.
	Collection string
	// Config configures the collections AddDocuments creates. Dim may be
	// 0: it is taken from the first embeddings (a non-zero Dim that
	// differs from them is an error of the database).
	Config query.CollectionConfig
	// Search is the base of every search: Exact and Ef apply; Filter,
	// WithMetadata and WithText are set by the store.
	Search query.SearchOptions
	// NewKey returns the key of each added document; nil means a random
	// (version 4) UUID. It is called once per document, possibly from
	// concurrent calls, and must return distinct keys.
	NewKey func() string
}

// Store is a langchaingo vector store over one vecbolt database. Create it
// with New. It is safe for concurrent use.
type Store struct {
	db       *query.DB
	embedder embeddings.Embedder
	opts     Options
}

var _ vectorstores.VectorStore = (*Store)(nil)

// New returns a store that keeps its documents in db and embeds them with
// embedder. The store does not own db. Errors: ErrOption for a nil db or
// embedder or a collection name the database refuses when first used.
// Cost: O(1).
func New(db *query.DB, embedder embeddings.Embedder, opts Options) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: the database is nil", ErrOption)
	}
	if embedder == nil {
		return nil, fmt.Errorf("%w: the embedder is nil", ErrOption)
	}
	if opts.Collection == "" {
		opts.Collection = DefaultCollection
	}
	if opts.NewKey == nil {
		opts.NewKey = func() string { return uuid.NewString() }
	}
	return &Store{db: db, embedder: embedder, opts: opts}, nil
}

// options applies langchaingo's options over the store's defaults.
func (s *Store) options(options []vectorstores.Option) (vectorstores.Options, string, embeddings.Embedder) {
	var o vectorstores.Options
	for _, opt := range options {
		opt(&o)
	}
	name := o.NameSpace
	if name == "" {
		name = s.opts.Collection
	}
	e := s.embedder
	if o.Embedder != nil {
		e = o.Embedder
	}
	return o, name, e
}

// AddDocuments embeds the documents' PageContent with the embedder and
// writes one record per document into the namespace's collection, which it
// creates when missing (dimension of the embeddings, Options.Config): key
// from Options.NewKey, the vector, the text, and the metadata as a JSON
// object. It returns the keys in the order of the documents added (those a
// WithDeduplicater function skips get none). The write is all or nothing:
// on any error nothing is stored. No documents (or all skipped) is a no-op
// that returns no keys.
//
// Errors: ErrOption for a score threshold or filters (they do not apply to
// a write), ErrMetadata for metadata that does not marshal to JSON (naming
// the document), ErrEmbedder for a wrong number of vectors or vectors of
// different lengths, the embedder's own error, and the database's
// (query.ErrDimension for vectors that do not fit an existing collection,
// query.ErrZeroVector for a text that embeds to zero under cosine, ...).
//
// Cost: the embedder's, plus O(len(docs)·M·efConstruction) distance
// computations to link the new records into the graph, whatever the
// collection's size n.
func (s *Store) AddDocuments(ctx context.Context, docs []schema.Document, options ...vectorstores.Option) ([]string, error) {
	o, name, embedder := s.options(options)
	if o.ScoreThreshold != 0 || o.Filters != nil {
		return nil, fmt.Errorf("%w: AddDocuments takes no score threshold or filters", ErrOption)
	}
	if o.Deduplicater != nil {
		kept := make([]schema.Document, 0, len(docs))
		for _, d := range docs {
			if !o.Deduplicater(ctx, d) {
				kept = append(kept, d)
			}
		}
		docs = kept
	}
	if len(docs) == 0 {
		return []string{}, nil
	}
	metas := make([]json.RawMessage, len(docs))
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = d.PageContent
		if d.Metadata == nil {
			continue
		}
		m, err := json.Marshal(d.Metadata)
		if err != nil {
			return nil, fmt.Errorf("%w: document %d: %w", ErrMetadata, i, err)
		}
		metas[i] = m
	}
	vecs, err := embedder.EmbedDocuments(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("langchaingo: embedding %d documents: %w", len(docs), err)
	}
	if len(vecs) != len(docs) {
		return nil, fmt.Errorf("%w: %d vectors for %d documents", ErrEmbedder, len(vecs), len(docs))
	}
	for i, v := range vecs {
		if len(v) != len(vecs[0]) || len(v) == 0 {
			return nil, fmt.Errorf("%w: vector %d has %d components, vector 0 has %d", ErrEmbedder, i, len(v), len(vecs[0]))
		}
	}
	c, err := s.collection(ctx, name, len(vecs[0]))
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(docs))
	recs := make([]query.Record, len(docs))
	for i := range docs {
		keys[i] = s.opts.NewKey()
		recs[i] = query.Record{Key: keys[i], Vector: vecs[i], Metadata: metas[i], Text: texts[i]}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		return nil, fmt.Errorf("langchaingo: collection %q: %w", name, err)
	}
	return keys, nil
}

// collection opens the named collection, creating it with dimension dim
// when it does not exist.
func (s *Store) collection(ctx context.Context, name string, dim int) (*query.Collection, error) {
	c, err := s.db.Collection(ctx, name)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, query.ErrUnknownCollection) {
		return nil, fmt.Errorf("langchaingo: %w", err)
	}
	cfg := s.opts.Config
	if cfg.Dim == 0 {
		cfg.Dim = dim
	}
	c, err = s.db.CreateCollection(ctx, name, cfg)
	if err != nil {
		return nil, fmt.Errorf("langchaingo: creating collection %q: %w", name, err)
	}
	return c, nil
}

// SimilaritySearch embeds q with the embedder's EmbedQuery and returns the
// numDocuments nearest documents of the namespace's collection that pass
// the filters, closest first, each with its text, its metadata and its
// score (see the package documentation for what the score and the
// threshold mean per metric). With a threshold, fewer than numDocuments
// may come back: the nearest numDocuments are cut at it.
//
// Errors: ErrOption for numDocuments < 1 or a threshold out of range (or
// any threshold on an l2 collection), a *FilterError or query's
// *SyntaxError for a filter that cannot be mapped, an error wrapping
// query.ErrUnknownCollection for a namespace with no collection, the
// embedder's error, ErrMetadata for a stored record whose metadata is not
// a JSON object, and the database's (query.ErrDimension for a query vector
// of the wrong length).
//
// Cost: the embedder's, plus O(ef·M) distance computations for a graph
// search (O(n) with Options.Search.Exact or a selective filter, see
// query.SearchOptions.Filter), plus one record read per result.
func (s *Store) SimilaritySearch(ctx context.Context, q string, numDocuments int, options ...vectorstores.Option) ([]schema.Document, error) {
	o, name, embedder := s.options(options)
	if numDocuments < 1 {
		return nil, fmt.Errorf("%w: numDocuments is %d, want at least 1", ErrOption, numDocuments)
	}
	th := float64(o.ScoreThreshold)
	if math.IsNaN(th) || math.IsInf(th, 0) {
		return nil, fmt.Errorf("%w: score threshold %g is not a finite number", ErrOption, th)
	}
	filter, err := Filter(o.Filters)
	if err != nil {
		return nil, err
	}
	c, err := s.db.Collection(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("langchaingo: namespace %q: %w", name, err)
	}
	if th != 0 {
		switch m := c.Config().Metric; m {
		case query.L2:
			return nil, fmt.Errorf("%w: collection %q uses l2, whose scores are distances; a score threshold applies to cosine and dot only", ErrOption, name)
		case query.Cosine:
			if th < -1 || th > 1 {
				return nil, fmt.Errorf("%w: score threshold %g is outside [-1, 1], the range of cosine similarity", ErrOption, th)
			}
		}
	}
	vec, err := embedder.EmbedQuery(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("langchaingo: embedding the query: %w", err)
	}
	so := s.opts.Search
	so.Filter, so.WithMetadata, so.WithText = filter, true, true
	res, err := c.Search(ctx, vec, numDocuments, so)
	if err != nil {
		return nil, fmt.Errorf("langchaingo: collection %q: %w", name, err)
	}
	out := make([]schema.Document, 0, len(res))
	for _, r := range res {
		if th != 0 && float64(r.Score) < th {
			break // results are ordered, best first
		}
		d := schema.Document{PageContent: r.Text, Score: r.Score}
		if len(r.Metadata) > 0 && string(r.Metadata) != "null" {
			if err := json.Unmarshal(r.Metadata, &d.Metadata); err != nil {
				return nil, fmt.Errorf("%w: record %q of collection %q: %w", ErrMetadata, r.Key, name, err)
			}
		}
		out = append(out, d)
	}
	return out, nil
}
