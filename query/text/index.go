package text

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// Posting is one (term, document) entry of an inverted index. It carries the
// document's length so that scoring needs no second lookup per document; a
// document update rewrites all its postings anyway.
type Posting struct {
	Doc  uint64 // the caller's document id (query uses a record's dense id)
	Freq int    // occurrences of the term in the document, ≥ 1
	Len  int    // the document's length in tokens
}

// Source is what Search reads: corpus statistics and, per term, its
// document frequency and postings. Index implements it in memory; a
// store-backed implementation keeps one key per (term, document), so a
// document write costs O(its distinct terms).
//
// Implementations must be safe for concurrent use if Search is called
// concurrently, and should present one consistent snapshot per Search
// call (for example, by being created inside one read transaction).
type Source interface {
	// Stats returns the number of documents and the sum of their lengths.
	Stats() (Stats, error)
	// DocFreq returns the number of documents holding term.
	DocFreq(term string) (int64, error)
	// Postings calls fn for every posting of term, in ascending Doc order,
	// and stops with fn's error if it returns one.
	Postings(term string, fn func(Posting) error) error
}

// Hit is a document and its BM25 score.
type Hit struct {
	Doc   uint64
	Score float64
}

// Search returns the k documents of src with the highest BM25 score for the
// query terms (already tokenized, see Tokenize and Terms), best first; ties
// are broken by ascending Doc. Documents holding no query term are not
// returned, so fewer than k hits may come back. accept, when not nil,
// filters documents before they are ranked (a filter applied after ranking
// would return fewer than k).
//
// Errors: k ≤ 0 (ErrInvalidK), invalid parameters (*OptionError), errors
// of src and of ctx, returned wrapped.
// Cost: O(Σ_t df(t)) postings read for the distinct query terms t, plus
// O(c·log k) for the c matching documents. Safe for concurrent use if src is.
func Search(ctx context.Context, src Source, p BM25, query []string, k int, accept func(doc uint64) bool) ([]Hit, error) {
	if k <= 0 {
		return nil, ErrInvalidK
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	st, err := src.Stats()
	if err != nil {
		return nil, err
	}
	if st.Docs == 0 || len(query) == 0 {
		return nil, nil
	}
	avg := st.AvgLen()
	qtf, _ := Count(query)
	scores := make(map[uint64]float64)
	for _, q := range qtf {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		df, err := src.DocFreq(q.Term)
		if err != nil {
			return nil, err
		}
		if df == 0 {
			continue
		}
		w := float64(q.Freq) * IDF(st.Docs, df)
		n := 0
		err = src.Postings(q.Term, func(ps Posting) error {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if accept != nil && !accept(ps.Doc) {
				return nil
			}
			scores[ps.Doc] += p.TermScore(w, ps.Freq, ps.Len, avg)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return topK(scores, k), nil
}

// hitBefore orders hits best first: higher score, then lower Doc.
func hitBefore(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Doc < b.Doc
}

// topK selects the k best hits with a bounded heap, O(c log k).
func topK(scores map[uint64]float64, k int) []Hit {
	h := make([]Hit, 0, min(k, len(scores)))
	// h is a min-heap by hitBefore: h[0] is the worst kept hit.
	worse := func(i, j int) bool { return hitBefore(h[j], h[i]) }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && worse(r, l) {
				m = r
			}
			if !worse(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for doc, s := range scores {
		x := Hit{Doc: doc, Score: s}
		if len(h) < k {
			h = append(h, x)
			for i := len(h) - 1; i > 0; {
				parent := (i - 1) / 2
				if !worse(i, parent) {
					break
				}
				h[i], h[parent] = h[parent], h[i]
				i = parent
			}
			continue
		}
		if hitBefore(x, h[0]) {
			h[0] = x
			down(0)
		}
	}
	slices.SortFunc(h, func(a, b Hit) int {
		if hitBefore(a, b) {
			return -1
		}
		if hitBefore(b, a) {
			return 1
		}
		return 0
	})
	return h
}

func sortTermFreqs(tf []TermFreq) {
	slices.SortFunc(tf, func(a, b TermFreq) int { return cmp.Compare(a.Term, b.Term) })
}

// Index is an in-memory inverted index implementing Source, for tests and
// small corpora. It is safe for concurrent use: writes take a lock that
// excludes reads.
type Index struct {
	mu       sync.RWMutex                  // protects the fields below
	postings map[string]map[uint64]Posting // term → doc → posting
	docs     map[uint64][]TermFreq         // doc → its terms, to delete its postings
	tokens   int64                         // sum of document lengths
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{postings: make(map[string]map[uint64]Posting), docs: make(map[uint64][]TermFreq)}
}

// Put indexes document doc with the given terms, replacing any earlier
// version of it. A document with no terms is indexed with length 0 (it
// counts in N and the average length but matches nothing).
// Cost: O(t log t + t') for its t terms and the t' distinct terms of the
// version it replaces.
func (ix *Index) Put(doc uint64, terms []string) {
	tf, n := Count(terms)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.deleteLocked(doc)
	for _, t := range tf {
		m := ix.postings[t.Term]
		if m == nil {
			m = make(map[uint64]Posting)
			ix.postings[t.Term] = m
		}
		m[doc] = Posting{Doc: doc, Freq: t.Freq, Len: n}
	}
	ix.docs[doc] = tf
	ix.tokens += int64(n)
}

// Delete removes doc and reports whether it was there.
// Cost: O(distinct terms of doc).
func (ix *Index) Delete(doc uint64) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.deleteLocked(doc)
}

func (ix *Index) deleteLocked(doc uint64) bool {
	tf, ok := ix.docs[doc]
	if !ok {
		return false
	}
	n := 0
	for _, t := range tf {
		m := ix.postings[t.Term]
		n += m[doc].Freq
		delete(m, doc)
		if len(m) == 0 {
			delete(ix.postings, t.Term)
		}
	}
	delete(ix.docs, doc)
	ix.tokens -= int64(n)
	return true
}

// Len returns the number of documents. Cost: O(1).
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.docs)
}

// Stats implements Source. Cost: O(1). It never fails.
func (ix *Index) Stats() (Stats, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return Stats{Docs: int64(len(ix.docs)), Tokens: ix.tokens}, nil
}

// DocFreq implements Source. Cost: O(1). It never fails.
func (ix *Index) DocFreq(term string) (int64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return int64(len(ix.postings[term])), nil
}

// Postings implements Source: it copies the term's postings under the read
// lock, sorts them by Doc and calls fn without holding the lock.
// Cost: O(df log df).
func (ix *Index) Postings(term string, fn func(Posting) error) error {
	ix.mu.RLock()
	ps := make([]Posting, 0, len(ix.postings[term]))
	for _, p := range ix.postings[term] {
		ps = append(ps, p)
	}
	ix.mu.RUnlock()
	slices.SortFunc(ps, func(a, b Posting) int { return cmp.Compare(a.Doc, b.Doc) })
	for _, p := range ps {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// Ranked returns hits as a ranked list for RRF and WeightedScore. Cost: O(n).
func Ranked(hits []Hit) []Scored[uint64] {
	out := make([]Scored[uint64], len(hits))
	for i, h := range hits {
		out[i] = Scored[uint64]{ID: h.Doc, Score: h.Score}
	}
	return out
}
