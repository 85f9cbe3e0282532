// Package wordnet reads the data files of WordNet 3.0 (data.noun,
// data.verb, data.adj, data.adv, in the format of wndb(5)) and runs two
// evaluations of vecbolt's text pipeline on them with a word-vector
// collection:
//
//   - the reverse dictionary of Hill, Cho, Korhonen and Bengio (TACL 2016):
//     embed a synset's definition with the words embedder and look for the
//     synset's word among the nearest words ([ReverseDictionary]);
//   - gloss retrieval: index every definition as a document, query with the
//     synset's example sentence, and compare keyword (BM25), vector and
//     hybrid (RRF, k = 60) search ([GlossRetrieval]).
//
// [Read] parses one data file; [ReadDir] reads the four of a WordNet
// directory (/usr/share/wordnet with Debian's wordnet-base). A malformed
// line is a *ParseError naming the file and line. testdata/wordnet holds a
// small sample in the same format, under the WordNet 3.0 licence
// (testdata/wordnet/LICENSE), so that the tests run without the package.
//
// Everything here is safe for concurrent use on distinct values; the
// evaluations are deterministic for a given seed.
package wordnet
