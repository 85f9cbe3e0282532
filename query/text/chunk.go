package text

import "fmt"

// ChunkOptions configures chunking. Tokens must be set; the zero value of
// the other fields means no overlap and a MaxTextBytes limit.
type ChunkOptions struct {
	// Tokens is the number of tokens per chunk, N > 0.
	Tokens int
	// Overlap is the number of tokens a chunk shares with the previous one,
	// 0 ≤ M < N.
	Overlap int
	// MaxTextBytes is the largest text ChunkText accepts; 0 means
	// MaxTextBytes, and a larger value is capped at MaxTextBytes.
	MaxTextBytes int
}

// Chunk is a span of consecutive tokens of a text.
type Chunk struct {
	// First is the index of the chunk's first token in the token slice (for
	// ChunkText, in Tokenize(text)); Count is its number of tokens.
	First, Count int
	// Start and End are byte offsets into the original text: the chunk is
	// text[Start:End], from the start of its first token to the end of its
	// last, so it carries the punctuation between its words but not any
	// before the first or after the last.
	Start, End int
}

func (o ChunkOptions) validate() error {
	if o.Tokens <= 0 {
		return &OptionError{Name: "chunk tokens", Value: float64(o.Tokens), Rule: "positive"}
	}
	if o.Overlap < 0 {
		return &OptionError{Name: "chunk overlap", Value: float64(o.Overlap), Rule: "zero or more"}
	}
	if o.Overlap >= o.Tokens {
		return &OptionError{Name: "chunk overlap", Value: float64(o.Overlap),
			Rule: fmt.Sprintf("less than chunk tokens (%d)", o.Tokens)}
	}
	if o.MaxTextBytes < 0 {
		return &OptionError{Name: "chunk text limit", Value: float64(o.MaxTextBytes), Rule: "zero (the default) or positive"}
	}
	return nil
}

// Chunks splits a token sequence into chunks of opts.Tokens tokens, each
// starting opts.Tokens-opts.Overlap tokens after the previous one; the last
// chunk ends at the last token and may be shorter. No chunk lies wholly
// inside the previous one. Every token is in at least one chunk, and
// consecutive chunks share exactly min(Overlap, Count of the later chunk)
// tokens. No tokens give no chunks.
//
// Errors: an *OptionError for Tokens ≤ 0, Overlap < 0 or Overlap ≥ Tokens.
// Cost: O(len(tokens)/(Tokens-Overlap)). Safe for concurrent use.
func Chunks(tokens []Token, opts ChunkOptions) ([]Chunk, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	n := len(tokens)
	if n == 0 {
		return nil, nil
	}
	step := opts.Tokens - opts.Overlap
	chunks := make([]Chunk, 0, (n+step-1)/step)
	for first := 0; ; first += step {
		last := min(first+opts.Tokens, n)
		chunks = append(chunks, Chunk{
			First: first, Count: last - first,
			Start: tokens[first].Start, End: tokens[last-1].End,
		})
		if last == n {
			break
		}
	}
	return chunks, nil
}

// ChunkText tokenizes text (see Tokenize) and chunks its tokens (see
// Chunks). It returns the tokens too, so callers can pool each chunk's
// tokens without tokenizing again.
//
// Errors: the *OptionError of Chunks; a *TooLargeError when text is longer
// than opts.MaxTextBytes (naming the limit); the *UTF8Error of Tokenize.
// Empty text, or text with no words, gives no chunks and no error.
// Cost: O(len(text)). Safe for concurrent use.
func ChunkText(text string, opts ChunkOptions) ([]Chunk, []Token, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	limit := opts.MaxTextBytes
	if limit == 0 || limit > MaxTextBytes {
		limit = MaxTextBytes
	}
	if len(text) > limit {
		return nil, nil, &TooLargeError{Size: len(text), Limit: limit}
	}
	toks, err := Tokenize(text)
	if err != nil {
		return nil, nil, err
	}
	chunks, err := Chunks(toks, opts)
	return chunks, toks, err
}
