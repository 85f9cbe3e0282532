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
// overwrites.
package index
