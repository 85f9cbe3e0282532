package query

import (
	"math"
	"strconv"
	"sync"

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
// passing record plus a bitmap test per record. The crossover therefore
// grows like sqrt(n*ef); the constant comes from measuring both on the
// GloVe 50k sample (TestMeasureFilteredSearch, figures in the README):
// there the scan wins at 10% of the records passing (5,000: about 3,600
// against 1,300 queries per CPU second) and the graph at 20% (10,000: 860
// against 1,400), and ScanBelow(50000, 64) = 7,155.
func ScanBelow(n, ef int) int {
	if scanBelowOverride != nil {
		return scanBelowOverride(n, ef)
	}
	return max(1000, int(4*math.Sqrt(float64(n)*float64(ef))))
}

// scanBelowOverride replaces ScanBelow in tests and measurements that
// force one plan.
var scanBelowOverride func(n, ef int) int

// sampleSize is how many records plan tests to estimate the selectivity of
// a filter it has no set for.
const sampleSize = 512

// filterSetCap is how many allowed-id sets a collection keeps.
const filterSetCap = 8

// filterSets caches the ids allowed by recently used filters, so that a
// run of queries with the same filter evaluates it once per collection
// version instead of once per query. Safe for concurrent use.
type filterSets struct {
	mu   sync.Mutex // protects sets and tick
	sets []*filterSet
	tick uint64
}

// filterSet is the set of live ids a filter and restriction allow, as of
// collection version gen. It is immutable once published.
type filterSet struct {
	key   string // Filter.String() and the restriction
	gen   uint64
	bits  []uint64
	count int
	used  uint64 // LRU tick, under filterSets.mu
}

func (s *filterSet) has(id uint32) bool {
	return int(id>>6) < len(s.bits) && s.bits[id>>6]&(1<<(id&63)) != 0
}

func (fs *filterSets) get(key string, gen uint64) *filterSet {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, s := range fs.sets {
		if s.key == key && s.gen == gen {
			fs.tick++
			s.used = fs.tick
			return s
		}
	}
	return nil
}

func (fs *filterSets) put(s *filterSet) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.tick++
	s.used = fs.tick
	if len(fs.sets) < filterSetCap {
		fs.sets = append(fs.sets, s)
		return
	}
	// Evict a set of an older version, or else the least recently used.
	old := 0
	for i, t := range fs.sets {
		if t.gen != s.gen {
			old = i
			break
		}
		if t.used < fs.sets[old].used {
			old = i
		}
	}
	fs.sets[old] = s
}

// plan builds the index filter for a query and decides whether to scan.
// Visibility, exclusions, the first-n restriction and the metadata filter
// f are combined. Without a restriction or a metadata filter, the graph
// answers unless exact is set.
//
// Otherwise plan uses the cached set of ids that f and the restriction
// allow, if this collection version has one. If not, it estimates the
// share that pass on an even sample: when that is clearly above ScanBelow,
// the graph search tests the filter as it goes; otherwise every record is
// tested once and the set is cached. With a set, the filter is a bitmap
// test, and the query scans when the set holds at most ScanBelow ids. The
// caller holds c.mu for reading and has checked f.Err().
func (c *Collection) plan(exclude []uint32, restrict int, f Filter, exact bool, ef int) (filter index.Filter, scan bool) {
	restricted := c.restrictCutoff(restrict) != math.MaxUint64
	if f.IsZero() && !restricted {
		return c.visible(exclude), exact
	}
	vis := c.visible(exclude)
	key := f.String() + "\x00" + strconv.Itoa(restrict)
	limit := ScanBelow(c.count(), ef)
	set := c.sets.get(key, c.gen)
	if set == nil {
		pass := c.filter(nil, restrict) // restriction only
		if !f.IsZero() {
			pred, docs, restr := f.compile(), c.meta.docs, pass
			pass = func(id uint32) bool {
				var d docMeta
				if int(id) < len(docs) {
					d = docs[id]
				}
				return pred(d) && (restr == nil || restr(id))
			}
		}
		g := c.g
		n := g.MaxID()
		if step := n / sampleSize; step > 1 && !exact {
			hit, seen := 0, 0
			for id := uint32(0); id < n; id += step {
				if g.Live(id) {
					seen++
					if pass == nil || pass(id) {
						hit++
					}
				}
			}
			if seen > 0 && float64(hit)/float64(seen)*float64(c.count()) > 3*float64(limit) {
				return func(id uint32) bool { return (pass == nil || pass(id)) && (vis == nil || vis(id)) }, false
			}
		}
		set = &filterSet{key: key, gen: c.gen, bits: make([]uint64, (n+63)/64)}
		for id := uint32(0); id < n; id++ {
			if g.Live(id) && (pass == nil || pass(id)) {
				set.bits[id>>6] |= 1 << (id & 63)
				set.count++
			}
		}
		c.sets.put(set)
	}
	filter = set.has
	if vis != nil {
		filter = func(id uint32) bool { return set.has(id) && vis(id) }
	}
	return filter, exact || set.count <= limit
}
