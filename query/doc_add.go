package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/text"
	"github.com/vecbolt/vecbolt/store"
)

// Documents
//
// AddDocuments turns texts into records through the collection's
// embedder. A document that fits in one vector (no chunking, or no more
// words than ChunkTokens) is one record under the document's key, its text
// stored with it. A longer document, with ChunkTokens set, is split into
// chunks of ChunkTokens words overlapping by ChunkOverlap; its text is
// stored once (the store's docs bucket) and each chunk is a record under
// "KEY#i" (i from 0) holding its vector, the document's metadata and a
// pointer to its span of the document. SearchText merges chunks back into
// their documents.

// Document is a text to add with AddDocuments.
type Document struct {
	Key      string
	Text     string
	Metadata json.RawMessage // nil, JSON null or a JSON object; copied to every chunk
}

// Defaults of DocumentOptions.
const (
	// DefaultMaxTokens is the most words one vector may pool when
	// DocumentOptions.MaxTokens is 0.
	DefaultMaxTokens = 8192
	// DefaultFitSample is the most texts SIF's principal component is
	// fitted on when DocumentOptions.FitSample is 0.
	DefaultFitSample = 10000
)

// DocumentOptions tunes AddDocuments. The zero value embeds each document
// whole with the collection's embedder.
type DocumentOptions struct {
	// ChunkTokens, when positive, splits documents longer than that many
	// words into chunks of ChunkTokens words; ChunkOverlap (0 ≤ overlap <
	// ChunkTokens) words are shared by consecutive chunks.
	ChunkTokens, ChunkOverlap int
	// MaxTokens is the most words a document may have when it is not
	// chunked; 0 means DefaultMaxTokens. A longer one is refused with a
	// *TextError (ErrTooManyTokens) naming the limit.
	MaxTokens int
	// Embedder, when set, embeds instead of the collection's resolved
	// embedder; its spec and dimension must be the collection's.
	Embedder embed.Embedder
	// FitSample is the most texts SIF's principal component is fitted on
	// (a seeded sample, Seed); 0 means DefaultFitSample.
	FitSample int
	Seed      uint64
	// Batch is passed to the graph build.
	Batch BatchOptions
}

// AddReport says what AddDocuments wrote and what the embedder could not
// place.
type AddReport struct {
	Documents int      // documents written
	Records   int      // records written (one per unchunked document, one per chunk)
	Keys      []string // the records' keys, in input order
	Words     int      // words in the embedded texts
	// OOV counts the words of the texts that the words embedder found in
	// no vocabulary (repeats counted); OOVWords lists them once each,
	// sorted. Both are 0/nil for server embedders.
	OOV      int
	OOVWords []string
	// Fitted is true when this call fitted and stored SIF's principal
	// component.
	Fitted bool
}

// docPlan is one document split into the texts to embed.
type docPlan struct {
	doc    *Document
	index  int
	chunks []text.Chunk // nil: the whole document is one record
	words  int
}

