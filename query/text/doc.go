// Package text holds the pure parts of vecbolt's text pipeline: tokenizing,
// chunking, pooling word vectors (mean and SIF), BM25 scoring and rank
// fusion. It does no I/O beyond reading a counts file from an io.Reader;
// the bytes of postings and components live in package store, and the
// embedders that use these functions live in package query/embed.
//
// # Tokens
//
// [Tokenize] splits text into words by Unicode word segmentation (UAX #29)
// and folds them to lower case, keeping each word's byte offsets into the
// original text. Punctuation-only segments are dropped; numbers are kept.
// Invalid UTF-8 is an error naming the offset of the first bad byte, and
// texts longer than [MaxTextBytes] are refused. [Analyze] looks tokens up in
// a vocabulary and splits missing words into known pieces (WordPiece's
// greedy longest match, with or without "##" continuation pieces); words it
// cannot place are returned in Analysis.OOV, never dropped silently.
// [ChunkText] and [Chunks] split long texts into chunks of N tokens with M
// tokens of overlap, each with byte offsets into the text.
//
// # Pooling
//
// [Mean] and [WeightedMean] pool word vectors; [SIFWeight] is the weight
// a/(a + p(w)) of Arora, Liang and Ma (ICLR 2017), with p(w) from a counts
// file ([ReadCounts]) or, without one, from the word's frequency rank by
// Zipf's law ([Zipf]). [FitComponent] fits the first principal component of
// a set of pooled vectors, which SIF removes from documents and queries
// alike ([Component.Remove]); a [Component] encodes to bytes with a version
// byte and a checksum so that it can be stored with a collection.
//
// # Keyword search
//
// [BM25] is Lucene's BM25Similarity (k1 = 1.2, b = 0.75 by default), as
// pure functions over counts ([IDF], [BM25.TermScore]) and a [Search] over
// any [Source] of postings: one posting per (term, document), carrying the
// term's frequency and the document's length. [Index] is an in-memory
// Source. Scores use exact document lengths unless BM25.Quantize asks for
// Lucene's one-byte norms, which reproduces Lucene's scores.
//
// # Fusion
//
// [RRF] (reciprocal rank fusion, k = 60) and [WeightedScore] (a weighted
// sum of min-max normalised scores) merge ranked lists, such as a vector
// ranking and a BM25 ranking, into one.
//
// # Concurrency and errors
//
// Every function is safe for concurrent use; [Index] and [Component] are
// safe for concurrent use. Errors wrap the sentinels in errors.go in typed
// errors carrying the detail (*UTF8Error, *TooLargeError, *OptionError,
// *DimensionError, *CountsError, *CorruptError, *DuplicateError); test them
// with errors.Is and errors.As.
package text
