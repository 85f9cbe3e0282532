package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
)

// textEmbedding is a collection's embedder, opened for one command, and
// the calls of the text commands into package query.
type textEmbedding struct {
	spec  embed.Spec
	e     embed.Embedder
	words *embed.WordsEmbedder // the words embedder, for OOV reports; nil for servers
}

// docIndexError is an error about the document at Index of a batch.
type docIndexError struct {
	Index int
	Err   error
}

func (e *docIndexError) Error() string { return e.Err.Error() }
func (e *docIndexError) Unwrap() error { return e.Err }

// noEmbedder explains a collection that holds no documents.
func noEmbedder(name string) error {
	return usageErr(fmt.Errorf("collection %q has no embedder: text goes into a collection made by 'vecbolt create NAME --embedder SPEC'", name))
}

// newTextEmbedding opens the embedder recorded with c.
func newTextEmbedding(ctx context.Context, db *query.DB, c *query.Collection, flags *embedFlags) (*textEmbedding, error) {
	cfg := c.Config()
	if cfg.Embedder == "" {
		return nil, noEmbedder(c.Name())
	}
	spec, err := embed.ParseSpec(cfg.Embedder)
	if err != nil {
		return nil, err
	}
	te := &textEmbedding{spec: spec}
	deps := embed.Deps{}
	if spec.Provider == embed.Words {
		wc, err := db.Collection(ctx, spec.Model)
		if err != nil {
			return nil, fmt.Errorf("the embedder %s: %w", spec, err)
		}
		if deps.Vocabulary, err = query.NewVocabulary(ctx, wc); err != nil {
			return nil, err
		}
	} else if deps.Client, err = flags.clientOptions(spec.Provider); err != nil {
		return nil, err
	}
	if deps.Client.Dim == 0 {
		deps.Client.Dim = cfg.Dim
	}
	if te.e, err = embed.New(cfg.Embedder, deps); err != nil {
		return nil, err
	}
	te.words, _ = te.e.(*embed.WordsEmbedder)
	if err := embed.Check(cfg.Embedder, cfg.Dim, te.e); err != nil {
		return nil, err
	}
	return te, nil
}

// add embeds docs and writes them to c in one batch.
func (te *textEmbedding) add(ctx context.Context, c *query.Collection, docs []textDoc, chunks chunkFlags) (*addSummary, error) {
	if chunks.Tokens > 0 {
		return nil, usageErr(errors.New("--chunk-tokens: not yet"))
	}
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = d.Text
	}
	sum := &addSummary{Documents: len(docs), Chunks: len(docs)}
	var vecs [][]float32
	if te.words != nil {
		es, err := te.words.Embed(ctx, texts)
		if err != nil {
			var tx *embed.TextError
			if errors.As(err, &tx) {
				return nil, &docIndexError{Index: tx.Index, Err: err}
			}
			return nil, err
		}
		for _, e := range es {
			vecs = append(vecs, e.Vector)
			sum.Words += int64(e.Words)
			sum.OOV += int64(len(e.OOV))
			for _, w := range e.OOV {
				sum.noteOOV(w)
			}
		}
	} else {
		var err error
		if vecs, err = te.e.EmbedDocuments(ctx, texts); err != nil {
			return nil, err
		}
	}
	recs := make([]query.Record, len(docs))
	for i, d := range docs {
		recs[i] = query.Record{Key: d.Key, Vector: vecs[i], Metadata: d.Metadata, Text: d.Text}
	}
	if err := c.UpsertBatch(ctx, recs, query.BatchOptions{}); err != nil {
		return nil, err
	}
	return sum, nil
}

// search answers search --text.
func (te *textEmbedding) search(ctx context.Context, c *query.Collection, opts *searchOptions, so query.SearchOptions) ([]textHit, error) {
	if opts.Mode != modeVector {
		return nil, usageErr(errors.New("--mode keyword and hybrid: not yet"))
	}
	v, err := te.e.EmbedQuery(ctx, opts.Text)
	if err != nil {
		return nil, err
	}
	so.WithText = true
	res, err := c.Search(ctx, v, opts.K, so)
	if err != nil {
		return nil, err
	}
	hits := make([]textHit, len(res))
	for i, r := range res {
		hits[i] = textHit{Key: r.Key, Score: r.Score, Text: r.Text, Metadata: r.Metadata}
	}
	return hits, nil
}

// reembed embeds every document of c again.
func (te *textEmbedding) reembed(ctx context.Context, db *query.DB, c *query.Collection, progress func(int)) (*reembedSummary, error) {
	return nil, errors.New("reembed: not yet")
}
