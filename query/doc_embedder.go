package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
	"github.com/vecbolt/vecbolt/store"
)

// EmbedderOptions says how a DB reaches the embedding servers named by its
// collections' specs. Base URLs and keys are never stored in the file.
// The zero value reads the environment (OLLAMA_HOST; OPENAI_BASE_URL and
// OPENAI_API_KEY) and uses the clients' defaults.
type EmbedderOptions struct {
	// Client is passed to the ollama and openai embedders; its BaseURL and
	// APIKey, when empty, come from the environment (embed.EnvOptions).
	Client embed.ClientOptions
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// embedderCache holds each collection's resolved embedder.
type embedderCache struct {
	mu sync.Mutex                     // protects m
	m  map[*Collection]embed.Embedder // resolved or given embedders
}

func (ec *embedderCache) get(c *Collection) embed.Embedder {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	return ec.m[c]
}

func (ec *embedderCache) set(c *Collection, e embed.Embedder) {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	if ec.m == nil {
		ec.m = make(map[*Collection]embed.Embedder)
	}
	if e == nil {
		delete(ec.m, c)
		return
	}
	ec.m[c] = e
}

// canonicalEmbedder returns the canonical form of an embedder spec (every
// default spelled out, see embed.Spec), or "" for "". Errors: the
// *embed.SpecError of embed.ParseSpec.
func canonicalEmbedder(spec string) (string, error) {
	if spec == "" {
		return "", nil
	}
	s, err := embed.ParseSpec(spec)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

// Embedder returns the embedder recorded in the collection's config,
// resolving it on first use and keeping it for later calls:
//
//   - words:COLLECTION snapshots that collection of the same database
//     (NewVocabulary, O(n·d) once); with p=counts the counts are the
//     records' {"count": N} metadata (as `vecbolt import --vocab` stores
//     them); with pc=1 the component stored with this collection is
//     applied, and until one is fitted (by the first AddDocuments)
//     embedding fails with embed.ErrNoComponent.
//   - ollama:MODEL and openai:MODEL are clients configured by
//     Options.Embedder and the environment.
//
// The words embedder's vocabulary is a snapshot: writes to the word
// collection afterwards are not seen until the database is reopened.
//
// Errors: ErrNoEmbedder for a collection without one; a words collection
// that is missing (ErrUnknownCollection), this collection itself, or of
// another dimension (*embed.DimensionError); the errors of embed.New.
// Safe for concurrent use.
func (c *Collection) Embedder(ctx context.Context) (embed.Embedder, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if e := c.db.embedders.get(c); e != nil {
		return e, nil
	}
	e, err := c.resolveEmbedder(ctx, true)
	if err != nil {
		return nil, err
	}
	c.db.embedders.set(c, e)
	return e, nil
}

// UseEmbedder makes the collection embed with e instead of resolving its
// recorded spec (a test's deterministic embedder, or a server client
// configured by hand). e's spec and dimension must be the recorded ones
// (embed.Check): otherwise a *embed.MismatchError or *embed.DimensionError.
// A words embedder that removes a component gets the stored one, if any.
// O(1).
func (c *Collection) UseEmbedder(e embed.Embedder) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.cfg.Embedder == "" {
		return fmt.Errorf("%w: collection %q", ErrNoEmbedder, c.name)
	}
	if err := embed.Check(c.cfg.Embedder, c.cfg.Dim, e); err != nil {
		return fmt.Errorf("query: collection %q: %w", c.name, err)
	}
	if w, ok := e.(*embed.WordsEmbedder); ok && w.Spec().Params["pc"] == "1" {
		comp, err := c.storedComponent()
		if err != nil {
			return err
		}
		if comp != nil {
			if e, err = w.WithComponent(comp); err != nil {
				return err
			}
		}
	}
	c.db.embedders.set(c, e)
	return nil
}

// embedderFor checks an embedder given with a call against the
// collection's spec; nil means the collection's own.
func (c *Collection) embedderFor(ctx context.Context, given embed.Embedder) (embed.Embedder, error) {
	if given == nil {
		return c.Embedder(ctx)
	}
	if c.cfg.Embedder == "" {
		return nil, fmt.Errorf("%w: collection %q", ErrNoEmbedder, c.name)
	}
	if err := embed.Check(c.cfg.Embedder, c.cfg.Dim, given); err != nil {
		return nil, fmt.Errorf("query: collection %q: %w", c.name, err)
	}
	return given, nil
}

// storedComponent reads the SIF component stored with the collection, or
// nil.
func (c *Collection) storedComponent() (*text.Component, error) {
	var comp *text.Component
	err := c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		b, err := sc.TextComponent()
		if err != nil || b == nil {
			return err
		}
		comp = new(text.Component)
		if err := comp.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("query: collection %q: stored component: %w: %w", c.name, err, store.ErrCorrupt)
		}
		return nil
	})
	return comp, err
}

