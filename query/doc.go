// Package query is vecbolt's front door: it opens a database file, manages
// its collections, writes records and answers questions of the vectors.
//
// # Basics
//
// A database file holds named collections. A collection fixes its
// dimension, metric (cosine, dot or l2) and HNSW parameters when it is
// created. Records are a string key, a float32 vector and optional metadata
// (a JSON object); writing an existing key replaces the record (upsert).
//
//	db, err := query.Open("words.db", query.Options{})
//	...
//	defer db.Close()
//	words, err := db.CreateCollection("words", query.CollectionConfig{Dim: 100, Metric: query.Cosine})
//	err = words.Upsert(ctx, "king", vec, nil)
//	hits, err := words.SearchKey(ctx, "king", 10, query.SearchOptions{})
//
// # Scores
//
// Every [Result] carries a Score whose meaning follows the metric:
//
//   - cosine: cosine similarity in [-1, 1], higher is closer;
//   - dot: the dot product, higher is closer;
//   - l2: the Euclidean distance, lower is closer.
//
// Results are always ordered closest first.
//
// # Questions
//
// Search, SearchKey and Analogy (over an [Expr] from [ParseExpr]) run on the
// HNSW graph, or exactly with SearchOptions.Exact. Analogies follow gensim:
// [CosAdd] is most_similar, [CosMul] most_similar_cosmul; DoesntMatch is
// doesnt_match. SearchWithin returns everything within a similarity or
// distance threshold, SearchBatch runs many queries on all cores, and
// Restrict limits answers to the first N records in insertion order.
// EvaluateAnalogies and EvaluateWordPairs follow gensim's
// evaluate_word_analogies and evaluate_word_pairs.
//
// gensim's other KeyedVectors questions have the same names here
// (keyedvectors.go): Similarity, NSimilarity, Distance, Distances, Rank,
// CloserThan, MostSimilar, MostSimilarCosmul, SimilarByVector,
// MostSimilarToGiven, RelativeCosineSimilarity. With Exact they give
// gensim 4.2's answers, checked against gensim itself on seeded queries
// (keyedvectors_parity_test.go, fixtures from bench/gensim/parity.py).
//
// # Keys and records
//
// Scan walks keys or records in key order in one read transaction, with a
// prefix, a start after a key and a limit for paging; range over its Keys
// or All iterator, then check Err. GetMany reads several records at once,
// DeleteKeys deletes with MissingOK, and KeysWhere and DeleteWhere select
// records by a Filter. SearchOptions.Offset pages search results and
// WithVectors returns the stored vectors.
//
// # Filters
//
// A [Filter] ([Eq], [In], [Range], [Exists], [And], [Or], [Not], or text
// parsed by [ParseFilter] such as `lang = "en" and year >= 2000`) restricts
// search and analogy answers by metadata. Parsed metadata is kept in memory
// per record. When at most [ScanBelow] records pass, the query scans them
// exactly; otherwise the graph search tests the filter as it goes and keeps
// exploring until it holds ef passing records, so a selective filter never
// returns fewer than min(k, passing) results.
//
// # Durability
//
// The store (package store, over bbolt) is the source of truth. Every write
// method returns only after a bbolt transaction holding the records and
// every graph node the write changed has committed. If a commit fails, the
// in-memory graph is reloaded from the file, so memory never disagrees with
// disk. Opening a database loads the persisted graph; it never rebuilds it.
//
// # Concurrency
//
// [DB] and [Collection] are safe for concurrent use by multiple goroutines.
// Any number of searches run at once, and they run concurrently with writes.
// Writes to one collection are serialised: one writer mutates the graph and
// commits at a time, because bbolt itself admits one writer. A record becomes
// visible to searches when its write commits (an update of an existing key
// may be seen a moment earlier, as soon as the graph holds it).
//
// Lock order: Collection.wmu (writer) before Collection.mu (maps); the graph
// (package index) takes its own locks inside its methods, and bbolt's
// transaction lock is taken last.
package query
