package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// checkEdge verifies, before a cursor's First or Last descends into
// bucket b (named what in collection col), the pages on that path, since
// bbolt follows page ids and page flags without checking them: a damaged
// bucket header, branch element or inline page would send Cursor.Last
// round a cycle of pages (its stack growing until memory runs out) or
// into bytes past the file, instead of giving an error.
//
// An inline bucket (root 0) must hold a leaf page: bbolt answers page id 0
// of an inline bucket with that same page, so an inline page whose flags
// say branch loops forever. Otherwise each page on the path must lie
// inside the file, name itself, be a branch or leaf page with room for
// its elements, and the path be no deeper than maxWalkDepth. Cost:
// O(depth) pages read from the file (ReadAt, as pagewalk.go reads them,
// through the DB's RowFile handle).
func (c *Collection) checkEdge(b *bolt.Bucket, what string, last bool) error {
	if b == nil {
		return nil
	}
	id := uint64(b.Root())
	if id == 0 {
		// Stats of an inline bucket looks at its one page and nothing
		// below it (bbolt's forEachPage); InlineBucketInuse is set only
		// for a leaf page.
		st := b.Stats()
		if st.BranchPageN != 0 || st.InlineBucketInuse == 0 {
			return corrupt(c.name, what, "inline bucket page is not a leaf page")
		}
		return nil
	}
	rf, err := c.tx.db.RowFile() // view_rows.go: the DB's second handle, opened once
	if err != nil {
		return fmt.Errorf("store: collection %q: %w", c.name, err)
	}
	var why string
	ps := c.tx.db.bolt.Info().PageSize
	w := &pageWalker{f: rf.f, pageSize: ps, hwm: uint64(c.tx.btx.Size()) / uint64(ps), report: func(format string, args ...any) {
		if why == "" {
			why = fmt.Sprintf(format, args...)
		}
	}}
	le := binary.LittleEndian
	for depth := 0; ; depth++ {
		if depth > maxWalkDepth {
			return corrupt(c.name, what, "tree deeper than %d pages", maxWalkDepth)
		}
		p, ok := w.page(id, what) // pagewalk.go: inside the file, names itself, overflow inside
		if w.readErr != nil {
			// Not damage: the file could not be read (or the DB is
			// closing).
			return fmt.Errorf("store: collection %q: reading bucket %s: %w", c.name, what, w.readErr)
		}
		if !ok {
			return corrupt(c.name, what, "%s", why)
		}
		flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
		if pageHeaderSize+count*pageElementSize > len(p) {
			return corrupt(c.name, what, "page %d: %d elements do not fit in the page", id, count)
		}
		switch flags {
		case leafPageFlag:
			return nil
		case branchPageFlag:
		default:
			return corrupt(c.name, what, "page %d: flags %#x, want a branch or leaf page", id, flags)
		}
		if count == 0 {
			return corrupt(c.name, what, "branch page %d has no elements", id)
		}
		i := 0
		if last {
			i = count - 1
		}
		id = le.Uint64(p[pageHeaderSize+i*pageElementSize+8:])
	}
}

// checkEdges runs checkEdge on the paths MaxNodeID's cursors take: the
// last pages of graph/ and gblocks/, the first of the node log.
func (c *Collection) checkEdges() error {
	if err := c.checkEdge(c.graph, "graph", true); err != nil {
		return err
	}
	if err := c.checkEdge(c.gblocks, "gblocks", true); err != nil {
		return err
	}
	return c.checkEdge(c.nlog, "nodelog", false)
}
