package query

import (
	"context"
	"fmt"

	"github.com/vecbolt/vecbolt/query/text"
	"github.com/vecbolt/vecbolt/store"
)

// Record text
//
// A record may carry a text (Record.Text). It is stored in the store's
// texts bucket in the same transaction as the record, with the record's
// BM25 terms: the words of text.Tokenize, lower-cased, each with its
// frequency, and the text's length in words. Postings (one key per term
// and record) and the corpus statistics BM25 needs are kept in the same
// transaction, so a write costs O(distinct words of its text · log n)
// besides the record, and deletes and updates keep them exact. Words
// longer than store.MaxTermLen bytes count towards the length but are not
// indexed.

// analyze returns the BM25 terms of s and its length in words.
// Errors: the *text.UTF8Error or *text.TooLargeError of text.Tokenize,
// wrapped with ErrInvalidText. Cost: O(len(s)).
func analyze(s string) ([]store.TermFreq, int, error) {
	toks, err := text.Tokenize(s)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrInvalidText, err)
	}
	terms := text.Terms(toks)
	kept := terms[:0]
	for _, t := range terms {
		if len(t) <= store.MaxTermLen {
			kept = append(kept, t)
		}
	}
	tf, _ := text.Count(kept)
	out := make([]store.TermFreq, len(tf))
	for i, x := range tf {
		out[i] = store.TermFreq{Term: x.Term, Freq: x.Freq}
	}
	return out, len(terms), nil
}

// recordTexts returns the store texts of recs: nil where Text is "" (keep
// what is stored), else the text with its terms. Errors: a *TextError.
func recordTexts(recs []Record) ([]*store.Text, error) {
	var out []*store.Text
	for i := range recs {
		if recs[i].Text == "" {
			continue
		}
		if out == nil {
			out = make([]*store.Text, len(recs))
		}
		terms, n, err := analyze(recs[i].Text)
		if err != nil {
			return nil, &TextError{Index: i, Key: recs[i].Key, Err: err}
		}
		out[i] = &store.Text{Text: recs[i].Text, Terms: terms, Len: n}
	}
	return out, nil
}

// writeTexts writes r's texts (and r.extra) in the group's transaction,
// skipping texts equal to what is stored, and reports whether it wrote
// anything. r.ids is set. The caller holds wmu.
func (c *Collection) writeTexts(sc *store.Collection, r *writeReq) (bool, error) {
	wrote := false
	var ids []uint32
	var texts []*store.Text
	if r.extra != nil {
		if err := r.extra(sc); err != nil {
			return false, err
		}
		wrote = true
	}
	for i := range r.recs {
		var t *store.Text
		if r.texts != nil {
			t = r.texts[i]
		}
		if t == nil {
			if r.isNew[i] {
				// A new key in a reused id slot: no text of another
				// record may stay behind (O(log n) when there is none).
				if err := sc.DeleteText(r.ids[i]); err != nil {
					return false, err
				}
			}
			continue
		}
		old, ok, err := sc.TextRef(r.ids[i])
		if err != nil {
			return false, fmt.Errorf("query: record %q: %w", r.recs[i].Key, err)
		}
		if ok && old.Doc == t.Doc && old.Start == t.Start && old.End == t.End && (t.Doc != "" || old.Text == t.Text) {
			continue
		}
		ids = append(ids, r.ids[i])
		texts = append(texts, t)
	}
	if len(ids) == 0 {
		return wrote, nil
	}
	// One sorted pass per bucket: postings put one text at a time land at
	// random places of one growing node and cost O(texts²) (store.PutTexts).
	if err := sc.PutTexts(ids, texts); err != nil {
		return false, fmt.Errorf("query: record texts: %w", err)
	}
	return true, nil
}

// checkTexts recomputes the BM25 terms of every stored text and compares
// them with what the store holds (the store's own check compares the
// postings with those terms). The caller holds a read transaction on sc.
func checkTexts(ctx context.Context, sc *store.Collection) []error {
	var errs []error
	var lastDoc, lastText string
	n := 0
	err := sc.ForEachID(func(id uint32, key string, _ uint64, _ []float32) error {
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if len(errs) > maxCheckProblems {
			return nil
		}
		ti, ok, err := sc.TextRef(id)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if !ok {
			return nil
		}
		if ti.Doc != "" {
			// Chunks of one document have neighbouring ids: read each
			// document once per run of its chunks.
			if ti.Doc != lastDoc {
				if lastText, _, _, err = sc.Document(ti.Doc); err != nil {
					errs = append(errs, err)
					return nil
				}
				lastDoc = ti.Doc
			}
			if ti.End > len(lastText) {
				errs = append(errs, fmt.Errorf("record %q: chunk %d..%d beyond document %q of %d bytes", key, ti.Start, ti.End, ti.Doc, len(lastText)))
				return nil
			}
			ti.Text = lastText[ti.Start:ti.End]
		}
		terms, length, err := analyze(ti.Text)
		if err != nil {
			errs = append(errs, fmt.Errorf("record %q: stored text: %w", key, err))
			return nil
		}
		if length != ti.Len || !sameTerms(terms, ti.Terms) {
			errs = append(errs, fmt.Errorf("record %q: stored BM25 terms (%d, length %d) are not those of its text (%d, length %d)", key, len(ti.Terms), ti.Len, len(terms), length))
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

func sameTerms(a, b []store.TermFreq) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
