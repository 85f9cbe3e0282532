package query

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/store"
)

// maxCheckProblems caps the problems Collection.Check lists.
const maxCheckProblems = 20

// Check verifies the collection: the graph's invariants (see index.Graph.Check)
// and that the graph, the in-memory key maps and the stored records agree:
// every record is a live node with the same key, and nothing else is; the
// graph's copy of every vector agrees with the record's (bit for bit: the
// unit vector computed from the record under cosine, an exact copy under
// dot and l2); and under cosine the record's stored norm is the length of
// its vector. The last two catch a record whose bytes changed after it was
// written, naming its key. It reads under a read transaction and holds the
// writer lock, so writes wait for it and searches do not. Cost: O(n·dim)
// plus the graph check.
func (c *Collection) Check(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if err := c.ensureCatalog(ctx); err != nil {
		return err
	}
	c.wmu.Lock() // keep writers out so memory and file agree
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var errs []error
	if err := c.g.Check(); err != nil {
		errs = append(errs, fmt.Errorf("graph: %w", err))
	}
	if c.g.Len() != len(c.ids) {
		errs = append(errs, fmt.Errorf("graph has %d live nodes, collection has %d keys", c.g.Len(), len(c.ids)))
	}
	for key, id := range c.ids {
		if !c.g.Live(id) {
			errs = append(errs, fmt.Errorf("key %q maps to node %d, which is not live", key, id))
		}
		if len(errs) > maxCheckProblems {
			break
		}
	}
	errTooMany := errors.New("too many problems")
	unit := make([]float32, c.cfg.Dim)
	n := 0
	err := c.db.st.View(func(tx *store.Tx) error {
		sc, err := tx.Collection(c.name)
		if err != nil {
			return err
		}
		if sc.Len() != len(c.ids) {
			errs = append(errs, fmt.Errorf("store holds %d records, memory %d", sc.Len(), len(c.ids)))
		}
		errs = append(errs, checkTexts(ctx, sc)...) // doc_text.go
		return sc.ForEach(func(r *store.Record) error {
			if n++; n&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(errs) > maxCheckProblems {
				return errTooMany
			}
			if got, ok := c.ids[r.Key]; !ok || got != r.ID {
				errs = append(errs, fmt.Errorf("stored record %d (%q) is not the in-memory node for that key", r.ID, r.Key))
				return nil
			}
			if err := c.checkRecordVector(r, unit); err != nil {
				errs = append(errs, err)
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errTooMany) {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("query: collection %q fails its check: %w", c.name, errors.Join(errs...))
	}
	return nil
}

// checkRecordVector compares record r with the graph's copy of its vector,
// and under cosine with its stored norm. unit is scratch of length Dim.
// The caller holds c.mu.
func (c *Collection) checkRecordVector(r *store.Record, unit []float32) error {
	changed := func(format string, args ...any) error {
		return fmt.Errorf("record %q (id %d): %s: the record's bytes changed after it was written (restore it from a backup or write it again)", r.Key, r.ID, fmt.Sprintf(format, args...))
	}
	if c.metric == index.Cosine {
		var sum float64
		for _, x := range r.Vector {
			sum += float64(x) * float64(x)
		}
		// Put stores float32(sqrt(sum)) computed exactly this way; allow
		// two float32 steps for a differently rounded sum.
		l := math.Sqrt(sum)
		if d := math.Abs(l - float64(r.Norm)); !(d <= 0x1p-22*l) {
			return changed("its vector has length %.8g but the stored norm is %.8g", l, r.Norm)
		}
	}
	if c.qx != nil { // an encoded graph holds codes (quant_check.go)
		return c.checkRecordCode(r)
	}
	gv := c.g.Vector(r.ID)
	if len(gv) != len(r.Vector) {
		return fmt.Errorf("record %q (id %d): the graph holds no vector for it", r.Key, r.ID)
	}
	copy(unit, r.Vector)
	if c.metric == index.Cosine {
		normalize(unit)
	}
	for i := range unit {
		if math.Float32bits(unit[i]) == math.Float32bits(gv[i]) {
			continue
		}
		if c.metric == index.Cosine {
			return changed("component %d is %v, whose unit vector has %v where the graph holds %v", i, r.Vector[i], unit[i], gv[i])
		}
		return changed("component %d is %v where the graph holds %v", i, r.Vector[i], gv[i])
	}
	return nil
}

// Check verifies the whole database: the store's own consistency check, then
// every collection's Check. The report names each problem found.
func (db *DB) Check(ctx context.Context) error {
	if err := db.st.Check(ctx); err != nil {
		return err
	}
	names, err := db.Collections()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		c, err := db.Collection(ctx, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := c.Check(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