// AddDocuments embeds docs with the collection's embedder and writes them,
// all or nothing, in one transaction: if any document is bad or the
// embedder fails, nothing is written. See the package comment above for
// chunking. A key stored as a record (and not as a chunked document) is
// replaced when the new document is one record; a key stored as a
// chunked document, or a chunked document whose key or chunk keys are
// taken, is refused with ErrDocumentExists (DeleteDocuments first).
//
// When the embedder is a words embedder with pc=1 and the collection has
// no principal component yet, this call fits one on its texts (at most
// FitSample of them, a seeded sample), stores it with the collection in
// the same transaction, and applies it to these documents and to every
// later document and query (Reembed refits it). That first call needs at
// least two texts (ErrTooFewToFit).
//
// Errors, none of which writes anything: ErrNoEmbedder; a *TextError
// naming the document for invalid UTF-8, a text over text.MaxTextBytes
// (both ErrInvalidText), an empty text or one without a word
// (ErrEmptyText), too many words unchunked (ErrTooManyTokens), a text
// none of whose words is in the vocabulary (embed.ErrNoKnownTokens); a
// duplicate key in docs or an invalid one; the embedder's errors (server
// down, wrong dimension, malformed answer); ErrDocumentExists.
//
// Cost: tokenizing and embedding the texts (O(total length + words·d) for
// a words embedder; ⌈texts/batch⌉ requests for a server), plus
// O(d²·min(texts, FitSample) + d³) once for the component, plus an
// UpsertBatch of the records (O(records·M·efConstruction)) with their
// texts and postings (O(distinct words·log n) each). Safe for concurrent
// use.
func (c *Collection) AddDocuments(ctx context.Context, docs []Document, opts DocumentOptions) (AddReport, error) {
	var rep AddReport
	if err := c.writable(); err != nil {
		return rep, err
	}
	if len(docs) == 0 {
		return rep, nil
	}
	maxTok := opts.MaxTokens
	if maxTok <= 0 {
		maxTok = DefaultMaxTokens
	}
	e, err := c.embedderFor(ctx, opts.Embedder)
	if err != nil {
		return rep, err
	}
	plans, err := c.planDocuments(docs, opts, maxTok)
	if err != nil {
		return rep, err
	}
	if err := c.checkDocumentKeys(plans); err != nil {
		return rep, err
	}

	// The texts to embed, and the document each came from.
	var texts []string
	var from []int
	for i, p := range plans {
		if p.chunks == nil {
			texts = append(texts, p.doc.Text)
			from = append(from, i)
			continue
		}
		for _, ch := range p.chunks {
			texts = append(texts, p.doc.Text[ch.Start:ch.End])
			from = append(from, i)
		}
	}
	var component []byte
	if w, need := needsComponent(e); need {
		comp, err := c.fitComponent(ctx, w, texts, opts, from, plans)
		if err != nil {
			return rep, err
		}
		if e, err = w.WithComponent(comp); err != nil {
			return rep, err
		}
		if component, err = comp.MarshalBinary(); err != nil {
			return rep, err
		}
		rep.Fitted = true
	}
	vecs, report, err := c.embedTexts(ctx, e, texts)
	if err != nil {
		return rep, embedError(err, from, plans)
	}
	oov := map[string]bool{}
	for _, r := range report {
		rep.Words += r.Words
		rep.OOV += len(r.OOV)
		for _, w := range r.OOV {
			oov[w] = true
		}
	}
	if report == nil {
		for _, p := range plans {
			rep.Words += p.words
		}
	}
	rep.OOVWords = slices.Sorted(func(yield func(string) bool) {
		for w := range oov {
			if !yield(w) {
				return
			}
		}
	})

	// Records, texts and the component, in one request.
	recs := make([]Record, 0, len(texts))
	stexts := make([]*store.Text, 0, len(texts))
	at := 0
	for _, p := range plans {
		meta := p.doc.Metadata
		if !metaGiven(meta) {
			meta = json.RawMessage("null") // a replaced record gets the document's (absent) metadata
		}
		if p.chunks == nil {
			terms, n, err := analyze(p.doc.Text)
			if err != nil {
				return rep, &TextError{Index: p.index, Key: p.doc.Key, Err: err}
			}
			recs = append(recs, Record{Key: p.doc.Key, Vector: vecs[at], Metadata: meta})
			stexts = append(stexts, &store.Text{Text: p.doc.Text, Terms: terms, Len: n})
			at++
			continue
		}
		for i, ch := range p.chunks {
			terms, n, err := analyze(p.doc.Text[ch.Start:ch.End])
			if err != nil {
				return rep, &TextError{Index: p.index, Key: p.doc.Key, Err: err}
			}
			recs = append(recs, Record{Key: chunkKey(p.doc.Key, i), Vector: vecs[at], Metadata: meta})
			stexts = append(stexts, &store.Text{Doc: p.doc.Key, DocText: p.doc.Text, Start: ch.Start, End: ch.End, Terms: terms, Len: n})
			at++
		}
	}
	scfg := c.cfg.storeConfig()
	for i := range recs {
		if err := store.Validate(scfg, recs[i].Key, recs[i].Vector, recs[i].Metadata); err != nil {
			return rep, fmt.Errorf("query: document %q: %w", recs[i].Key, err)
		}
	}
	req := &writeReq{ctx: ctx, kind: opUpsert, opts: opts.Batch, recs: recs, texts: stexts}
	req.units = make([][]float32, len(recs))
	for i := range recs {
		req.units[i] = c.indexVector(recs[i].Vector)
	}
	req.extra = func(sc *store.Collection) error {
		if err := c.checkDocumentKeysIn(sc, plans); err != nil {
			return err
		}
		if component == nil {
			return nil
		}
		if old, err := sc.TextComponent(); err != nil {
			return err
		} else if old != nil {
			return fmt.Errorf("query: collection %q: a principal component was fitted by another writer meanwhile; add the documents again", c.name)
		}
		return sc.SetTextComponent(component)
	}
	if err := c.submit(req); err != nil {
		return rep, err
	}
	if component != nil {
		c.db.embedders.set(c, nil) // resolve again, with the stored component
		if opts.Embedder != nil {
			c.db.embedders.set(c, e)
		}
	}
	rep.Documents = len(plans)
	rep.Records = len(recs)
	rep.Keys = make([]string, len(recs))
	for i := range recs {
		rep.Keys[i] = recs[i].Key
	}
	return rep, nil
}