// resolveEmbedder builds the collection's embedder from its spec, with the
// stored component when withComponent is set.
func (c *Collection) resolveEmbedder(ctx context.Context, withComponent bool) (embed.Embedder, error) {
	if c.cfg.Embedder == "" {
		return nil, fmt.Errorf("%w: collection %q", ErrNoEmbedder, c.name)
	}
	spec, err := embed.ParseSpec(c.cfg.Embedder)
	if err != nil {
		return nil, err
	}
	var deps embed.Deps
	switch spec.Provider {
	case embed.Words:
		if spec.Model == c.name {
			return nil, fmt.Errorf("query: collection %q: its words embedder names the collection itself; name the word-vector collection", c.name)
		}
		wc, err := c.db.Collection(ctx, spec.Model)
		if err != nil {
			return nil, fmt.Errorf("query: collection %q: words embedder: %w", c.name, err)
		}
		if wc.cfg.Dim != c.cfg.Dim {
			return nil, fmt.Errorf("query: collection %q: %w", c.name, &embed.DimensionError{Embedder: spec.String(), Index: -1, Got: wc.cfg.Dim, Want: c.cfg.Dim})
		}
		if deps.Vocabulary, err = NewVocabulary(ctx, wc); err != nil {
			return nil, err
		}
		if spec.Params["p"] == "counts" {
			if deps.Counts, err = wordCounts(ctx, wc); err != nil {
				return nil, err
			}
		}
		if spec.Params["pc"] == "1" && withComponent {
			if deps.Component, err = c.storedComponent(); err != nil {
				return nil, err
			}
		}
	default:
		getenv := c.db.embOpts.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		deps.Client = c.db.embOpts.Client
		env := embed.EnvOptions(spec.Provider, getenv)
		if deps.Client.BaseURL == "" {
			deps.Client.BaseURL = env.BaseURL
		}
		if deps.Client.APIKey == "" {
			deps.Client.APIKey = env.APIKey
		}
		if deps.Client.Dim == 0 {
			deps.Client.Dim = c.cfg.Dim
		}
	}
	e, err := embed.New(spec.String(), deps)
	if err != nil {
		return nil, fmt.Errorf("query: collection %q: %w", c.name, err)
	}
	if err := embed.Check(c.cfg.Embedder, c.cfg.Dim, e); err != nil {
		return nil, fmt.Errorf("query: collection %q: %w", c.name, err)
	}
	return e, nil
}

