package query

import (
	"math"

	"github.com/vecbolt/vecbolt/index"
)

// ScanBelow returns how many records may pass a filter (a metadata Filter,
// a Restrict, or both) for a query to be answered by an exact scan of
// those records instead of a filtered graph search, in a collection of n
// records searched with beam width ef.
//
// The graph search with a filter that passes a fraction p of the records
// visits about ef/p nodes before it holds ef that pass, each costing up to
// 2M distance computations; the scan costs one distance computation per
// passing record plus one cheap metadata test per record. The crossover
// therefore grows like sqrt(n*ef); the constant comes from measuring both
// on the GloVe 50k sample (see filter_bench_test.go and the README):
// the scan wins clearly at 0.1% (50 records) and 1% (500), and the graph
// from about 5% (2,500 records) up.
func ScanBelow(n, ef int) int {
	if scanBelowOverride != nil {
		return scanBelowOverride(n, ef)
	}
	return max(1000, int(4*math.Sqrt(float64(n)*float64(ef))))
}

// sampleSize is how many records plan tests to estimate a filter's
// selectivity before counting.
const sampleSize = 512

// scanBelowOverride replaces ScanBelow in tests and benchmarks that force
// one plan.
var scanBelowOverride func(n, ef int) int

// plan builds the index filter for a query and decides whether to scan.
// Visibility, exclusions, the first-n restriction and the metadata filter
// f are combined. Without a restriction or a metadata filter, the graph
// answers unless exact is set. Otherwise the share of records that pass is
// estimated on an even sample; when it is not clearly above ScanBelow,
// they are counted (stopping once there are more than ScanBelow): when few pass, the
// returned filter is a bitmap of exactly those ids and scan is true. The
// caller holds c.mu for reading and has checked f.Err().
func (c *Collection) plan(exclude []uint32, restrict int, f Filter, exact bool, ef int) (filter index.Filter, scan bool) {
	base := c.filter(exclude, restrict)
	restricted := c.restrictCutoff(restrict) != math.MaxUint64
	if f.IsZero() && !restricted {
		return base, exact
	}
	filter = base
	if !f.IsZero() {
		pred, docs := f.compile(), c.meta.docs
		filter = func(id uint32) bool {
			var d docMeta
			if int(id) < len(docs) {
				d = docs[id]
			}
			return pred(d) && (base == nil || base(id))
		}
	}
	if exact {
		return filter, true
	}
	g := c.g
	limit := ScanBelow(len(c.ids), ef)
	n := g.MaxID()
	// Estimate from an evenly spread sample first, so that a filter passing
	// many records costs a few hundred tests, not a count.
	if step := n / sampleSize; step > 1 {
		hit, seen := 0, 0
		for id := uint32(0); id < n; id += step {
			if g.Live(id) {
				seen++
				if filter == nil || filter(id) {
					hit++
				}
			}
		}
		if seen > 0 && float64(hit)/float64(seen)*float64(len(c.ids)) > 3*float64(limit) {
			return filter, false
		}
	}
	bits := make([]uint64, (n+63)/64)
	count := 0
	for id := uint32(0); id < n; id++ {
		if !g.Live(id) || (filter != nil && !filter(id)) {
			continue
		}
		if count++; count > limit {
			return filter, false
		}
		bits[id>>6] |= 1 << (id & 63)
	}
	return func(id uint32) bool { return int(id>>6) < len(bits) && bits[id>>6]&(1<<(id&63)) != 0 }, true
}
