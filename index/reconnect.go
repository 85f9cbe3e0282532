package index

// Reconnect makes every live node reachable from the entry point on level
// 0 again and returns how many nodes were unreachable before it ran.
//
// HNSW inserts do not guarantee reachability: when later inserts prune a
// node from every list that pointed at it (the heuristic keeps at most M
// or 2M links), the node stays in the graph but no search can reach it,
// and Check reports it. This happens readily with a small M in high
// dimensions (M=8, dimension 64: two nodes of the first 200). Delete and
// Update already repair this; callers that need Check to pass after
// inserts (the query package, which persists the graph) call Reconnect
// after Add or AddBatch. Re-linked nodes and the nodes given links to them
// are reported by TakeDirty.
//
// Reconnect costs one traversal of level 0, under the read lock (searches
// continue); only when it finds an unreachable node does it take the graph
// exclusively to re-link.
func (g *Graph) Reconnect() int {
	// Look under the read lock first: searches go on meanwhile, and
	// usually nothing is lost. Only then take the graph exclusively.
	g.mu.RLock()
	if g.entry.Load() == noEntry {
		g.mu.RUnlock()
		return 0
	}
	s := g.getSearcher()
	defer g.putSearcher(s)
	lost := len(g.unreachableLocked(s))
	g.mu.RUnlock()
	if lost == 0 {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := len(g.unreachableLocked(s))
	if n > 0 {
		g.reconnectLocked(s)
	}
	return n
}