// chunkKey is the record key of chunk i of document key.
func chunkKey(key string, i int) string { return key + "#" + strconv.Itoa(i) }

// planDocuments validates docs and splits them into chunks.
func (c *Collection) planDocuments(docs []Document, opts DocumentOptions, maxTok int) ([]docPlan, error) {
	chunking := opts.ChunkTokens > 0
	if chunking || opts.ChunkOverlap != 0 {
		if _, err := text.Chunks(nil, text.ChunkOptions{Tokens: opts.ChunkTokens, Overlap: opts.ChunkOverlap}); err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
	}
	seen := make(map[string]bool, len(docs))
	plans := make([]docPlan, len(docs))
	for i := range docs {
		d := &docs[i]
		bad := func(err error) error { return &TextError{Index: i, Key: d.Key, Err: err} }
		if err := store.ValidateKey(d.Key); err != nil {
			return nil, fmt.Errorf("query: document %d: %w", i, err)
		}
		if seen[d.Key] {
			return nil, fmt.Errorf("query: document %d: key %q given twice", i, d.Key)
		}
		seen[d.Key] = true
		if metaGiven(d.Metadata) && !isNull(d.Metadata) {
			probe := make([]float32, c.cfg.Dim)
			probe[0] = 1
			if err := store.Validate(c.cfg.storeConfig(), d.Key, probe, d.Metadata); err != nil {
				return nil, fmt.Errorf("query: document %d: %w", i, err)
			}
		}
		toks, err := text.Tokenize(d.Text)
		if err != nil {
			return nil, bad(fmt.Errorf("%w: %w", ErrInvalidText, err))
		}
		if len(toks) == 0 {
			return nil, bad(fmt.Errorf("%w: %w", ErrInvalidText, ErrEmptyText))
		}
		plans[i] = docPlan{doc: d, index: i, words: len(toks)}
		if chunking && len(toks) > opts.ChunkTokens {
			if plans[i].chunks, err = text.Chunks(toks, text.ChunkOptions{Tokens: opts.ChunkTokens, Overlap: opts.ChunkOverlap}); err != nil {
				return nil, bad(err)
			}
			if last := chunkKey(d.Key, len(plans[i].chunks)-1); len(last) > store.MaxKeyLen {
				return nil, fmt.Errorf("query: document %d: chunk key %q is longer than %d bytes", i, last, store.MaxKeyLen)
			}
			continue
		}
		if len(toks) > maxTok {
			return nil, bad(fmt.Errorf("%w: %d words, the limit is %d (DocumentOptions.MaxTokens; or chunk it with ChunkTokens)", ErrTooManyTokens, len(toks), maxTok))
		}
	}
	return plans, nil
}

// checkDocumentKeys refuses documents whose keys are taken (see
// AddDocuments), before anything is embedded; the check is repeated in
// the write transaction.
func (c *Collection) checkDocumentKeys(plans []docPlan) error {
	return c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		return c.checkDocumentKeysIn(sc, plans)
	})
}

