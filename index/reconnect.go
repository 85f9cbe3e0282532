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
// Reconnect is exclusive (it waits for searches and inserts) and costs one
// traversal of level 0 when nothing is unreachable.
func (g *Graph) Reconnect() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.entry.Load() == noEntry {
		return 0
	}
	s := g.getSearcher()
	defer g.putSearcher(s)
	n := len(g.unreachableLocked(s))
	if n > 0 {
		g.reconnectLocked(s)
	}
	return n
}
