package query

import (
	"context"
	"fmt"

	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/store"
)

// ReembedOptions tunes Reembed. The zero value re-embeds with the
// collection's own embedder and refits SIF's component on up to
// DefaultFitSample texts.
type ReembedOptions struct {
	// Embedder, when set, embeds instead of the collection's resolved
	// embedder; its spec and dimension must be the collection's. A words
	// embedder with pc=1 is refitted only when it has no component yet
	// (one given with a component keeps it).
	Embedder embed.Embedder
	// FitSample and Seed choose the texts the component is fitted on, as
	// in DocumentOptions.
	FitSample int
	Seed      uint64
	// PerCommit is the number of records written to the staged copy per
	// transaction; 0 means 5000.
	PerCommit int
	// Batch is passed to the graph updates.
	Batch BatchOptions
}

// ReembedReport says what Reembed did.
type ReembedReport struct {
	// Collection is the re-embedded collection. The *Collection Reembed was
	// called on is closed once the new one is swapped in.
	Collection *Collection
	Records    int  // records re-embedded (those with a text)
	Fitted     bool // SIF's component was refitted
	Words, OOV int  // words embedded and out of vocabulary (words embedder)
}

// Reembed embeds every record's text again and rewrites its vector, all
// or nothing: the collection is copied into a staged collection
// (DB.Stage with Copy), the new vectors go to the copy, and the copy is
// swapped in with one commit. For a words embedder with pc=1 the
// principal component is fitted again on the texts (FitSample of them at
// most) and stored with the copy. Records without text keep their
// vectors. Writers of the collection wait until Reembed ends; readers
// see the old vectors until the swap. On error the collection is as it
// was.
//
// Errors: ErrNoEmbedder; the embedder's errors, naming the record
// (*TextError); the store's. Cost: O(size of the collection) to copy,
// plus embedding every text, plus O(n·M·efConstruction) graph updates;
// it needs as much free disk space as the collection takes.
func (c *Collection) Reembed(ctx context.Context, opts ReembedOptions) (ReembedReport, error) {
	var rep ReembedReport
	if err := c.writable(); err != nil {
		return rep, err
	}
	var e embed.Embedder
	var err error
	if opts.Embedder != nil {
		if e, err = c.embedderFor(ctx, opts.Embedder); err != nil {
			return rep, err
		}
	} else if e, err = c.resolveEmbedder(ctx, false); err != nil {
		return rep, err
	}
	s, err := c.db.Stage(ctx, c.name, c.cfg, StageOptions{Copy: true})
	if err != nil {
		return rep, err
	}
	committed := false
	defer func() {
		if !committed {
			_ = s.Abort()
		}
	}()
	sc := s.Collection()
	var keys, texts []string
	if err := sc.ForEach(ctx, func(r Record) error {
		if r.Text != "" {
			keys = append(keys, r.Key)
			texts = append(texts, r.Text)
		}
		return nil
	}); err != nil {
		return rep, err
	}
	from := make([]int, len(texts))
	plans := make([]docPlan, len(texts))
	for i := range texts {
		from[i] = i
		plans[i] = docPlan{doc: &Document{Key: keys[i]}, index: i}
	}
	var component []byte
	if w, need := needsComponent(e); need && len(texts) > 0 {
		comp, err := c.fitComponent(ctx, w, texts, DocumentOptions{FitSample: opts.FitSample, Seed: opts.Seed}, from, plans)
		if err != nil {
			return rep, err
		}
		if e, err = w.WithComponent(comp); err != nil {
			return rep, err
		}
		if component, err = comp.MarshalBinary(); err != nil {
			return rep, err
		}
		rep.Fitted = true
	}
	vecs, report, err := c.embedTexts(ctx, e, texts)
	if err != nil {
		return rep, embedError(err, from, plans)
	}
	for _, r := range report {
		rep.Words += r.Words
		rep.OOV += len(r.OOV)
	}
	per := opts.PerCommit
	if per <= 0 {
		per = 5000
	}
	scfg := c.cfg.storeConfig()
	for lo := 0; lo < len(keys) || lo == 0; lo += per {
		hi := min(lo+per, len(keys))
		recs := make([]Record, hi-lo)
		for i := range recs {
			recs[i] = Record{Key: keys[lo+i], Vector: vecs[lo+i]}
			if err := store.Validate(scfg, recs[i].Key, recs[i].Vector, nil); err != nil {
				return rep, fmt.Errorf("query: reembed %q: %w", recs[i].Key, err)
			}
		}
		req := &writeReq{ctx: ctx, kind: opUpsert, opts: opts.Batch, recs: recs}
		req.units = make([][]float32, len(recs))
		for i := range recs {
			req.units[i] = sc.indexVector(recs[i].Vector)
		}
		if lo == 0 && component != nil {
			req.extra = func(st *store.Collection) error { return st.SetTextComponent(component) }
		}
		if err := sc.submit(req); err != nil {
			return rep, err
		}
		if hi >= len(keys) {
			break
		}
	}
	if err := s.Commit(ctx); err != nil {
		committed = true // Commit drops the stage itself on failure
		return rep, err
	}
	committed = true
	nc, err := c.db.Collection(ctx, c.name)
	if err != nil {
		return rep, err
	}
	c.db.embedders.set(c, nil)
	if opts.Embedder != nil {
		c.db.embedders.set(nc, e)
	}
	rep.Collection, rep.Records = nc, len(keys)
	return rep, nil
}
