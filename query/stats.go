package query

import (
	"github.com/vecbolt/vecbolt/index"
)

// Stats describes a collection at one moment.
type Stats struct {
	Name    string           `json:"name"`
	Records int              `json:"records"`
	Config  CollectionConfig `json:"config"`
	// Parameters is the size of the embedding table: records × dimension.
	Parameters int64 `json:"parameters"`
	// Bytes of the embedding table at each precision.
	BytesFP32 int64 `json:"bytes_fp32"`
	BytesFP16 int64 `json:"bytes_fp16"`
	BytesINT8 int64 `json:"bytes_int8"`
	// Graph is the HNSW graph's shape: levels, degrees, reachability.
	Graph index.Stats `json:"graph"`
	// Encoding is how the graph holds the vectors in memory (quant.go).
	Encoding EncodingInfo `json:"encoding"`
}

// Stats returns the collection's statistics. It is safe to call during
// searches and writes; the figures are a consistent snapshot of memory.
func (c *Collection) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := int64(c.count())
	p := n * int64(c.cfg.Dim)
	return Stats{
		Name:       c.name,
		Records:    int(n),
		Config:     c.cfg,
		Parameters: p,
		BytesFP32:  4 * p,
		BytesFP16:  2 * p,
		BytesINT8:  p,
		Graph:      c.g.Stats(),
		Encoding:   c.encodingLocked(),
	}
}