func (c *Collection) checkDocumentKeysIn(sc *store.Collection, plans []docPlan) error {
	for _, p := range plans {
		key := p.doc.Key
		if ok, err := sc.HasDocument(key); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%w: %q is stored as a chunked document in collection %q (DeleteDocuments first)", ErrDocumentExists, key, c.name)
		}
		if id, ok := sc.ID(key); ok {
			if p.chunks != nil {
				return fmt.Errorf("%w: %q is stored as a record in collection %q; a chunked document cannot share its key", ErrDocumentExists, key, c.name)
			}
			if ti, ok, err := sc.TextRef(id); err != nil {
				return err
			} else if ok && ti.Doc != "" {
				return fmt.Errorf("%w: %q is a chunk of document %q in collection %q", ErrDocumentExists, key, ti.Doc, c.name)
			}
		}
		for i := range p.chunks {
			if k := chunkKey(key, i); sc.Has(k) {
				return fmt.Errorf("%w: chunk key %q of document %q is taken in collection %q", ErrDocumentExists, k, key, c.name)
			}
		}
	}
	return nil
}

// fitComponent pools a seeded sample of texts and fits SIF's principal
// component on them.
func (c *Collection) fitComponent(ctx context.Context, w *embed.WordsEmbedder, texts []string, opts DocumentOptions, from []int, plans []docPlan) (*text.Component, error) {
	if len(texts) < 2 {
		return nil, fmt.Errorf("%w: collection %q fits SIF's component on its first AddDocuments, which has %d text(s); add at least 2", ErrTooFewToFit, c.name, len(texts))
	}
	n := max(opts.FitSample, 2)
	if opts.FitSample <= 0 {
		n = DefaultFitSample
	}
	idx := make([]int, len(texts))
	for i := range idx {
		idx[i] = i
	}
	if len(texts) > n {
		r := rand.New(rand.NewPCG(opts.Seed, 0x51f))
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:n]
		slices.Sort(idx)
	}
	sample := make([]string, len(idx))
	for i, j := range idx {
		sample[i] = texts[j]
	}
	es, err := w.Pool(ctx, sample)
	if err != nil {
		var te *embed.TextError
		if errors.As(err, &te) && te.Index < len(idx) {
			te2 := *te
			te2.Index = idx[te.Index]
			err = &te2
		}
		return nil, embedError(err, from, plans)
	}
	vecs := make([][]float32, len(es))
	for i := range es {
		vecs[i] = es[i].Vector
	}
	comp, err := text.FitComponent(vecs)
	if err != nil {
		return nil, fmt.Errorf("query: collection %q: fitting SIF's principal component on %d texts: %w", c.name, len(vecs), err)
	}
	return comp, nil
}

// embedError names the document of an embedder's per-text error.
func embedError(err error, from []int, plans []docPlan) error {
	var te *embed.TextError
	if errors.As(err, &te) && te.Index >= 0 && te.Index < len(from) {
		p := plans[from[te.Index]]
		return &TextError{Index: p.index, Key: p.doc.Key, Err: err}
	}
	return err
}

// DeleteDocuments removes documents by key, in one transaction: a chunked
// document's chunk records (and with the last of them its stored text), or
// the record under the key. A key that is neither is skipped. It returns
// the number of records removed. Cost: O(log n) per key to find its
// chunks plus Delete of them. Safe for concurrent use.
func (c *Collection) DeleteDocuments(ctx context.Context, keys ...string) (int, error) {
	if err := c.writable(); err != nil {
		return 0, err
	}
	var del []string
	err := c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		for _, key := range keys {
			if sc.Has(key) {
				del = append(del, key)
			}
			if ok, err := sc.HasDocument(key); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			if err := sc.ForEachKey(key+"#", "", func(k string, id uint32) error {
				if _, err := strconv.Atoi(strings.TrimPrefix(k, key+"#")); err != nil {
					return nil
				}
				ti, ok, err := sc.TextRef(id)
				if err == nil && ok && ti.Doc == key {
					del = append(del, k)
				}
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return c.DeleteKeys(ctx, del, DeleteOptions{MissingOK: true})
}
