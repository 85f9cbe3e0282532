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
// # Text and documents
//
// A record may carry a text (Record.Text), stored in the record's
// transaction with its BM25 postings. A collection created with an
// embedder (CollectionConfig.Embedder, a spec of package query/embed such
// as "words:glove?pool=sif" or "ollama:nomic-embed-text") takes text in:
// AddDocuments embeds documents (chunking long ones, all or nothing),
// SearchText answers a text query by vector, by keyword (Lucene's BM25
// over the postings in the file) or by both fused (RRF or a weighted
// sum), merging chunks into their documents, and Reembed rewrites every
// vector. Queries and documents always go through the same embedder: one
// whose spec or dimension differs is refused. See doc_add.go,
// doc_search.go and doc_embedder.go.
//
// # Quantized collections
//
// CollectionConfig.Quantize "fp16" or "int8" makes the in-memory graph
// hold codes instead of float32 vectors: 2·dim or dim+4 bytes a vector
// instead of 4·dim (GloVe 50k × 100, read-only open: Go heap 12.6 MiB
// instead of 31.7 MiB, RSS 0.51×, see quant.go). The exact float32 vectors stay in
// the file, so Get and export are lossless and scores are exact: a search
// traverses the codes with beam max(ef, ceil(k·Oversample)), then re-ranks
// the best ceil(k·Oversample) candidates (SearchOptions.Oversample, 0:
// index.DefaultOversample) by their exact distance, read from the mapped
// file; Exact scans and analogies use the exact vectors too. The codes are
// stored beside the vectors (store code blocks), so an open reads them
// instead of encoding, and check verifies each against its vector.
//
// INT8 parameters: CreateCollection starts from quant.Default (symmetric,
// bound 1), and a first UpsertBatch of 256 or more records into the empty
// collection replaces them with parameters trained on that batch; a bulk
// build into a new (or empty) collection through Stage (`vecbolt
// import`) builds the graph on float32 and, at Commit, trains per-dimension
// min/max parameters on a seeded sample of up to TrainSample vectors and
// encodes everything; DB.Quantize (`vecbolt quantize`, and `vecbolt
// compact` for int8 collections) retrains and re-encodes through a staged
// copy, all or nothing. Vectors the encoding cannot hold (beyond ±65504
// for fp16, ±1e15 for int8, under dot and l2) are refused at write time,
// before they reach parameters or codes.
//
// Where the exact vectors come from (quant_view.go): store.VectorViews
// gives any id's exact vector without a B-tree lookup: a view of its row
// in the mapped vector block, plus copies of the delta rows (single
// writes not yet folded into their block: at most a quarter of each
// block). With Options.LeanReads (read-only) store.VectorRows reads the
// row instead with a positioned read (pread), at an offset known from the
// vector block, through a second read-only handle on the file
// (store.DB.RowFile), into a buffer the search owns: the mapping's pages
// count in the process's resident set (Linux maps a whole page-cache
// folio on a read fault: one query's 30 rows map 5–19 MiB at 200,000 ×
// 128, a hundred queries most of the vector table), a read does not, but
// costs a system call. The offsets and blocks are those of a read
// transaction and valid only while one that sees the same pages lives.
// On a read-only database the level-0 lists of an INT8 collection are
// packed (index.Graph.PackLevel0): about 85 bytes a node instead of
// 132 at M 16, at about the same search speed. On a read-only database the
// load's transaction lives until Close and serves every search. On a read-write database no transaction
// is pinned across commits: bbolt remaps the file when a commit grows it
// past its mapping and the remap waits for every read transaction, so a
// pinned one would block such a commit for ever (a large
// bbolt.Options.InitialMmapSize, as etcd sets, only moves that limit and
// makes small files grow in 4 MiB steps), and pages freed by later commits
// are not reused while an older reader lives, so the file would grow with
// every write. Instead each search opens a read transaction of its own
// (about a microsecond) and uses views cached with the generation they
// were made in (bbolt's transaction id and the mapping's address): the
// same generation means the same pages at the same addresses, kept alive
// by the search's own transaction. The first search after a commit remakes
// the views from the previous ones: O(n/B) block keys (B = 2,048 ids at
// dim 100), a checksum of each block whose value moved (a fold, or a
// neighbour's in the same bbolt leaf), and the delta rows of the blocks the
// commits wrote, which the group commit marks before it commits.
//
// # Writes and metadata
//
// Upsert inserts or replaces one record, UpsertBatch many at once (all or
// none), Delete removes records, and SetMetadata changes a record's
// metadata alone. Metadata given to Upsert or UpsertBatch follows one
// rule: nil (or empty) keeps what an existing record has, JSON null
// (json.RawMessage("null")) clears it, and a JSON object replaces it; a new
// record with nil or null has none. SetMetadata with nil or null clears.
//
// No work for no change: a write that gives a record the vector it already
// has does no graph work and rewrites no graph node, and if its metadata is
// unchanged too, it writes nothing and commits nothing (re-importing a file
// into its own collection reads and compares, and writes nothing). Under
// cosine, "the vector it already has" means the same unit vector: a scaled
// copy rewrites the stored vector but not the graph.
//
// # What a write costs
//
// A write's graph work is that of the index: an insert or a changed vector
// costs O(M·efConstruction) distance computations and rewrites the nodes
// whose links changed (a dozen or so at M=16); a delete repairs the
// neighbourhood of the removed node; SetMetadata and identical re-upserts
// do none. Its store work is the record, its key and order entries and
// those nodes, O(log n) page reads and a few pages written, plus bbolt's
// meta page and one fsync per commit. [Collection.WriteStats] counts
// commits, writes and nodes written; `vecbolt bench writes` and
// BenchmarkSingleWrite report bytes written per write.
//
// # Durability
//
// The store (package store, over bbolt) is the source of truth. Every write
// method returns only after a bbolt transaction holding the records and
// every graph node the write changed has committed (and, unless
// Options.NoSync, been fsync'd): a write that returned nil survives a crash.
// If a commit fails, every write in it fails and the in-memory graph is
// reloaded from the file, so memory never disagrees with disk and no failed
// write is visible afterwards. Opening a database loads the persisted
// graph; it never rebuilds it.
//
// # Group commit
//
// Writes to one collection from concurrent goroutines share transactions.
// Each write call is validated first (bad input fails that call alone,
// before anything is queued), then queued. The first writer that finds no
// commit in progress becomes the leader: it takes every queued write, its
// own included, applies them to the graph one after another in queue
// order (consecutive inserts of new keys are linked on every core at
// once), writes them all in one bbolt transaction and commits once (one
// fsync), then wakes the others with their results and hands the lead to
// the oldest writer that queued meanwhile. A lone writer commits at once,
// with no added latency; N writers arriving together pay one fsync instead
// of N. Within a group a later write sees the earlier ones (a SetMetadata
// of a key inserted earlier in the same group works).
//
// bbolt's own DB.Batch is not used: it retries a failed batch one function
// at a time, and the graph in memory, already changed by every function of
// the batch, cannot be rolled back that way. Instead: a Delete or
// SetMetadata of a missing key fails alone, before it changes anything; a
// write that fails half-way through its graph work (a cancelled batch)
// fails alone, memory is reloaded from the last commit and the rest of its
// group is applied again; and a commit that fails (I/O error, disk full)
// fails every write of its group and reloads memory from the file. A
// reload costs O(n), but only on failure.
//
// # Concurrency
//
// [DB] and [Collection] are safe for concurrent use by multiple goroutines.
// Any number of searches run at once, and they run concurrently with writes.
// Writes to one collection are applied by one goroutine at a time (the
// group's leader) and committed in groups, because bbolt admits one writer.
// A record becomes visible to searches when its write commits; an update of
// an existing key may be seen a moment earlier, as soon as the graph holds
// it, and a deleted record may disappear a moment before its delete
// commits (if that commit fails, it is back).
//
// Lock order: the commit queue's lock (held only to queue and dequeue) is
// never held while taking another; Collection.wmu (the leader) before
// Collection.mu (maps); the graph (package index) takes its own locks
// inside its methods, and bbolt's transaction lock is taken last.
package query
