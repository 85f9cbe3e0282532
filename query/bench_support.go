package query

// DistanceComputations returns the number of distance evaluations the
// collection's in-memory graph has done since it was built or loaded
// (searches, inserts and repairs alike). Benchmarks divide its growth over
// a set of queries by their number. A reload after a failed write starts a
// new graph and so a new count. Safe for concurrent use.
func (c *Collection) DistanceComputations() uint64 {
	c.mu.RLock()
	g := c.g
	c.mu.RUnlock()
	return g.DistanceComputations()
}
