package embed

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/vecbolt/vecbolt/query/text"
)

// Vocabulary is what the words embedder needs of a word-vector collection.
// Package query implements it over a collection of the same database;
// tests implement it over a map. Implementations must be safe for
// concurrent use.
type Vocabulary interface {
	// Lookup returns the vector of word and its 1-based frequency rank (its
	// position in the word file, most frequent first), or ok false when
	// the word is not in the vocabulary. The caller does not modify vec.
	Lookup(word string) (vec []float32, rank int, ok bool)
	// Len returns the number of words, for Zipf's law.
	Len() int
	// Dim returns the dimension of the vectors.
	Dim() int
}

// Pooling says how word vectors become one text vector.
type Pooling int

const (
	// Mean averages the vectors of the known words.
	Mean Pooling = iota
	// SIF weights each word by a/(a + p(w)) before averaging (Arora, Liang
	// and Ma, ICLR 2017).
	SIF
)

var pieceModes = map[string]text.PieceMode{
	"none":      text.NoPieces,
	"whole":     text.WholePieces,
	"wordpiece": text.ContinuationPieces,
}

// WordsOptions configures NewWords. The zero value is mean pooling over
// whole words, no component removal.
type WordsOptions struct {
	// Collection names the word-vector collection; it is the spec's model.
	Collection string
	Pool       Pooling
	// A is SIF's a; 0 means text.DefaultSIFA (1e-3).
	A float64
	// Counts gives SIF's p(w) = count/total. nil means p from the word's
	// frequency rank by Zipf's law over Vocabulary.Len() words (see
	// text.Zipf). A word missing from Counts gets p = 0, weight 1.
	Counts *text.Counts
	// RemoveComponent removes the first principal component from every
	// vector. The component is Component, or one given later through
	// WithComponent; until there is one, EmbedDocuments and EmbedQuery
	// return ErrNoComponent (use Pool to get the vectors to fit it on).
	RemoveComponent bool
	Component       *text.Component
	// Pieces says how words missing from the vocabulary are split into
	// known pieces. The zero value leaves them out of vocabulary.
	Pieces text.PieceOptions
}

// Embedding is one pooled text with what went into it.
type Embedding struct {
	Vector []float32
	Words  int      // word tokens in the text
	Pooled int      // vectors averaged (known words plus pieces)
	OOV    []string // words not in the vocabulary, in text order, repeats kept
}

// WordsStats counts what a words embedder has seen since it was created.
type WordsStats struct {
	Texts, Words, Pooled, OOV int64
}

// WordsEmbedder is the offline embedder: tokenize (text.Tokenize), look the
// words up in a Vocabulary (splitting missing ones into pieces if asked),
// pool their vectors (mean or SIF) and optionally remove a fitted principal
// component. It is safe for concurrent use; its configuration is immutable
// (WithComponent returns a new one).
type WordsEmbedder struct {
	vocab Vocabulary
	opts  WordsOptions
	zipf  text.Zipf
	spec  Spec
	stats *wordsCounters
}

type wordsCounters struct {
	texts, words, pooled, oov atomic.Int64
}

// NewWords returns a words embedder over v.
// Errors: a nil vocabulary or one with no words or no dimension, an empty
// collection name, a bad A, a component of another dimension (*OptionError
// or *DimensionError).
func NewWords(v Vocabulary, opts WordsOptions) (*WordsEmbedder, error) {
	if v == nil || v.Len() <= 0 || v.Dim() <= 0 {
		return nil, &OptionError{Name: "vocabulary", Value: v, Rule: "non-empty, with a positive dimension"}
	}
	if opts.Collection == "" {
		return nil, &OptionError{Name: "collection", Value: `""`, Rule: "the name of the word-vector collection"}
	}
	if opts.Pool != Mean && opts.Pool != SIF {
		return nil, &OptionError{Name: "pooling", Value: int(opts.Pool), Rule: "Mean or SIF"}
	}
	if opts.A == 0 {
		opts.A = text.DefaultSIFA
	}
	if err := text.CheckSIFA(opts.A); err != nil {
		return nil, err
	}
	if c := opts.Component; c != nil && c.Dim() != v.Dim() {
		return nil, &DimensionError{Embedder: "component", Index: -1, Got: c.Dim(), Want: v.Dim()}
	}
	z, err := text.NewZipf(v.Len())
	if err != nil {
		return nil, err
	}
	w := &WordsEmbedder{vocab: v, opts: opts, zipf: z, stats: new(wordsCounters)}
	w.spec = w.makeSpec()
	return w, nil
}

