package index

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/vecbolt/vecbolt/index/quant"
)

// ViolationKind names a broken graph invariant.
type ViolationKind string

// The invariants Check verifies.
const (
	SelfLoop       ViolationKind = "self-loop"
	DuplicateLink  ViolationKind = "duplicate link"
	DegreeLimit    ViolationKind = "too many links"
	DeadLink       ViolationKind = "link to a node that is not live"
	LevelMismatch  ViolationKind = "link to a node below the link's level"
	BadEntry       ViolationKind = "entry point not live or not on the top level"
	Unreachable    ViolationKind = "not reachable from the entry point"
	BadFreeSlot    ViolationKind = "free slot inconsistent with the free list"
	StaleTombstone ViolationKind = "tombstone outside Delete"
	BadCount       ViolationKind = "live count differs from the live nodes"
	BadInLinks     ViolationKind = "in-link index disagrees with the lists"
	BadCode        ViolationKind = "code the encoder cannot have written"
)

// Violation is one broken invariant at one node.
type Violation struct {
	Kind   ViolationKind
	ID     uint32 // the node at fault
	Level  int    // the level of the offending list, or -1
	Detail string
}

func (v Violation) String() string {
	s := fmt.Sprintf("node %d", v.ID)
	if v.Level >= 0 {
		s += fmt.Sprintf(" level %d", v.Level)
	}
	s += ": " + string(v.Kind)
	if v.Detail != "" {
		s += " (" + v.Detail + ")"
	}
	return s
}

// maxViolations bounds the violations a CheckError keeps.
const maxViolations = 10

// CheckError lists the first violations Check found (at most 10) and how
// many there were in all. It wraps ErrInvalidGraph.
type CheckError struct {
	Violations []Violation
	Total      int
}

func (e *CheckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "index: graph invariant violated: %d problem(s): ", e.Total)
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	if e.Total > len(e.Violations) {
		b.WriteString("; ...")
	}
	return b.String()
}

// Unwrap returns ErrInvalidGraph.
func (e *CheckError) Unwrap() error { return ErrInvalidGraph }

type checker struct {
	err CheckError
}

func (c *checker) add(kind ViolationKind, id uint32, level int, format string, args ...any) {
	c.err.Total++
	if len(c.err.Violations) < maxViolations {
		c.err.Violations = append(c.err.Violations, Violation{kind, id, level, fmt.Sprintf(format, args...)})
	}
}

// Check verifies the graph's invariants and returns nil or a *CheckError:
// no self-loops, no duplicate links, at most M links per list on levels
// above 0 and 2*M on level 0, links only to live nodes whose level is at
// least the link's level, the entry point live and on the top level (the
// highest level of any live node), free slots exactly those on the free
// list, no tombstones, the in-link index and per-level counts that local
// repair keeps agreeing with the lists, no insert left uncertified, and
// every live node reachable from the entry point on level 0. On an encoded
// graph every live node's code must also be one the encoder can have
// written (quant.Int8.CheckCode: no -128, a correction term matching its
// code; quant.CheckFP16: no Inf or NaN). Check is exclusive (it waits for
// searches and inserts) and costs a pass over every link and, encoded,
// over every code (O(n·(M+dim))).
func (g *Graph) Check() error {
	g.ensureInLinks()
	g.mu.Lock()
	defer g.mu.Unlock()
	var c checker
	n := g.next.Load()
	onFree := make([]bool, n)
	for _, id := range g.free {
		if id >= n || onFree[id] || g.liveLocked(id) {
			c.add(BadFreeSlot, id, -1, "on the free list twice, live, or beyond MaxID %d", n)
			continue
		}
		onFree[id] = true
	}
	live, top := 0, -1
	for id := uint32(0); id < n; id++ {
		switch atomic.LoadUint32(&g.state[id]) {
		case stateFree:
			if !onFree[id] {
				c.add(BadFreeSlot, id, -1, "free but not on the free list")
			}
			continue
		case stateDeleted:
			c.add(StaleTombstone, id, -1, "")
			continue
		}
		live++
		if err := g.checkCode(id); err != nil {
			c.add(BadCode, id, -1, "%v", err)
		}
		level := int(g.levels[id])
		top = max(top, level)
		if err := g.checkUpper(id, level); err != "" {
			c.add(LevelMismatch, id, level, "%s", err)
			continue
		}
		for l := 0; l <= level; l++ {
			blk := g.block(id, l)
			cnt := int(blk[0])
			if cnt > g.maxLinks(l) {
				c.add(DegreeLimit, id, l, "%d links, limit %d", cnt, g.maxLinks(l))
				continue
			}
			for i := 1; i <= cnt; i++ {
				x := blk[i]
				switch {
				case x == id:
					c.add(SelfLoop, id, l, "")
				case x >= n || !g.liveLocked(x):
					c.add(DeadLink, id, l, "links to %d", x)
				case int(g.levels[x]) < l:
					c.add(LevelMismatch, id, l, "links to %d of level %d", x, g.levels[x])
				}
				for j := 1; j < i; j++ {
					if blk[j] == x {
						c.add(DuplicateLink, id, l, "%d twice", x)
						break
					}
				}
			}
		}
	}
	if c.err.Total == 0 {
		g.checkInLinks(&c)
	}
	if int64(live) != g.live.Load() {
		c.add(BadCount, NoID, -1, "Len %d, %d live nodes", g.live.Load(), live)
	}
	e := g.entry.Load()
	switch {
	case e == noEntry && live > 0:
		c.add(BadEntry, NoID, -1, "no entry point with %d live nodes", live)
	case e != noEntry:
		ep, el := unpackEntry(e)
		if ep >= n || !g.liveLocked(ep) || int(g.levels[ep]) != el || el != top {
			c.add(BadEntry, ep, el, "top level of live nodes is %d", top)
		} else if c.err.Total == 0 {
			s := g.getSearcher()
			for _, id := range g.unreachableLocked(s) {
				c.add(Unreachable, id, 0, "")
			}
			g.putSearcher(s)
		}
	}
	if c.err.Total > 0 {
		return &c.err
	}
	return nil
}

