// Package bench measures vecbolt and its peers (hnswlib, FAISS) the way
// ann-benchmarks does: recall against exact ground truth, against queries
// per second, on a held-out query set.
//
// # Pieces
//
//   - Data sets: ReadFvecs, ReadIvecs, ReadBvecs, ReadNpy (ReadMatrix picks
//     by extension) read the TEXMEX and ann-benchmarks formats into a
//     Matrix (dense, row-major float32) or IntMatrix. A malformed or
//     truncated file gives a *FormatError naming the file, the vector and
//     the byte offset. Synthetic makes seeded clustered Gaussian data.
//   - HoldOut splits a data set into base and queries with a seed.
//   - GroundTruth computes exact top-k neighbours on all cores;
//     CachedGroundTruth keeps them beside the data set, keyed by a SHA-256
//     of the inputs (TruthKey), and recomputes when an input changes.
//   - Recall, QueryRecall, RecallWithTies score results.
//   - System is a thing under test (Build / Search / Close); Run measures
//     one over an ef sweep and returns Rows. BruteForce is an exact System;
//     Vecbolt is vecbolt through package query on a database file (a
//     BuildReporter: it reports its own build time and file size).
//   - Summarize and WriteSummary condense rows into the README tables: QPS
//     at recall 0.90 / 0.95 / 0.99 per curve, with ratios to hnswlib, and
//     the build, open and memory figures.
//   - Document and Row are the result schema, written as JSON (WriteJSON) or
//     CSV (WriteCSV); the C++ and Python runners write the same JSON.
//   - PlotFile draws recall/QPS curves; QPSAtRecall reads a curve at a
//     target recall.
//
// # Conventions
//
// Distances follow the index package: smaller is closer. Cosine is
// 1 - cos (both sides normalised), Dot is -q·b, L2 is the squared
// euclidean distance. Ground truth orders equal distances by lower base
// index. Recall@k is |returned top-k ∩ true top-k| / k, averaged over
// queries, as ann-benchmarks defines it: a system that returns another
// member of a tie at the k-th place gets no credit for it (with float data
// exact ties are rare; RecallWithTies is the distance-threshold variant).
//
// # Result files
//
// A result file is one JSON document (FormatVersion "vecbolt-bench/1"):
//
//	{
//	  "format": "vecbolt-bench/1",
//	  "created": "2026-11-27T22:00:00Z",
//	  "machine": { ... },
//	  "notes": ["..."],
//	  "rows": [ { ... }, ... ]
//	}
//
// machine:
//
//	| field          | type     | meaning                                                       |
//	|----------------|----------|---------------------------------------------------------------|
//	| cpu_model      | string   | /proc/cpuinfo "model name"                                    |
//	| cpu_features   | []string | CPU features as reported by vek.Info (AVX2, FMA, AVX512F...) |
//	| simd           | bool     | vek32 runs its AVX2/FMA kernels                               |
//	| cores          | int      | logical CPUs                                                  |
//	| gomaxprocs     | int      | GOMAXPROCS of the Go runner (absent for other runners)        |
//	| memory_bytes   | int      | /proc/meminfo MemTotal                                        |
//	| go_version     | string   | Go toolchain (Go runners)                                     |
//	| runtime        | string   | compiler or interpreter and build notes (C++, Python runners) |
//	| os             | string   | GOOS/GOARCH, e.g. linux/amd64                                 |
//	| load_average   | string   | /proc/loadavg when the runner finished collecting it          |
//	| vecbolt_commit | string   | git commit of the vecbolt tree, "+dirty" when modified        |
//
// rows: one per (system, configuration, ef). Fields that may be absent
// (omitted in JSON, an empty cell in CSV) mean "not measured".
//
//	| field                           | type   | meaning                                                              |
//	|---------------------------------|--------|----------------------------------------------------------------------|
//	| system                          | string | vecbolt, hnswlib, faiss-hnsw, bruteforce                             |
//	| version                         | string | the system's version, if known                                       |
//	| commit                          | string | the system's source commit, if known                                 |
//	| config                          | string | extra build configuration label                                      |
//	| dataset                         | string | data set name, e.g. glove-50k-100d                                   |
//	| metric                          | string | cosine, dot or l2                                                    |
//	| n                               | int    | base vectors indexed                                                 |
//	| dim                             | int    | dimension                                                            |
//	| queries                         | int    | queries measured                                                     |
//	| k                               | int    | neighbours per query and recall depth                                |
//	| m                               | int    | HNSW M                                                               |
//	| ef_construction                 | int    | HNSW efConstruction                                                  |
//	| ef                              | int    | search ef (efSearch)                                                 |
//	| recall                          | float  | recall@k averaged over queries                                       |
//	| qps_single                      | float  | queries/s, one thread, one query per call                            |
//	| qps_multi                       | float  | queries/s over `threads` threads                                     |
//	| threads                         | int    | threads of the qps_multi pass                                        |
//	| runs                            | int    | timed passes per figure; the fastest is reported (absent = 1)        |
//	| latency_p50_us                  | float  | single-thread latency, 50th percentile, microseconds (nearest rank)  |
//	| latency_p95_us                  | float  | 95th percentile                                                      |
//	| latency_p99_us                  | float  | 99th percentile                                                      |
//	| build_seconds                   | float  | index build from vectors in memory, wall clock                       |
//	| build_threads                   | int    | threads of the build                                                 |
//	| inserts_per_second              | float  | single-record inserts, one per call                                  |
//	| import_seconds                  | float  | bulk import into a persistent file, end to end                       |
//	| open_seconds                    | float  | load a saved index in a fresh process until the first query answers |
//	| distance_computations_per_query | float  | mean distance evaluations per query                                  |
//	| rss_bytes_after_build           | int    | resident set after the build                                         |
//	| heap_bytes_after_build          | int    | Go heap in use after the build and a GC                              |
//	| rss_bytes_after_open            | int    | resident set after loading the saved index and one query             |
//	| heap_bytes_after_open           | int    | Go heap after the open and a GC                                      |
//	| file_bytes                      | int    | saved index or database file size                                    |
//	| bytes_per_vector                | float  | file_bytes / n                                                       |
//
// The CSV form has the same columns in this order (CSVHeader), one line
// per row, without the machine block.
//
// # Runners
//
// bench/cmd/prepare turns the GloVe text file into base.fvecs,
// queries.fvecs, truth.ivecs (exact top-100), base.keys and queries.keys.
// bench/hnswlib (C++, Debian's libhnswlib-dev) and bench/faiss (Python,
// Debian's python3-faiss) read those files and write result documents;
// bench/cmd/run measures in-process Go systems (bruteforce, vecbolt-index:
// package index's graph alone, vecbolt through package query);
// bench/cmd/plot overlays result files. The vecbolt command wraps all of it
// for users: 'vecbolt bench' measures vecbolt with every figure (import,
// open in a fresh process, single inserts) and 'vecbolt bench plot'
// overlays result files; bench/run-all.sh reproduces the published
// figures. See docs/benchmarks.md and bench/README.md.
//
// # Concurrency
//
// Functions are safe for concurrent use on distinct arguments. Matrix
// values are plain data: concurrent reads are safe, mutation is not.
package bench