func (w *WordsEmbedder) makeSpec() Spec {
	p := map[string]string{}
	pc := "0"
	if w.opts.RemoveComponent {
		pc = "1"
	}
	p["pc"] = pc
	if w.opts.Pool == SIF {
		p["pool"] = "sif"
		p["a"] = strconv.FormatFloat(w.opts.A, 'g', -1, 64)
		p["p"] = "zipf"
		if w.opts.Counts != nil {
			p["p"] = "counts"
		}
	} else {
		p["pool"] = "mean"
	}
	for name, m := range pieceModes {
		if m == w.opts.Pieces.Mode {
			p["pieces"] = name
		}
	}
	return Spec{Provider: Words, Model: w.opts.Collection, Params: p}
}

// WordsOptionsFromSpec returns the options a spec describes, for opening a
// collection's embedder from its recorded spec. Counts and Component are
// the caller's to load (p=counts needs Counts; pc=1 needs a component,
// given here or through WithComponent).
// Errors: a spec of another provider (*SpecError).
func WordsOptionsFromSpec(s Spec) (WordsOptions, error) {
	s, err := s.normalize(s.String())
	if err != nil {
		return WordsOptions{}, err
	}
	if s.Provider != Words {
		return WordsOptions{}, &SpecError{Spec: s.String(), Msg: "not a words spec"}
	}
	o := WordsOptions{Collection: s.Model, RemoveComponent: s.Params["pc"] == "1"}
	o.Pieces.Mode = pieceModes[s.Params["pieces"]]
	if s.Params["pool"] == "sif" {
		o.Pool = SIF
		o.A, _ = strconv.ParseFloat(s.Params["a"], 64)
	}
	return o, nil
}

// WithComponent returns a copy of w that removes c from every vector (and
// records pc=1 in its spec). The copy shares w's statistics.
// Errors: c of another dimension (*DimensionError).
func (w *WordsEmbedder) WithComponent(c *text.Component) (*WordsEmbedder, error) {
	if c == nil || c.Dim() != w.vocab.Dim() {
		got := 0
		if c != nil {
			got = c.Dim()
		}
		return nil, &DimensionError{Embedder: "component", Index: -1, Got: got, Want: w.vocab.Dim()}
	}
	cp := *w
	cp.opts.Component = c
	cp.opts.RemoveComponent = true
	cp.spec = cp.makeSpec()
	return &cp, nil
}

// Spec implements Embedder. With p=counts, the spec does not identify the
// counts file itself; the caller records which one it used.
func (w *WordsEmbedder) Spec() Spec { return w.spec }

// Dim implements Embedder: the vocabulary's dimension.
func (w *WordsEmbedder) Dim() int { return w.vocab.Dim() }

// Stats returns the counts accumulated by Pool, EmbedDocuments and
// EmbedQuery (including texts that failed).
func (w *WordsEmbedder) Stats() WordsStats {
	return WordsStats{Texts: w.stats.texts.Load(), Words: w.stats.words.Load(),
		Pooled: w.stats.pooled.Load(), OOV: w.stats.oov.Load()}
}

type vocabSet struct{ v Vocabulary }

func (s vocabSet) Contains(word string) bool { _, _, ok := s.v.Lookup(word); return ok }

