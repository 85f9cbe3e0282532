package query

import (
	"context"
	"errors"
	"fmt"
)

// ErrEmptyVocabulary is returned by NewVocabulary for a collection with no
// records.
var ErrEmptyVocabulary = errors.New("query: collection has no words")

// Vocabulary is a snapshot of a word-vector collection as the words
// embedder of package query/embed wants it (it satisfies embed.Vocabulary
// without this package importing embed): each key's stored vector and its
// 1-based frequency rank, which is its position in insertion order (word
// files list the most frequent word first, and import keeps their order).
//
// NewVocabulary reads every record once through ForEach, so later lookups
// touch neither the file nor the collection's lock: Lookup is one map
// access, O(1), and allocates nothing. The snapshot does not follow later
// writes to the collection; build a new one after them. It holds n·d
// float32 plus the keys (about 20 MB for 50,000 words of 100 dimensions).
// It is immutable and safe for concurrent use.
type Vocabulary struct {
	words map[string]vocabEntry
	dim   int
}

type vocabEntry struct {
	vec  []float32
	rank int
}

// NewVocabulary snapshots c. Vectors are the vectors as written (under
// cosine too, not the unit vectors), as SIF pooling expects. A key given
// twice is impossible in a collection, so every key has one rank.
// Errors: ErrClosed, ctx's error, a read error of the store; an empty
// collection gives an error wrapping ErrEmptyVocabulary.
// Cost: O(n·d) time and memory, one read transaction.
func NewVocabulary(ctx context.Context, c *Collection) (*Vocabulary, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	v := &Vocabulary{words: make(map[string]vocabEntry, c.Len()), dim: c.cfg.Dim}
	rank := 0
	err := c.ForEach(ctx, func(r Record) error {
		rank++
		v.words[r.Key] = vocabEntry{vec: append([]float32(nil), r.Vector...), rank: rank}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(v.words) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrEmptyVocabulary, c.name)
	}
	return v, nil
}

// Lookup returns the vector of word (the snapshot's; the caller must not
// modify it) and its 1-based rank in insertion order, or ok false. Words
// are matched exactly as stored (the words embedder looks up lower-cased
// tokens, so a word file in lower case, as GloVe's is, matches them all).
// Cost: O(1).
func (v *Vocabulary) Lookup(word string) (vec []float32, rank int, ok bool) {
	e, ok := v.words[word]
	return e.vec, e.rank, ok
}

// Len returns the number of words. Cost: O(1).
func (v *Vocabulary) Len() int { return len(v.words) }

// Dim returns the dimension of the vectors. Cost: O(1).
func (v *Vocabulary) Dim() int { return v.dim }