// wordCounts reads SIF's word counts from the {"count": N} metadata of a
// word collection. Errors: a collection without any (ErrNoCounts).
func wordCounts(ctx context.Context, wc *Collection) (*text.Counts, error) {
	m := make(map[string]uint64)
	err := wc.ForEach(ctx, func(r Record) error {
		if len(r.Metadata) == 0 {
			return nil
		}
		var v struct {
			Count *uint64 `json:"count"`
		}
		if json.Unmarshal(r.Metadata, &v) == nil && v.Count != nil {
			m[r.Key] = *v.Count
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cs, err := text.NewCounts(m)
	if err != nil {
		return nil, fmt.Errorf("%w: collection %q (%v)", ErrNoCounts, wc.name, err)
	}
	return cs, nil
}

// embedTexts embeds texts with e as documents, reporting the words
// embedder's out-of-vocabulary words. Every vector is checked against the
// collection's dimension. Errors: the embedder's, with a failing text's
// index; a vector of the wrong length (*embed.DimensionError).
func (c *Collection) embedTexts(ctx context.Context, e embed.Embedder, texts []string) ([][]float32, []embed.Embedding, error) {
	var vecs [][]float32
	var report []embed.Embedding
	if w, ok := e.(*embed.WordsEmbedder); ok {
		es, err := w.Embed(ctx, texts)
		if err != nil {
			return nil, nil, err
		}
		vecs = make([][]float32, len(es))
		for i := range es {
			vecs[i] = es[i].Vector
		}
		report = es
	} else {
		var err error
		if vecs, err = e.EmbedDocuments(ctx, texts); err != nil {
			return nil, nil, err
		}
	}
	if len(vecs) != len(texts) {
		return nil, nil, fmt.Errorf("query: embedder %s returned %d vectors for %d texts", e.Spec(), len(vecs), len(texts))
	}
	for i, v := range vecs {
		if len(v) != c.cfg.Dim {
			return nil, nil, &embed.DimensionError{Embedder: e.Spec().String(), Index: i, Got: len(v), Want: c.cfg.Dim}
		}
	}
	return vecs, report, nil
}

// needsComponent reports whether e removes a principal component it does
// not have yet.
func needsComponent(e embed.Embedder) (*embed.WordsEmbedder, bool) {
	w, ok := e.(*embed.WordsEmbedder)
	if !ok || w.Spec().Params["pc"] != "1" {
		return nil, false
	}
	_, err := w.EmbedQuery(context.Background(), "")
	return w, errors.Is(err, embed.ErrNoComponent)
}

// QueryReport says how a query text was embedded.
type QueryReport struct {
	// Words is the number of words in the query (words embedder only).
	Words int
	// OOV lists the query's words that the words embedder found in no
	// vocabulary, in text order (repeats kept); they did not contribute
	// to the vector. nil for server embedders.
	OOV []string
}

// EmbedQuery embeds q as SearchText does (with e, or the collection's
// embedder when e is nil) and reports the words it could not place.
// Errors: those of the embedder (an *embed.TextError for a query with no
// word or no known word), a vector of the wrong dimension
// (*embed.DimensionError). Cost: one query embedding (O(len(q) + words·d)
// for a words embedder, one request for a server). Safe for concurrent
// use.
func (c *Collection) EmbedQuery(ctx context.Context, q string, e embed.Embedder) ([]float32, QueryReport, error) {
	var rep QueryReport
	e, err := c.embedderFor(ctx, e)
	if err != nil {
		return nil, rep, err
	}
	var v []float32
	if w, ok := e.(*embed.WordsEmbedder); ok {
		es, err := w.Embed(ctx, []string{q})
		if err != nil {
			return nil, rep, err
		}
		v, rep.Words, rep.OOV = es[0].Vector, es[0].Words, es[0].OOV
	} else if v, err = e.EmbedQuery(ctx, q); err != nil {
		return nil, rep, err
	}
	if len(v) != c.cfg.Dim {
		return nil, rep, &embed.DimensionError{Embedder: e.Spec().String(), Index: -1, Got: len(v), Want: c.cfg.Dim}
	}
	return v, rep, nil
}

// checkEmbedderSpec returns cfg.Embedder in canonical form, refusing a
// words spec whose collection exists with another dimension (or is the
// collection itself). A words collection that does not exist yet is
// accepted: it is looked up when the embedder is first used. O(1).
func (db *DB) checkEmbedderSpec(name string, cfg CollectionConfig) (string, error) {
	spec, err := canonicalEmbedder(cfg.Embedder)
	if err != nil {
		return "", fmt.Errorf("query: collection %q: %w", name, err)
	}
	if spec == "" {
		return "", nil
	}
	s, _ := embed.ParseSpec(spec)
	if s.Provider != embed.Words {
		return spec, nil
	}
	if s.Model == name {
		return "", fmt.Errorf("query: collection %q: its words embedder names the collection itself; name the word-vector collection", name)
	}
	wcfg, _, err := db.CollectionInfo(s.Model)
	if errors.Is(err, ErrUnknownCollection) {
		return spec, nil
	}
	if err != nil {
		return "", err
	}
	if wcfg.Dim != cfg.Dim {
		return "", fmt.Errorf("query: collection %q: %w", name, &embed.DimensionError{Embedder: spec, Index: -1, Got: wcfg.Dim, Want: cfg.Dim})
	}
	return spec, nil
}
