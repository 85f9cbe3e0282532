// Package index is vecbolt's in-memory HNSW graph (Malkov & Yashunin,
// "Efficient and robust approximate nearest neighbor search using
// Hierarchical Navigable Small World graphs", arXiv:1603.09320) with SIMD
// distance kernels. It does no I/O: persistence goes through the byte codec
// (MarshalNode, MarshalMeta, Restore) and TakeDirty.
//
// # Basics
//
// New makes an empty Graph for one dimension and Metric. Add inserts a
// vector and returns its dense uint32 id; AddBatch builds in parallel.
// Search returns approximate nearest neighbours, Exact the true ones by
// brute force. Distances are "smaller is closer": 1-a·b for Cosine (the
// caller passes unit vectors), -a·b for Dot, squared euclidean for L2.
//
// A graph holds float32 vectors, or, after SetEncoding, only FP16 or INT8
// codes of them (package quant; see Encodings below): SearchRescore then
// re-ranks the best candidates with the caller's exact vectors.
//
// Options: M links per node on levels above 0 and 2*M on level 0 (default
// 16), EfConstruction (default 200) for linking, Ef (default 64) for
// searches that pass ef = 0; a search always uses max(k, ef). Levels are
// drawn with mL = 1/ln(M) from a random source seeded by Options.Seed.
//
// # Algorithm
//
// Inserts descend greedily from the entry point through the levels above
// the new node's level, then run a beam search of width EfConstruction on
// each of its levels and keep M neighbours chosen by the selection
// heuristic (Algorithm 4, as hnswlib's getNeighborsByHeuristic2). Each chosen
// neighbour links back; a full list is shrunk with the same heuristic.
// Searches descend greedily to level 0 and run a beam search of width ef
// there. With a Filter, the level-0 search keeps exploring until it holds
// ef allowed nodes, as hnswlib does with isIdAllowed, so selective filters
// still return min(k, allowed) results, at the cost of visiting more of the
// graph.
//
// Delete rebuilds the lists of the deleted node's in-neighbours (found in
// the in-link index, below) from their live members plus the deleted node's
// neighbours, moves the entry point if needed and frees the slot for reuse
// by Add. Update re-links a node whose vector changed in the same way, then
// links it again like a new node on its old level.
//
// # Local repair
//
// HNSW does not by itself keep every node reachable: a list shrunk by the
// heuristic can drop a node's last in-link. Every write here keeps the
// invariant Check verifies (every live node reachable from the entry point
// on level 0) with work bounded by the neighbourhood it changed, never a
// traversal of the graph:
//
//   - If every node was reachable before a write, it still is after it
//     when, for every level-0 link a->b the write removed, b can be reached
//     from a: replace the removed link by that path in any old path. Writes
//     queue the links they remove (a shrink's evictions, a rebuilt list's
//     dropped members).
//   - A deleted (or moved) node x stands for the removed links u->x->y:
//     every live in-neighbour u must reach a hub (x's closest out-neighbour)
//     and the hub every out-neighbour y. A new entry point joins the u's;
//     an insert that raises the top level must reach the old entry point.
//   - A new node is reachable once a certified node links to it. Inserts
//     still running are not certified (a pending bit), so two concurrent
//     inserts cannot vouch for each other.
//
// Each proof a ~> b marks the nodes that reach b within a few in-links,
// then walks forward from a until it meets one (about 30 nodes, no distance
// computations); if they do not meet, a beam search of width 2*M from a
// towards b decides. When the search does not meet b either, local repair
// links b from the closest node the search found with a free slot, or
// replaces the link of the closest whose target has the most other
// in-links, and proves the evicted link in turn. A write that needs more
// than 256 such links falls back to the full repair (Reconnect's traversal)
// and RepairStats counts it; if even that fails the write returns an error
// wrapping ErrRepair.
//
// AddBulk, for batches that are a sizable part of the graph (bulk loads),
// skips the proofs and checks the whole graph once instead: one traversal
// of level 0 on the batch's workers, then the full repair of any node it
// finds unreachable. On a graph built by it from empty it keeps no in-link
// index until a write or Check needs one.
//
// The in-link index records, for each node and level, which nodes link to
// it. It is kept in step with every list change under per-stripe locks,
// rebuilt by Restorer.Finish (it is not stored) and checked by Check. It
// costs 4 bytes per level-0 link and a slice header per node, and makes
// Delete and Update find the lists to repair without scanning.
//
// Cost of one write, whatever n: Add O(M·EfConstruction) distance
// computations plus O(M) proofs; Delete O(d·M²) plus O(d+M) proofs, where d
// is the node's in-degree (about 2*M); Update the sum of both. Each rewrites
// O(M) nodes (Delete and Update O(d·M)); TakeDirty reports exactly those.
// TestWriteCostIndependentOfSize counts them at 1k, 10k and 100k.
//
// # Memory layout
//
// Ids are dense. Vectors live in one float32 slab (dim per node), or codes
// in one byte slab (CodeRowSize per node) on an encoded graph, level-0
// lists in one flat []uint32 block (per node a count and 2*M slots), upper
// lists only for nodes above level 0, levels in a []uint8. Reserve
// preallocates; otherwise the slabs double when full. The level-0 search
// gathers a node's unvisited neighbours first and prefetches their vectors
// (PREFETCHT0, amd64 assembly in prefetch_amd64.s; a no-op elsewhere), then
// computes the distances, so the cache misses overlap as in hnswlib.
//
// # Encodings
//
// SetEncoding(quant.FP16, nil) or SetEncoding(quant.INT8, params) makes
// the graph keep codes instead of float32 vectors: 2·dim bytes a node
// (FP16) or dim+4 (INT8: dim int8 codes and a float32 correction term),
// instead of 4·dim. On an empty graph the later Adds encode their vectors;
// on a built float32 graph it encodes every vector once and frees the
// float32 slabs. An encoded graph never changes its encoding: the exact
// vectors, which a re-encoding needs, are the caller's (the store's
// records), so the caller rebuilds. Add, AddBatch and Update keep taking
// exact float32 vectors and refuse those the encoding cannot hold
// (*VectorError: NaN, infinite, beyond ±65504 for FP16 or ±1e15 for INT8)
// before changing anything.
//
// Searches prepare the query once (under INT8 a quant.Query in the pooled
// searcher: the query quantized at its own scale, no allocation), then
// compare it with each code: one int8 dot product (VPDPBUSD on AVX-512
// VNNI) plus three float operations, or an F16C dot product, per distance.
// The level-0 search prefetches code rows as it does vectors, 2 cache lines
// for a 100-d INT8 row instead of 7 for float32. Search and SearchInto
// return these approximate distances; SearchRescore traverses with beam
// max(ef, ceil(k·oversample)), keeps the best ceil(k·oversample) by code
// distance and re-ranks them with exact vectors from an ExactSource (the
// store's mapped rows, or rows it reads into buffers the search passes
// it), so its results and scores are exact. Exact on
// an encoded graph is the brute force over code distances; ExactWith is
// the brute force over the exact vectors.
//
// Inserts compare the new node's exact vector with the codes (a prepared
// query, as a search). Neighbour selection compares codes with codes:
// FP16 through F16C, INT8 with one scale (quant.Symmetric) through the
// integer kernel, INT8 with per-dimension scales by a float loop
// (quant.Int8.CodeDistance), which BenchmarkSelectInt8 measured 1.7x
// faster per selection at dim 100 than decoding and preparing each kept
// neighbour as a query (a selection makes about one comparison per
// candidate, fewer than the O(dim) preparations cost). A full list being
// shrunk compares its owner with 2·M+1 nodes: it is decoded and prepared
// once, then compared by the integer kernel.
//
// Restorer.SetEncoding and Restorer.SetCodes restore an encoded graph from
// code rows viewed in the caller's memory (a mapped file), copying
// nothing; a node restored with a vector (a newer row kept elsewhere) is
// encoded into a copy of its chunk, and the first write or Check copies
// every viewed row, as for SetVectors. CodeRow returns a node's row in the
// stored layout. Check verifies each code with quant.Int8.CheckCode (no
// -128, a correction term equal to the one its code implies) or
// quant.CheckFP16 (no Inf or NaN).
//
// Build on codes or on float32, then encode? TestEncodingStudy
// (VECBOLT_INDEX_STUDY=1 go test -run EncodingStudy -v ./index; 2-core
// AMD EPYC dev box, load average 5-9, Go 1.26, 2026-12-02), cosine, M 16,
// EfConstruction 200, AddBatch on 2 workers, INT8 per-dimension trained on
// the base; recall@10 against brute force over the exact vectors,
// SearchRescore at oversample 2 for the encoded graphs (the synthetic set
// is 50 gaussian clusters in an 8-d subspace of 128 dimensions, its 500
// queries drawn from the same clusters):
//
//	GloVe 49k x 100, 1,000 queries   ef 16   ef 32   ef 48   ef 64   ef 96   ef 128  build CPU
//	float32 (SearchInto)             0.8530  0.9304  0.9598  0.9741  0.9855  0.9911  12.6 s
//	fp16 built on codes              0.8830  0.9289  0.9582  0.9726  0.9841  0.9898  14.8 s
//	fp16 built on float32, encoded   0.8847  0.9305  0.9598  0.9739  0.9855  0.9912  15.9 s
//	int8 built on codes              0.8840  0.9279  0.9587  0.9742  0.9857  0.9916  15.1 s
//	int8 built on float32, encoded   0.8838  0.9300  0.9597  0.9734  0.9851  0.9911  13.9 s
//
//	synthetic 50k x 128              ef 16   ef 32   ef 48   ef 64   ef 96   ef 128  build CPU
//	float32 (SearchInto)             0.9942  0.9996  0.9998  0.9998  0.9998  0.9998   6.4 s
//	fp16 built on codes              0.9962  0.9980  0.9982  0.9982  0.9982  0.9982   5.8 s
//	fp16 built on float32, encoded   0.9952  0.9972  0.9974  0.9974  0.9974  0.9974   7.6 s
//	int8 built on codes              0.9936  0.9948  0.9952  0.9952  0.9952  0.9952   9.3 s
//	int8 built on float32, encoded   0.9926  0.9952  0.9954  0.9954  0.9954  0.9954   8.0 s
//
// (At ef 16 the encoded rows search with beam 20 = 10·oversample, hence
// their higher recall there.) The two ways of building give the same
// recall within the run-to-run spread of a 2-worker build (0.001-0.002:
// the FP16 rows change order between runs), and FP16 is within 0.002 of
// float32 on GloVe. An earlier run, whose neighbour selection prepared
// each kept INT8 neighbour as a query instead of comparing codes with
// CodeDistance, put INT8 built on codes up to 0.003 below the other; the
// code-to-code comparison closed that gap. Build CPU time (process CPU,
// GC included, on a loaded machine) does not separate them either: INT8
// on codes took 15.1 s against 13.9 on GloVe in this run, 15.8 against
// 13.5 in the earlier one, 9.3 against 8.0 and 8.4 against 10.1 on the
// synthetic set. Decision: both paths stay. Single upserts link on codes,
// as they must; a bulk build may build on float32 and call SetEncoding
// (the float32 slabs then cost 4·n·dim bytes during the build) or encode
// first and build on codes (no float32 slab at all): the same graph
// quality either way.
//
// Oversampling, from the same run (recall@10 of INT8 built on float32,
// then encoded; the columns as above):
//
//	GloVe 49k          ef 16   ef 32   ef 48   ef 64   ef 96   ef 128
//	no re-ranking      0.8496  0.9228  0.9505  0.9631  0.9732  0.9791
//	oversample 1       0.8496  0.9228  0.9505  0.9631  0.9732  0.9791
//	oversample 2       0.8838  0.9300  0.9597  0.9734  0.9851  0.9911
//	oversample 3       0.9251  0.9300  0.9597  0.9734  0.9851  0.9911
//	oversample 4       0.9493  0.9493  0.9597  0.9734  0.9851  0.9911
//
//	synthetic 50k      ef 16   ef 32   ef 48   ef 64   ef 96   ef 128
//	no re-ranking      0.9078  0.9114  0.9116  0.9116  0.9116  0.9116
//	oversample 2       0.9926  0.9952  0.9954  0.9954  0.9954  0.9954
//	oversample 3       0.9978  0.9984  0.9986  0.9986  0.9986  0.9986
//	oversample 4       0.9986  0.9986  0.9986  0.9986  0.9986  0.9986
//
// Re-ranking is what makes INT8 usable: without it recall stalls at 0.91
// on the synthetic clusters, whose fine structure is below the codes'
// resolution, and at 0.979 on GloVe. On GloVe oversample 2 reaches what 3
// and 4 reach wherever ef >= 10·oversample (the true neighbours the codes
// misrank are within the code top 20; the rest are missed by the graph);
// on the synthetic clusters 2 stalls at 0.9954 and 3 reaches 4's 0.9986
// within 0.0002 (an earlier run: 0.9950, 0.9982, 0.9982). Where 3 and 4
// score higher at small ef it is their wider beam, which a larger ef buys
// as well. DefaultOversample is therefore 3, the smallest factor that
// reaches the ceiling on both: 30 exact distances per query for k = 10, a
// few percent of a search's CPU (re-ranking took 7% of the profile at
// oversample 2 on GloVe at ef 128).
//
// Search speed at equal recall: BenchmarkSearchEncoded runs one graph
// (built on float32, restored as FP16 and INT8 with the same links), one
// thread, k = 10, each encoding at the cheapest ef and oversample reaching
// the target, and reports the float32 graph's thread CPU time per query
// over the encoding's, interleaved in 7 rounds (median; above 1 is faster
// than float32). 2026-12-02, load average 8-20:
//
//	                                   recall 0.95            recall 0.99
//	GloVe 49k x 100 (in cache)         fp16 0.96x, int8 0.95x  fp16 1.03x, int8 1.05x
//	isotropic 100k x 128 (51 MB fp32)  fp16 1.02x, int8 1.12x  fp16 0.96x, int8 1.10x
//
// (go test -run XXX -bench SearchEncoded/glove -benchtime 3000x ./index;
// VECBOLT_INDEX_BENCH_LARGE=100000 go test -run XXX -bench
// SearchEncoded/isotropic -benchtime 2000x ./index; the float32 graph
// against itself measures 0.99-1.01x.) While the vectors sit in the
// cache, an INT8 distance costs what a float32 one does at dim 100
// (quant's kernel table: 9.1 against 9.0 ns) and re-ranking adds its exact
// distances, so the two are even; as the float32 vectors outgrow the
// cache, the 4x smaller rows start to pay (1.1x at 100k). The issue's
// figures against hnswlib at 200k and 1M are the bench tool's (qbench).
// BenchmarkEncodingSwitch measures the encoding switch in the search loop
// against the float32 loop as it was before encodings, on a float32
// graph: 1.007x and 1.03x in two runs (spread 0.87-1.7), i.e. not
// measurable.
//
// # Concurrency
//
// All Graph methods are safe for concurrent use. Search, SearchInto,
// SearchRescore, Exact, ExactWith, CodeRow, Stats and the codec run
// concurrently with each other and with Add and AddBatch; readers never
// block on node locks: lists are read with atomic loads and written with
// atomic stores (slots before count), and a new node's vector (or code) and
// lists are written before any back-link publishes it. Update, Delete,
// Reserve, Check, SetEncoding and slab growth are exclusive;
// Reconnect looks under the read lock and is exclusive only to re-link.
// An insert whose level is above the top level holds repairState.topMu
// from reading the top level until it has become the entry point, so a
// concurrent insert above the old top links its upper levels to it
// instead of leaving them empty (as hnswlib holds its global lock).
//
// Lock order (acquire left to right, never the reverse):
//
//	Graph.mu (read or write)
//	  -> repairState.topMu
//	  -> one Graph.nodeMu[id] at a time (never two)
//	  -> Graph.epMu | Graph.allocMu | Graph.rngMu | Graph.dirtyMu | one repairState.inMu stripe (leaves, never nested)
//
// nodeMu[id] is only taken under mu, so growth under the write lock can
// replace the mutex slice. Filters run under mu's read lock and must not
// call exclusive methods of the same graph.
//
// # Persistence
//
// MarshalMeta and MarshalNode produce versioned little-endian bytes;
// Restore, Restorer.Node and Restorer.Finish validate every byte and return
// errors wrapping ErrCorrupt, never panicking. TakeDirty lists the nodes
// whose stored form changed since its last call.
//
// # Caveats
//
// Search cost grows as filters get more selective (a filter allowing 0.1%
// of nodes may visit most of the graph); callers may prefer Exact then.
// A node with an unusually high in-degree (a hub) costs Delete and Update
// in proportion to it. Vector returns a view into the slab that a later Update or slot reuse
// overwrites, and nil on an encoded graph (AppendVector decodes a code;
// the exact vector is the caller's).
package index
