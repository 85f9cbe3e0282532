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
