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
// Delete tombstones the ids, rebuilds with the heuristic every list that
// linked to them (from the list's live members and the deleted nodes' live
// neighbours), moves the entry point if needed, frees the slots for reuse
// by Add, and re-links any node that became unreachable. Update re-links a
// node whose vector changed in the same way.
//
// # Memory layout
//
// Ids are dense. Vectors live in one float32 slab (dim per node), level-0
// lists in one flat []uint32 block (per node a count and 2*M slots), upper
// lists only for nodes above level 0, levels in a []uint8. Reserve
// preallocates; otherwise the slabs double when full. The level-0 search
// gathers a node's unvisited neighbours first and prefetches their vectors
// (PREFETCHT0, amd64 assembly in prefetch_amd64.s; a no-op elsewhere), then
// computes the distances, so the cache misses overlap as in hnswlib.
//
// # Concurrency
//
// All Graph methods are safe for concurrent use. Search, SearchInto,
// Exact, Stats and the codec run concurrently with each other and with Add
// and AddBatch; readers never block on node locks: lists are read with
// atomic loads and written with atomic stores (slots before count), and a
// new node's vector and lists are written before any back-link publishes
// it. Update, Delete, Reserve, Check and slab growth are exclusive;
// Reconnect looks under the read lock and is exclusive only to re-link.
//
// Lock order (acquire left to right, never the reverse):
//
//	Graph.mu (read or write)
//	  -> one Graph.nodeMu[id] at a time (never two)
//	  -> Graph.epMu | Graph.allocMu | Graph.rngMu | Graph.dirtyMu (leaves, never nested)
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
// Update and Delete scan every node once per call: batch deletes.
// Vector returns a view into the slab that a later Update or slot reuse
// overwrites.
package index
