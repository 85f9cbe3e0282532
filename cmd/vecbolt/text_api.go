package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
)

// textEmbedding is how a text command embeds for one collection: the
// collection's own embedder for a words spec (resolved by package query,
// with its stored SIF component), or a server client configured from the
// flags and the environment, passed with each call.
type textEmbedding struct {
	spec   embed.Spec
	server embed.Embedder // nil for words specs
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

// newTextEmbedding prepares the embedding of texts for collection c.
// Server clients take --embed-url, --embed-key-file and the others, over
// OLLAMA_HOST, OPENAI_BASE_URL and OPENAI_API_KEY. Nothing is sent yet.
func newTextEmbedding(_ context.Context, _ *query.DB, c *query.Collection, flags *embedFlags) (*textEmbedding, error) {
	cfg := c.Config()
	if cfg.Embedder == "" {
		return nil, noEmbedder(c.Name())
	}
	spec, err := embed.ParseSpec(cfg.Embedder)
	if err != nil {
		return nil, err
	}
	te := &textEmbedding{spec: spec}
	if spec.Provider == embed.Words {
		if flags.URL != "" || flags.KeyFile != "" {
			return nil, usageErr(fmt.Errorf("--embed-url and --embed-key-file are for embedding servers; collection %q embeds offline with %s", c.Name(), spec))
		}
		return te, nil
	}
	co, err := flags.clientOptions(spec.Provider)
	if err != nil {
		return nil, err
	}
	co.Dim = cfg.Dim
	if te.server, err = embed.New(cfg.Embedder, embed.Deps{Client: co}); err != nil {
		return nil, err
	}
	return te, nil
}

// add embeds docs and writes them to c, all or nothing, in one call of
// AddDocuments. A key that is a chunked document, or any existing key
// when chunking, is deleted first in the same collection (callers that
// need the pair to be atomic pass a staged collection). Errors about one
// document are *docIndexError values with its index in docs.
func (te *textEmbedding) add(ctx context.Context, c *query.Collection, docs []textDoc, chunks chunkFlags) (*addSummary, error) {
	qd := make([]query.Document, len(docs))
	for i, d := range docs {
		qd[i] = query.Document{Key: d.Key, Text: d.Text, Metadata: d.Metadata}
	}
	if old := replacedDocuments(c, docs, chunks); len(old) > 0 {
		if _, err := c.DeleteDocuments(ctx, old...); err != nil {
			return nil, err
		}
	}
	rep, err := c.AddDocuments(ctx, qd, query.DocumentOptions{
		ChunkTokens: chunks.Tokens, ChunkOverlap: chunks.Overlap, Embedder: te.server,
	})
	if err != nil {
		var tx *query.TextError
		if errors.As(err, &tx) && tx.Index >= 0 && tx.Index < len(docs) {
			e := plainTextError(tx.Err)
			if errors.Is(e, query.ErrTooManyTokens) {
				toks, _ := text.Tokenize(docs[tx.Index].Text)
				e = &hintError{err: e, msg: fmt.Sprintf("the text has %s words, more than the %s one vector may pool; split it with --chunk-tokens N",
					humanCount(int64(len(toks))), humanCount(query.DefaultMaxTokens))}
			}
			return nil, &docIndexError{Index: tx.Index, Err: e}
		}
		if errors.Is(err, query.ErrTooFewToFit) {
			return nil, &hintError{err: err, msg: fmt.Sprintf("collection %q removes SIF's principal component, which is fitted on the first documents written to it, "+
				"and %d is too few: import at least 2 documents at once first ('vecbolt import FILE --text-field FIELD'), or use pc=0 in the embedder", c.Name(), len(docs))}
		}
		return nil, err
	}
	sum := &addSummary{Documents: rep.Documents, Chunks: rep.Records, Words: int64(rep.Words), OOV: int64(rep.OOV), Fitted: rep.Fitted}
	for _, w := range rep.OOVWords {
		sum.noteOOV(w)
	}
	return sum, nil
}

// screen returns the documents of docs that a words embedder refuses (no
// word, or no known word), by index, pooling each one alone: O(words·d)
// per document. It lets import --skip-invalid leave them out before
// AddDocuments, which stops at the first. Server embedders refuse no text
// of their own accord: nil. c is the collection whose embedder is used.
func (te *textEmbedding) screen(ctx context.Context, c *query.Collection, docs []textDoc) (map[int]error, error) {
	if te.server != nil {
		return nil, nil
	}
	e, err := c.Embedder(ctx)
	if err != nil {
		return nil, err
	}
	w, ok := e.(*embed.WordsEmbedder)
	if !ok {
		return nil, nil
	}
	var bad map[int]error
	for i, d := range docs {
		if _, err := w.Pool(ctx, []string{d.Text}); err != nil {
			if !isTextInvalid(err) {
				return nil, err
			}
			if bad == nil {
				bad = map[int]error{}
			}
			bad[i] = plainTextError(err)
		}
	}
	return bad, nil
}

// replacedDocuments returns the keys of docs that AddDocuments would
// refuse to replace: stored as chunked documents (their first chunk
// "KEY#0" exists), or stored at all when the new ones are chunked.
func replacedDocuments(c *query.Collection, docs []textDoc, chunks chunkFlags) []string {
	var old []string
	for _, d := range docs {
		if c.Has(d.Key+"#0") || (chunks.Tokens > 0 && c.Has(d.Key)) {
			old = append(old, d.Key)
		}
	}
	return old
}

// search answers search --text through SearchText.
func (te *textEmbedding) search(ctx context.Context, c *query.Collection, opts *searchOptions, so query.SearchOptions, stderr io.Writer) ([]textHit, error) {
	f := &opts.textSearchFlags
	so.WithText = true
	to := query.TextSearchOptions{SearchOptions: so, Mode: f.Mode, Chunks: f.Chunks, Embedder: te.server}
	if f.Mode == modeHybrid {
		to.Fusion, to.Weight = f.Fusion, f.Weight
	}
	if opts.thresholdSet {
		th := float64(opts.Threshold)
		to.Threshold = &th
	}
	if f.Mode != modeKeyword && te.server == nil && stderr != nil {
		// The words embedder leaves unknown words out of the query's
		// vector: say which.
		if _, rep, err := c.EmbedQuery(ctx, f.Text, nil); err == nil && len(rep.OOV) > 0 {
			fmt.Fprintf(stderr, "vecbolt: note: words of the query not in the vocabulary do not count (%d of %d): %s\n",
				len(rep.OOV), rep.Words, joinShort(rep.OOV, maxOOVShown))
		}
	}
	res, err := c.SearchText(ctx, f.Text, opts.K, to)
	if err != nil {
		return nil, err
	}
	return textHits(res), nil
}

// textHits turns a text search's results into the hits the CLI prints.
func textHits(res []query.TextResult) []textHit {
	hits := make([]textHit, len(res))
	for i, r := range res {
		hits[i] = textHit{Key: r.Key, Score: r.Score, Text: r.Text, Metadata: r.Metadata, Chunk: r.Chunk,
			VectorScore: r.VectorScore, KeywordScore: r.KeywordScore, VectorRank: r.VectorRank, KeywordRank: r.KeywordRank}
	}
	return hits
}

// reembed embeds every document of c again through Reembed, reporting the
// graph updates to progress.
func (te *textEmbedding) reembed(ctx context.Context, c *query.Collection, progress func(int)) (*reembedSummary, error) {
	const perCommit = 5000
	ro := query.ReembedOptions{Embedder: te.server, PerCommit: perCommit}
	if progress != nil {
		// Progress counts each commit's records from 0: carry the commits
		// before it (calls within a commit may come slightly out of order).
		var mu sync.Mutex // protects base, last
		var base, last int
		ro.Batch.Progress = func(done int) {
			mu.Lock()
			defer mu.Unlock()
			if done+perCommit/2 < last {
				base += perCommit
			}
			last = done
			progress(base + done)
		}
	}
	rep, err := c.Reembed(ctx, ro)
	if err != nil {
		var tx *query.TextError
		if errors.As(err, &tx) {
			return nil, fmt.Errorf("record %q: %w", tx.Key, tx.Err)
		}
		return nil, err
	}
	return &reembedSummary{Collection: rep.Collection.Name(), Embedder: te.spec.String(), Records: rep.Records,
		Total: rep.Collection.Len(), Component: rep.Fitted, Words: int64(rep.Words), OOV: int64(rep.OOV)}, nil
}

// joinShort joins at most n words with commas, "..." when there are more.
func joinShort(words []string, n int) string {
	if len(words) <= n {
		return strings.Join(words, ", ")
	}
	return strings.Join(words[:n], ", ") + ", ..."
}

// plainTextError restates the words embedder's error about one text
// without its position in the embedder's batch ("text 0 ..."), which
// means nothing to the user: the caller names the document. It keeps the
// sentinels for errors.Is.
func plainTextError(err error) error {
	var te *embed.TextError
	if !errors.As(err, &te) {
		return err
	}
	msg := "the text has no words"
	if errors.Is(te.Err, embed.ErrNoKnownTokens) {
		msg = fmt.Sprintf("none of its %d words is in the vocabulary (%s)", te.Words, joinShort(te.OOV, maxOOVShown))
	}
	return &hintError{msg: msg, err: err}
}

// progressEmbedder embeds documents in batches of its own size, calling
// done with the number embedded after each, so a command can draw the
// progress of a long embedding. Everything else is the wrapped embedder's.
type progressEmbedder struct {
	embed.Embedder
	batch int
	done  func(n int)
}

// EmbedDocuments implements embed.Embedder: all or nothing, like the
// wrapped one.
func (p *progressEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	step := max(p.batch, 1)
	out := make([][]float32, 0, len(texts))
	for lo := 0; lo < len(texts); lo += step {
		hi := min(lo+step, len(texts))
		vs, err := p.Embedder.EmbedDocuments(ctx, texts[lo:hi])
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
		p.done(hi)
	}
	return out, nil
}