// Pool embeds texts without removing any principal component: the vectors
// to fit one on (text.FitComponent). Each Embedding reports the words that
// were out of vocabulary.
//
// Errors (the first text that fails, all or nothing): a *TextError for a
// text with no words (ErrEmptyText) or no known word (ErrNoKnownTokens),
// naming its index and first characters; the *text.UTF8Error or
// *text.TooLargeError of text.Tokenize, wrapped with the index; a
// *DimensionError for a vocabulary vector of the wrong length; ctx's error.
// Cost: O(total text length + pooled words·d). Safe for concurrent use.
func (w *WordsEmbedder) Pool(ctx context.Context, texts []string) ([]Embedding, error) {
	out := make([]Embedding, len(texts))
	for i, s := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e, err := w.pool(i, s)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (w *WordsEmbedder) pool(i int, s string) (Embedding, error) {
	w.stats.texts.Add(1)
	toks, err := text.Tokenize(s)
	if err != nil {
		return Embedding{}, fmt.Errorf("embed: text %d: %w", i, err)
	}
	w.stats.words.Add(int64(len(toks)))
	if len(toks) == 0 {
		return Embedding{}, &TextError{Index: i, Prefix: prefix(s), Err: ErrEmptyText}
	}
	a := text.Analyze(toks, vocabSet{w.vocab}, w.opts.Pieces)
	oov := make([]string, len(a.OOV))
	for j, t := range a.OOV {
		oov[j] = t.Text
	}
	w.stats.oov.Add(int64(len(oov)))
	if len(a.Tokens) == 0 {
		return Embedding{}, &TextError{Index: i, Prefix: prefix(s), Words: len(toks), OOV: oov, Err: ErrNoKnownTokens}
	}
	d := w.vocab.Dim()
	vecs := make([][]float32, len(a.Tokens))
	var weights []float64
	if w.opts.Pool == SIF {
		weights = make([]float64, len(a.Tokens))
	}
	for j, t := range a.Tokens {
		v, rank, ok := w.vocab.Lookup(t.Text)
		if !ok {
			// Analyze saw it; a vocabulary that changed underneath is the
			// caller's bug, reported rather than pooled wrongly.
			return Embedding{}, fmt.Errorf("embed: text %d: word %q vanished from the vocabulary during the lookup", i, t.Text)
		}
		if len(v) != d {
			return Embedding{}, &DimensionError{Embedder: "vocabulary word " + strconv.Quote(t.Text), Index: i, Got: len(v), Want: d}
		}
		vecs[j] = v
		if weights != nil {
			p := 0.0
			if w.opts.Counts != nil {
				p = w.opts.Counts.P(t.Text)
			} else if p, err = w.zipf.P(rank); err != nil {
				return Embedding{}, fmt.Errorf("embed: text %d: word %q: %w", i, t.Text, err)
			}
			weights[j] = text.SIFWeight(w.opts.A, p)
		}
	}
	v, err := text.WeightedMean(vecs, weights)
	if err != nil {
		return Embedding{}, fmt.Errorf("embed: text %d: %w", i, err)
	}
	w.stats.pooled.Add(int64(len(vecs)))
	return Embedding{Vector: v, Words: len(toks), Pooled: len(vecs), OOV: oov}, nil
}

// Embed pools texts and removes the component when configured, returning
// each vector with its OOV report. Errors: those of Pool, and
// ErrNoComponent when RemoveComponent is set without a component.
// Cost: that of Pool plus O(d) per text.
func (w *WordsEmbedder) Embed(ctx context.Context, texts []string) ([]Embedding, error) {
	if w.opts.RemoveComponent && w.opts.Component == nil {
		return nil, fmt.Errorf("%w: %s needs one (fit it on Pool's vectors, then WithComponent)", ErrNoComponent, w.spec)
	}
	es, err := w.Pool(ctx, texts)
	if err != nil {
		return nil, err
	}
	if c := w.opts.Component; c != nil && w.opts.RemoveComponent {
		for i := range es {
			if err := c.Remove(es[i].Vector); err != nil {
				return nil, err
			}
		}
	}
	return es, nil
}

// EmbedDocuments implements Embedder (see Embed for errors and costs).
// Out-of-vocabulary words are counted in Stats; use Embed for a per-text
// report.
func (w *WordsEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	es, err := w.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(es))
	for i, e := range es {
		out[i] = e.Vector
	}
	return out, nil
}

// EmbedQuery implements Embedder.
func (w *WordsEmbedder) EmbedQuery(ctx context.Context, s string) ([]float32, error) {
	es, err := w.Embed(ctx, []string{s})
	if err != nil {
		return nil, err
	}
	return es[0].Vector, nil
}
