package store

import (
	"context"
	"encoding/binary"
)

// checkText verifies the text buckets of c against each other and against
// the records (seqOf holds every record id): every text entry decodes and
// belongs to a record; every chunk points inside a stored document, and
// every document's chunk count is the number of chunks pointing at it;
// the postings, document frequencies and corpus statistics are exactly
// those the stored term lists give (the term lists themselves are checked
// against the texts by query, which owns the tokenizer). It returns only
// ctx's error. Cost: O(total postings · log n), memory O(distinct terms +
// documents).
func (c *Collection) checkText(ctx context.Context, report *CheckError, prefix string, seqOf map[uint32]uint64) error {
	texts := c.b.Bucket(textsBucket)
	postings := c.b.Bucket(postingsBucket)
	dfs := c.b.Bucket(termsBucket)
	docs := c.b.Bucket(docsBucket)
	df := make(map[string]uint32)
	chunksOf := make(map[string]uint32)
	maxEnd := make(map[string]uint32)
	var want TextStats
	var wantPostings uint64
	n := 0
	if texts != nil {
		cur := texts.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if n++; n&4095 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(k) != 4 || v == nil {
				report.add("%s: texts: bad entry (key %d bytes, nested bucket %t)", prefix, len(k), v == nil)
				continue
			}
			id := binary.BigEndian.Uint32(k)
			e, err := c.decodeText(id, k, v)
			if err != nil {
				report.add("%s: %v", prefix, err)
				continue
			}
			if _, ok := seqOf[id]; !ok {
				report.add("%s: texts: id %d has a text but no record", prefix, id)
			}
			if e.length > 0 {
				want.Docs++
				want.Tokens += uint64(e.length)
			}
			for _, tf := range e.terms {
				df[tf.Term]++
				wantPostings++
				if postings == nil {
					continue
				}
				pk := postingKey(tf.Term, id)
				p, ok := unseal(pk, postings.Get(pk))
				if !ok || len(p) != 8 {
					report.add("%s: postings: id %d has term %q but no valid posting for it", prefix, id, tf.Term)
					continue
				}
				if f, l := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:]); int(f) != tf.Freq || l != e.length {
					report.add("%s: postings: id %d term %q: posting says frequency %d length %d, the text %d and %d", prefix, id, tf.Term, f, l, tf.Freq, e.length)
				}
			}
			if e.kind == textChunk {
				chunksOf[string(e.doc)]++
				maxEnd[string(e.doc)] = max(maxEnd[string(e.doc)], e.end)
			}
		}
	}
	if postings == nil && wantPostings > 0 {
		report.add("%s: postings: bucket missing, the texts have %d postings", prefix, wantPostings)
	}
	if postings != nil {
		var got uint64
		cur := postings.Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			got++
			if len(k) < 7 || int(binary.BigEndian.Uint16(k))+6 != len(k) {
				report.add("%s: postings: malformed key %x", prefix, k)
			}
		}
		if got != wantPostings {
			report.add("%s: postings: bucket holds %d postings, the texts' terms give %d", prefix, got, wantPostings)
		}
	}
	if dfs != nil {
		cur := dfs.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			p, ok := unseal(k, v)
			if !ok || len(p) != 4 {
				report.add("%s: terms: document frequency of %q fails its checksum", prefix, k)
				continue
			}
			if got, w := binary.BigEndian.Uint32(p), df[string(k)]; got != w {
				report.add("%s: terms: %q has document frequency %d, the texts give %d", prefix, k, got, w)
			}
			delete(df, string(k))
		}
	}
	for t, w := range df {
		report.add("%s: terms: %q has no document frequency, the texts give %d", prefix, t, w)
	}
	if got, err := c.TextStats(); err != nil {
		report.add("%v", err)
	} else if got != want {
		report.add("%s: text statistics say %d documents of %d tokens, the texts give %d of %d", prefix, got.Docs, got.Tokens, want.Docs, want.Tokens)
	}
	// Each document once: its text's checksum, the longest chunk span
	// inside it, and its chunk count.
	counts := c.b.Bucket(docChunksBucket)
	if docs != nil {
		cur := docs.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			key := quoteKey(string(k))
			p, ok := unseal(k, v)
			if !ok {
				report.add("%s: docs: document %s fails its checksum", prefix, key)
			} else if e := maxEnd[string(k)]; int(e) > len(p) {
				report.add("%s: docs: document %s has %d bytes, a chunk ends at %d", prefix, key, len(p), e)
			}
			n, err := c.chunkCount(counts, k)
			if err != nil {
				report.add("%s: %v", prefix, err)
			} else if w := chunksOf[string(k)]; n != w {
				report.add("%s: docs: document %s counts %d chunks, %d point at it", prefix, key, n, w)
			}
			delete(chunksOf, string(k))
		}
	}
	for d, n := range chunksOf {
		report.add("%s: texts: %d chunks point at document %s, which is not stored", prefix, n, quoteKey(d))
	}
	if counts != nil && docs != nil {
		cur := counts.Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			if docs.Get(k) == nil {
				report.add("%s: docchunks: document %s has a chunk count but no text", prefix, quoteKey(string(k)))
			}
		}
	} else if counts != nil && counts.Stats().KeyN > 0 {
		report.add("%s: docchunks: chunk counts without a docs bucket", prefix)
	}
	if c := c.b.Get(textComponentKey); c != nil {
		if _, ok := unseal(textComponentKey, c); !ok {
			report.add("%s: text component fails its checksum", prefix)
		}
	}
	return nil
}
