package index

// Stats describes a graph's shape, for humans and tests.
type Stats struct {
	Dim            int    `json:"dim"`
	Metric         string `json:"metric"`
	M              int    `json:"m"`
	EfConstruction int    `json:"ef_construction"`
	Ef             int    `json:"ef"`
	Encoding       string `json:"encoding"` // "none" (float32), "fp16" or "int8"

	// VectorBytes is the memory of the vector slabs (float32) or code rows
	// the graph owns, allocated capacity included; rows viewed in the
	// caller's memory (Restorer.SetVectors, SetCodes) are not counted.
	VectorBytes int64 `json:"vector_bytes"`

	Nodes      int    `json:"nodes"`       // live nodes
	MaxID      uint32 `json:"max_id"`      // ids in use are below it
	Capacity   int    `json:"capacity"`    // slots allocated
	FreeSlots  int    `json:"free_slots"`  // freed ids below MaxID awaiting reuse
	Tombstones int    `json:"tombstones"`  // deleted but not yet freed (0 outside Delete)
	EntryPoint uint32 `json:"entry_point"` // NoID when empty
	MaxLevel   int    `json:"max_level"`   // -1 when empty
	Reachable  int    `json:"reachable"`   // live nodes reachable from the entry point on level 0

	// Levels[l] describes level l, 0 to MaxLevel.
	Levels []LevelStats `json:"levels"`

	// DistanceComputations counts distance evaluations since New or
	// Restore, over all operations.
	DistanceComputations uint64 `json:"distance_computations"`
}

// LevelStats describes one level of the graph.
type LevelStats struct {
	Nodes      int     `json:"nodes"`       // live nodes on this level
	Links      int     `json:"links"`       // sum of list lengths
	MeanDegree float64 `json:"mean_degree"` // Links / Nodes
	MaxDegree  int     `json:"max_degree"`
	Isolated   int     `json:"isolated"` // nodes with an empty list (normal only for a lone node)
}

// Stats walks the graph and returns its statistics. It holds the read
// lock, so it runs concurrently with searches; with concurrent Adds the
// figures are a snapshot that may mix before and after.
func (g *Graph) Stats() Stats {
	g.mu.RLock()
	defer g.mu.RUnlock()
	st := Stats{
		Dim: g.dim, Metric: g.metric.String(), M: g.opts.M,
		EfConstruction: g.opts.EfConstruction, Ef: g.opts.Ef,
		MaxID: g.next.Load(), Capacity: g.capacity,
		EntryPoint: NoID, MaxLevel: -1,
		DistanceComputations: g.ndist.Load(),
		Encoding:             g.enc.String(), VectorBytes: g.vectorBytes(),
	}
	g.allocMu.Lock()
	st.FreeSlots = len(g.free)
	g.allocMu.Unlock()
	if e := g.entry.Load(); e != noEntry {
		st.EntryPoint, st.MaxLevel = unpackEntry(e)
	}
	for id := uint32(0); id < st.MaxID; id++ {
		switch g.stateAt(id) {
		case stateDeleted:
			st.Tombstones++
			continue
		case stateFree:
			continue
		}
		st.Nodes++
		level := int(g.levels[id])
		for len(st.Levels) <= level {
			st.Levels = append(st.Levels, LevelStats{})
		}
		for l := 0; l <= level; l++ {
			ls := &st.Levels[l]
			d := g.degree(id, l)
			ls.Nodes++
			ls.Links += d
			ls.MaxDegree = max(ls.MaxDegree, d)
			if d == 0 {
				ls.Isolated++
			}
		}
	}
	for l := range st.Levels {
		if ls := &st.Levels[l]; ls.Nodes > 0 {
			ls.MeanDegree = float64(ls.Links) / float64(ls.Nodes)
		}
	}
	s := g.getSearcher()
	st.Reachable = st.Nodes - len(g.unreachableLocked(s))
	g.putSearcher(s)
	return st
}

// vectorBytes sums the owned vector or code chunks. Caller holds mu.
func (g *Graph) vectorBytes() int64 {
	var n int64
	if !g.viewed {
		for _, c := range g.vecs {
			n += 4 * int64(len(c))
		}
	}
	if !g.cviewed {
		for _, c := range g.codes {
			n += int64(len(c))
		}
	}
	for _, c := range g.corrs {
		n += 4 * int64(len(c))
	}
	return n
}