// checkInLinks compares the in-link index, the per-level counts and the
// pending set with the lists. Caller holds mu for writing; the lists passed
// the other checks.
func (g *Graph) checkInLinks(c *checker) {
	n := g.next.Load()
	var counts [MaxLevel + 1]int64
	for id := uint32(0); id < n; id++ {
		if g.isPending(id) {
			c.add(BadInLinks, id, -1, "insert still pending outside a write")
		}
		if !g.liveLocked(id) {
			if len(*g.rep.in0At(id)) != 0 || len(*g.rep.inUAt(id)) != 0 {
				c.add(BadInLinks, id, -1, "slot not live but has %d in-links", len(*g.rep.in0At(id))+len(*g.rep.inUAt(id)))
			}
			continue
		}
		counts[g.levels[id]]++
		// Every in-link recorded must be a link, once.
		for _, src := range *g.rep.in0At(id) {
			if !g.liveLocked(src) || !slices.Contains(g.links(nil, src, 0), id) {
				c.add(BadInLinks, id, 0, "recorded in-link from %d is not a link", src)
			}
		}
		for _, e := range *g.rep.inUAt(id) {
			src, l := uint32(e), int(e>>32)
			if !g.liveLocked(src) || int(g.levels[src]) < l || !slices.Contains(g.links(nil, src, l), id) {
				c.add(BadInLinks, id, l, "recorded in-link from %d is not a link", src)
			}
		}
	}
	for l := range counts {
		if got := g.rep.levelCount[l].Load(); got != counts[l] {
			c.add(BadInLinks, NoID, l, "level count %d, %d live nodes on it", got, counts[l])
		}
	}
	// Every link must be recorded: the totals agree, and each recorded
	// in-link is a distinct link (lists hold no duplicates).
	var links, recorded int
	for id := uint32(0); id < n; id++ {
		if !g.liveLocked(id) {
			continue
		}
		for l := 0; l <= int(g.levels[id]); l++ {
			links += g.degree(id, l)
		}
		recorded += len(*g.rep.in0At(id)) + len(*g.rep.inUAt(id))
	}
	if links != recorded {
		c.add(BadInLinks, NoID, -1, "%d links, %d recorded in-links", links, recorded)
	}
}

// checkCode validates node id's code row on an encoded graph. Caller holds
// mu.
func (g *Graph) checkCode(id uint32) error {
	switch g.enc {
	case quant.INT8:
		c, corr := g.int8Row(id)
		return g.i8.CheckCode(c, corr)
	case quant.FP16:
		return quant.CheckFP16(halfCode(g.code(id), g.dim))
	}
	return nil
}
