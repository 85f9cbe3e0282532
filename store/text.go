package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Text storage: a record's text, the documents that chunked records point
// into, and the BM25 postings over the texts. See doc.go ("Text") for the
// layout. The buckets are created by the first text write, so collections
// written before them (and collections without text) have none.

// Names of the text buckets and keys inside a collection's bucket.
var (
	textsBucket      = []byte("texts")     // id -> sealed text entry
	docsBucket       = []byte("docs")      // document key -> text
	docChunksBucket  = []byte("docchunks") // document key -> chunks uint32 BE
	postingsBucket   = []byte("postings")  // termlen uint16 BE | term | id uint32 BE -> freq uint32 BE | len uint32 BE
	termsBucket      = []byte("terms")     // term -> document frequency uint32 BE
	textStatsKey     = []byte("textstats")
	textComponentKey = []byte("textcomponent")
)

// Limits of text storage.
const (
	// MaxTextLen is the longest text (a record's or a document's), in
	// bytes.
	MaxTextLen = 16 << 20
	// MaxTermLen is the longest BM25 term, in bytes.
	MaxTermLen = 1024
)

// Text entry kinds (the first byte of a texts value).
const (
	textInline byte = 't' // the text follows the terms
	textChunk  byte = 'c' // start, end and the document key follow the terms
)

// TermFreq is one distinct term of a text and the number of times it
// occurs.
type TermFreq struct {
	Term string
	Freq int
}

// Text is the text of one record, as PutText stores it.
type Text struct {
	// Text is the record's text. For a chunk (Doc set) it is ignored: the
	// chunk is DocText[Start:End] and is not stored twice.
	Text string
	// Doc, when not empty, makes the record a chunk of the document stored
	// under that key (in the collection's documents, not its records).
	Doc string
	// DocText is the document's whole text; it is stored by the first
	// chunk written for Doc and must be the same for every chunk (only its
	// length is compared, so that a document of c chunks costs O(size),
	// not O(c·size)).
	DocText    string
	Start, End int // the chunk's byte span in DocText
	// Terms are the text's distinct BM25 terms with their frequencies, in
	// any order; Len is the text's length in tokens (at least the sum of
	// the frequencies). A text with Len 0 is stored but not counted in the
	// BM25 statistics.
	Terms []TermFreq
	Len   int
}

// TextStats are the BM25 corpus statistics of a collection: the number of
// records whose text has at least one token, and the sum of their lengths.
type TextStats struct {
	Docs, Tokens uint64
}

// textEntry is a decoded texts value; strings alias the value.
type textEntry struct {
	kind       byte
	length     uint32
	terms      []TermFreq
	text       []byte // inline text
	doc        []byte // chunk: the document key
	start, end uint32
}

func encodeTextEntry(kind byte, t *Text, terms []TermFreq) []byte {
	n := 1 + 8 + len(t.Text) + len(t.Doc) + 8
	for _, tf := range terms {
		n += 6 + len(tf.Term)
	}
	b := make([]byte, 0, n+crcLen)
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, uint32(t.Len))
	b = binary.BigEndian.AppendUint32(b, uint32(len(terms)))
	for _, tf := range terms {
		b = binary.BigEndian.AppendUint16(b, uint16(len(tf.Term)))
		b = append(b, tf.Term...)
		b = binary.BigEndian.AppendUint32(b, uint32(tf.Freq))
	}
	if kind == textChunk {
		b = binary.BigEndian.AppendUint32(b, uint32(t.Start))
		b = binary.BigEndian.AppendUint32(b, uint32(t.End))
		return append(b, t.Doc...)
	}
	return append(b, t.Text...)
}

func decodeTextEntry(p []byte) (textEntry, error) {
	if len(p) < 9 {
		return textEntry{}, fmt.Errorf("text entry has %d bytes, header needs 9", len(p))
	}
	e := textEntry{kind: p[0], length: binary.BigEndian.Uint32(p[1:])}
	n := binary.BigEndian.Uint32(p[5:])
	p = p[9:]
	if e.kind != textInline && e.kind != textChunk {
		return textEntry{}, fmt.Errorf("text entry of unknown kind %q", e.kind)
	}
	if uint64(n)*6 > uint64(len(p)) {
		return textEntry{}, fmt.Errorf("text entry claims %d terms in %d bytes", n, len(p))
	}
	e.terms = make([]TermFreq, n)
	var sum uint64
	for i := range e.terms {
		if len(p) < 2 {
			return textEntry{}, fmt.Errorf("text entry truncated in term %d", i)
		}
		l := int(binary.BigEndian.Uint16(p))
		if len(p) < 2+l+4 || l == 0 {
			return textEntry{}, fmt.Errorf("text entry truncated or empty in term %d", i)
		}
		e.terms[i] = TermFreq{Term: string(p[2 : 2+l]), Freq: int(binary.BigEndian.Uint32(p[2+l:]))}
		if e.terms[i].Freq <= 0 || (i > 0 && e.terms[i-1].Term >= e.terms[i].Term) {
			return textEntry{}, fmt.Errorf("text entry term %d (%q) has frequency %d or is out of order", i, e.terms[i].Term, e.terms[i].Freq)
		}
		sum += uint64(e.terms[i].Freq)
		p = p[2+l+4:]
	}
	if sum > uint64(e.length) {
		return textEntry{}, fmt.Errorf("text entry's term frequencies sum to %d, its length is %d", sum, e.length)
	}
	if e.kind == textChunk {
		if len(p) < 9 {
			return textEntry{}, fmt.Errorf("chunk entry has no document key")
		}
		e.start, e.end, e.doc = binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:]), p[8:]
		if e.start > e.end {
			return textEntry{}, fmt.Errorf("chunk span %d..%d is reversed", e.start, e.end)
		}
		return e, nil
	}
	e.text = p
	return e, nil
}

// textBucket returns the named text bucket, creating it when create is set
// (in a write transaction); otherwise it may return nil.
func (c *Collection) textBucket(name []byte, create bool) (*bolt.Bucket, error) {
	if b := c.b.Bucket(name); b != nil || !create {
		return b, nil
	}
	b, err := c.b.CreateBucket(name)
	if err != nil {
		return nil, fmt.Errorf("store: collection %q: create %s bucket: %w", c.name, name, err)
	}
	return b, nil
}

// normTerms validates terms and returns them sorted by term.
func normTerms(t *Text) ([]TermFreq, error) {
	terms := slices.Clone(t.Terms)
	slices.SortFunc(terms, func(a, b TermFreq) int { return strings.Compare(a.Term, b.Term) })
	sum := 0
	for i, tf := range terms {
		switch {
		case tf.Term == "" || len(tf.Term) > MaxTermLen:
			return nil, fmt.Errorf("%w: term of %d bytes (1..%d allowed)", ErrInvalidText, len(tf.Term), MaxTermLen)
		case tf.Freq <= 0:
			return nil, fmt.Errorf("%w: term %q has frequency %d", ErrInvalidText, tf.Term, tf.Freq)
		case i > 0 && terms[i-1].Term == tf.Term:
			return nil, fmt.Errorf("%w: term %q given twice", ErrInvalidText, tf.Term)
		}
		sum += tf.Freq
	}
	if t.Len < sum || t.Len > MaxTextLen {
		return nil, fmt.Errorf("%w: length %d tokens, the terms count %d", ErrInvalidText, t.Len, sum)
	}
	return terms, nil
}

// ValidateText reports whether t can be stored: valid UTF-8 text of at
// most MaxTextLen bytes, a chunk span inside DocText, well-formed terms.
// Errors wrap ErrInvalidText. Cost: O(len(text) + terms).
func ValidateText(t *Text) error {
	_, err := validateText(t)
	return err
}

func validateText(t *Text) ([]TermFreq, error) {
	if t.Doc != "" {
		if err := ValidateKey(t.Doc); err != nil {
			return nil, fmt.Errorf("%w: document key: %v", ErrInvalidText, err)
		}
		if len(t.DocText) > MaxTextLen {
			return nil, fmt.Errorf("%w: document %s has %d bytes, limit %d", ErrInvalidText, quoteKey(t.Doc), len(t.DocText), MaxTextLen)
		}
		if t.Start < 0 || t.Start > t.End || t.End > len(t.DocText) {
			return nil, fmt.Errorf("%w: chunk span %d..%d outside document %s of %d bytes", ErrInvalidText, t.Start, t.End, quoteKey(t.Doc), len(t.DocText))
		}
		// The whole document is checked once, when it is stored
		// (addChunk); each chunk checks its span.
		if !utf8.ValidString(t.DocText[t.Start:t.End]) {
			return nil, fmt.Errorf("%w: chunk %d..%d of document %s is not valid UTF-8", ErrInvalidText, t.Start, t.End, quoteKey(t.Doc))
		}
	} else {
		if len(t.Text) > MaxTextLen {
			return nil, fmt.Errorf("%w: text has %d bytes, limit %d", ErrInvalidText, len(t.Text), MaxTextLen)
		}
		if !utf8.ValidString(t.Text) {
			return nil, fmt.Errorf("%w: text is not valid UTF-8", ErrInvalidText)
		}
	}
	return normTerms(t)
}

// PutText stores t as the text of record id, replacing its previous text
// and its BM25 postings, in this transaction. The record itself is not
// touched (write it in the same transaction). A chunk (t.Doc set) stores
// the document's text once, with the first of its chunks, and counts its
// chunks; deleting the last chunk deletes the document. Many texts in one
// transaction: use PutTexts.
//
// Errors: ErrReadOnly; ErrInvalidText (bad UTF-8, a text over MaxTextLen,
// a chunk span outside DocText, empty, long or repeated terms); a chunk of
// an existing document whose stored text has another length. Nothing is
// written when it fails.
// Cost: O((terms of the old and new text)·log n) page reads, plus the
// text's bytes.
func (c *Collection) PutText(id uint32, t *Text) error {
	return c.PutTexts([]uint32{id}, []*Text{t})
}

// PutTexts stores texts[i] as the text of record ids[i], as PutText does
// for each, validating all of them before writing anything. It writes
// each bucket in key order: bbolt splits pages only at commit, so keys
// put in random order into one transaction cost time quadratic in their
// number (the postings of a batch of texts are spread over the whole
// bucket), while sorted puts keep a bulk load linear. An id given twice is
// an error (ErrInvalidText).
// Cost: O(P·log P) to sort the batch's P postings plus O(P·log n) page
// reads, the document frequencies once per distinct term, and the
// statistics once.
func (c *Collection) PutTexts(ids []uint32, texts []*Text) error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	if len(ids) != len(texts) {
		return fmt.Errorf("%w: %d ids for %d texts", ErrInvalidText, len(ids), len(texts))
	}
	if len(ids) == 0 {
		return nil
	}
	// Validate everything first.
	items := make([]textItem, len(ids))
	seen := make(map[uint32]bool, len(ids))
	newDocs := make(map[string]int) // document -> its text's length, checked once per batch
	for i, t := range texts {
		if seen[ids[i]] {
			return fmt.Errorf("%w: id %d given twice in one batch", ErrInvalidText, ids[i])
		}
		seen[ids[i]] = true
		terms, err := validateText(t)
		if err != nil {
			return err
		}
		items[i] = textItem{id: ids[i], t: t, terms: terms, kind: textInline}
		if t.Doc == "" {
			continue
		}
		items[i].kind = textChunk
		if l, ok := newDocs[t.Doc]; ok {
			if l != len(t.DocText) {
				return fmt.Errorf("%w: document %s is given with texts of %d and %d bytes", ErrInvalidText, quoteKey(t.Doc), l, len(t.DocText))
			}
			continue
		}
		if err := c.checkDocText(t); err != nil {
			return err
		}
		newDocs[t.Doc] = len(t.DocText)
	}
	// What the batch replaces.
	texts0 := c.b.Bucket(textsBucket)
	var dels [][]byte // postings to delete
	dfDelta := make(map[string]int)
	docDelta := make(map[string]int)
	docText := make(map[string]string)
	var st TextStats
	var err error
	if st, err = c.TextStats(); err != nil {
		return err
	}
	for i := range items {
		it := &items[i]
		if texts0 != nil {
			k := idKey(it.id)
			if v := texts0.Get(k); v != nil {
				old, err := c.decodeText(it.id, k, v)
				if err != nil {
					return err
				}
				for _, tf := range old.terms {
					dels = append(dels, postingKey(tf.Term, it.id))
					dfDelta[tf.Term]--
				}
				if old.length > 0 {
					st.Docs--
					st.Tokens -= uint64(old.length)
				}
				if old.kind == textChunk {
					docDelta[string(old.doc)]--
				}
			}
		}
		for _, tf := range it.terms {
			dfDelta[tf.Term]++
		}
		if it.t.Len > 0 {
			st.Docs++
			st.Tokens += uint64(it.t.Len)
		}
		if it.kind == textChunk {
			docDelta[it.t.Doc]++
			docText[it.t.Doc] = it.t.DocText
		}
	}
	// Postings: deletes, then puts, each in key order.
	postings, err := c.textBucket(postingsBucket, true)
	if err != nil {
		return err
	}
	slices.SortFunc(dels, bytes.Compare)
	for _, k := range dels {
		if err := postings.Delete(k); err != nil {
			return err
		}
	}
	type kv struct{ k, v []byte }
	nput := 0
	for _, it := range items {
		nput += len(it.terms)
	}
	puts := make([]kv, 0, nput)
	for _, it := range items {
		for _, tf := range it.terms {
			v := binary.BigEndian.AppendUint32(make([]byte, 0, 8+crcLen), uint32(tf.Freq))
			v = binary.BigEndian.AppendUint32(v, uint32(it.t.Len))
			pk := postingKey(tf.Term, it.id)
			puts = append(puts, kv{pk, seal(pk, v)})
		}
	}
	slices.SortFunc(puts, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	for _, p := range puts {
		if err := postings.Put(p.k, p.v); err != nil {
			return err
		}
	}
	// Document frequencies, in term order.
	dfs, err := c.textBucket(termsBucket, true)
	if err != nil {
		return err
	}
	terms := make([]string, 0, len(dfDelta))
	for t, d := range dfDelta {
		if d != 0 {
			terms = append(terms, t)
		}
	}
	slices.Sort(terms)
	for _, t := range terms {
		tk := []byte(t)
		df, err := c.docFreq(dfs, tk)
		if err != nil {
			return err
		}
		n := int64(df) + int64(dfDelta[t])
		if n <= 0 {
			err = dfs.Delete(tk)
		} else {
			err = dfs.Put(tk, seal(tk, binary.BigEndian.AppendUint32(make([]byte, 0, 4+crcLen), uint32(n))))
		}
		if err != nil {
			return err
		}
	}
	// Text entries, in id order.
	tb, err := c.textBucket(textsBucket, true)
	if err != nil {
		return err
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(items[a].id, items[b].id) })
	for _, i := range order {
		it := &items[i]
		k := idKey(it.id)
		if err := tb.Put(k, seal(k, encodeTextEntry(it.kind, it.t, it.terms))); err != nil {
			return err
		}
	}
	// Documents and their chunk counts, in key order.
	if len(docDelta) > 0 {
		if err := c.applyDocDeltas(docDelta, docText); err != nil {
			return err
		}
	}
	return c.putTextStats(st)
}

// textItem is one text of a PutTexts batch, validated.
type textItem struct {
	id    uint32
	t     *Text
	terms []TermFreq
	kind  byte
}

// applyDocDeltas changes the chunk counts of documents by delta, storing
// the text of a document that gets its first chunk and deleting one that
// loses its last.
func (c *Collection) applyDocDeltas(delta map[string]int, texts map[string]string) error {
	docs, err := c.textBucket(docsBucket, true)
	if err != nil {
		return err
	}
	counts, err := c.textBucket(docChunksBucket, true)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(delta))
	for d := range delta {
		keys = append(keys, d)
	}
	slices.Sort(keys)
	for _, d := range keys {
		if delta[d] == 0 {
			continue
		}
		dk := []byte(d)
		n, err := c.chunkCount(counts, dk)
		if err != nil {
			return err
		}
		m := int64(n) + int64(delta[d])
		switch {
		case m <= 0:
			if err := counts.Delete(dk); err != nil {
				return err
			}
			if err := docs.Delete(dk); err != nil {
				return err
			}
		default:
			if n == 0 {
				if err := docs.Put(dk, sealCopy(dk, []byte(texts[d]))); err != nil {
					return err
				}
			}
			if err := counts.Put(dk, seal(dk, binary.BigEndian.AppendUint32(make([]byte, 0, 4+crcLen), uint32(m)))); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDocText checks a chunk's document text against the stored one: a
// new document must be valid UTF-8 (O(size), once per document); a stored
// one must have the same length (O(log n)).
func (c *Collection) checkDocText(t *Text) error {
	n, err := c.chunkCount(c.b.Bucket(docChunksBucket), []byte(t.Doc))
	if err != nil {
		return err
	}
	if n == 0 {
		if !utf8.ValidString(t.DocText) {
			return fmt.Errorf("%w: document %s is not valid UTF-8", ErrInvalidText, quoteKey(t.Doc))
		}
		return nil
	}
	docs := c.b.Bucket(docsBucket)
	if docs == nil {
		return corrupt(c.name, "docs", "document %s has %d chunks but no docs bucket", quoteKey(t.Doc), n)
	}
	if v := docs.Get([]byte(t.Doc)); len(v) != len(t.DocText)+crcLen {
		return fmt.Errorf("%w: document %s is stored with another text (%d bytes, this chunk's document has %d)", ErrInvalidText, quoteKey(t.Doc), len(v)-crcLen, len(t.DocText))
	}
	return nil
}

// chunkCount reads the number of chunks of document key (0: none).
func (c *Collection) chunkCount(counts *bolt.Bucket, key []byte) (uint32, error) {
	if counts == nil {
		return 0, nil
	}
	v := counts.Get(key)
	if v == nil {
		return 0, nil
	}
	p, ok := unseal(key, v)
	if !ok || len(p) != 4 {
		return 0, corrupt(c.name, "docchunks", "chunk count of document %s fails its checksum", quoteKey(string(key)))
	}
	return binary.BigEndian.Uint32(p), nil
}

// document reads the text of document key (aliasing bbolt memory),
// verifying its checksum: O(log n + its size).
func (c *Collection) document(docs *bolt.Bucket, key []byte) (text []byte, ok bool, err error) {
	if docs == nil {
		return nil, false, nil
	}
	v := docs.Get(key)
	if v == nil {
		return nil, false, nil
	}
	p, good := unseal(key, v)
	if !good {
		return nil, false, corrupt(c.name, "docs", "document %s fails its checksum", quoteKey(string(key)))
	}
	return p, true, nil
}

// DeleteText removes the text of record id and its postings; a record
// without text is not an error. Deleting the last chunk of a document
// deletes the document. Delete calls it. Cost: O(terms·log n).
func (c *Collection) DeleteText(id uint32) error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	texts := c.b.Bucket(textsBucket)
	if texts == nil {
		return nil
	}
	k := idKey(id)
	v := texts.Get(k)
	if v == nil {
		return nil
	}
	e, err := c.decodeText(id, k, v)
	if err != nil {
		return err
	}
	if err := c.addPostings(id, e.terms, int(e.length), -1); err != nil {
		return err
	}
	if e.kind == textChunk {
		counts := c.b.Bucket(docChunksBucket)
		dk := bytes.Clone(e.doc)
		n, err := c.chunkCount(counts, dk)
		if err != nil {
			return err
		}
		switch {
		case n > 1:
			err = counts.Put(dk, seal(dk, binary.BigEndian.AppendUint32(make([]byte, 0, 4+crcLen), n-1)))
		case n == 1:
			if err = counts.Delete(dk); err == nil {
				err = c.b.Bucket(docsBucket).Delete(dk)
			}
		}
		if err != nil {
			return err
		}
	}
	return texts.Delete(k)
}

func (c *Collection) decodeText(id uint32, k, v []byte) (textEntry, error) {
	p, ok := unseal(k, v)
	if !ok {
		return textEntry{}, corruptID(c.name, "texts", id, "text fails its checksum")
	}
	e, err := decodeTextEntry(p)
	if err != nil {
		return textEntry{}, corruptID(c.name, "texts", id, "%v", err)
	}
	return e, nil
}

// postingKey is termlen uint16 BE | term | id uint32 BE.
func postingKey(term string, id uint32) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(term)+4), uint16(len(term)))
	b = append(b, term...)
	return binary.BigEndian.AppendUint32(b, id)
}

func postingPrefix(term string) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(term)), uint16(len(term)))
	return append(b, term...)
}

// addPostings adds (sign +1) or removes (-1) the postings of one text,
// with the document frequencies and corpus statistics they change.
func (c *Collection) addPostings(id uint32, terms []TermFreq, length int, sign int) error {
	if length == 0 && len(terms) == 0 {
		return nil
	}
	postings, err := c.textBucket(postingsBucket, true)
	if err != nil {
		return err
	}
	dfs, err := c.textBucket(termsBucket, true)
	if err != nil {
		return err
	}
	for _, tf := range terms {
		pk := postingKey(tf.Term, id)
		tk := []byte(tf.Term)
		df, err := c.docFreq(dfs, tk)
		if err != nil {
			return err
		}
		if sign > 0 {
			v := binary.BigEndian.AppendUint32(make([]byte, 0, 8+crcLen), uint32(tf.Freq))
			v = binary.BigEndian.AppendUint32(v, uint32(length))
			if err := postings.Put(pk, seal(pk, v)); err != nil {
				return err
			}
			df++
		} else {
			if err := postings.Delete(pk); err != nil {
				return err
			}
			if df > 0 {
				df--
			}
		}
		if df == 0 {
			err = dfs.Delete(tk)
		} else {
			err = dfs.Put(tk, seal(tk, binary.BigEndian.AppendUint32(make([]byte, 0, 4+crcLen), df)))
		}
		if err != nil {
			return err
		}
	}
	if length == 0 {
		return nil
	}
	st, err := c.TextStats()
	if err != nil {
		return err
	}
	if sign > 0 {
		st.Docs++
		st.Tokens += uint64(length)
	} else {
		st.Docs--
		st.Tokens -= uint64(length)
	}
	return c.putTextStats(st)
}

func (c *Collection) putTextStats(st TextStats) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16+crcLen), st.Docs)
	v = binary.BigEndian.AppendUint64(v, st.Tokens)
	return c.b.Put(textStatsKey, seal(textStatsKey, v))
}

func (c *Collection) docFreq(dfs *bolt.Bucket, term []byte) (uint32, error) {
	if dfs == nil {
		return 0, nil
	}
	v := dfs.Get(term)
	if v == nil {
		return 0, nil
	}
	p, ok := unseal(term, v)
	if !ok || len(p) != 4 {
		return 0, corrupt(c.name, "terms", "document frequency of %q fails its checksum", term)
	}
	return binary.BigEndian.Uint32(p), nil
}

// TextStats returns the BM25 corpus statistics. O(1).
func (c *Collection) TextStats() (TextStats, error) {
	v := c.b.Get(textStatsKey)
	if v == nil {
		return TextStats{}, nil
	}
	p, ok := unseal(textStatsKey, v)
	if !ok || len(p) != 16 {
		return TextStats{}, corrupt(c.name, "", "text statistics fail their checksum")
	}
	return TextStats{Docs: binary.BigEndian.Uint64(p), Tokens: binary.BigEndian.Uint64(p[8:])}, nil
}

// DocFreq returns the number of records whose text holds term. O(log n).
func (c *Collection) DocFreq(term string) (int64, error) {
	if term == "" || len(term) > MaxTermLen {
		return 0, nil
	}
	df, err := c.docFreq(c.b.Bucket(termsBucket), []byte(term))
	return int64(df), err
}

// Postings calls fn for every record whose text holds term, in ascending
// id order, with the term's frequency in it and its length in tokens,
// stopping at and returning fn's first error. fn must not modify the
// collection. Cost: O(log n + df(term)).
func (c *Collection) Postings(term string, fn func(id uint32, freq, length int) error) error {
	postings := c.b.Bucket(postingsBucket)
	if postings == nil || term == "" || len(term) > MaxTermLen {
		return nil
	}
	prefix := postingPrefix(term)
	cur := postings.Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		if len(k) != len(prefix)+4 {
			continue // a longer term sharing the prefix cannot happen: the length leads
		}
		id := binary.BigEndian.Uint32(k[len(prefix):])
		p, ok := unseal(k, v)
		if !ok || len(p) != 8 {
			return corruptID(c.name, "postings", id, "posting of %q fails its checksum", term)
		}
		if err := fn(id, int(binary.BigEndian.Uint32(p)), int(binary.BigEndian.Uint32(p[4:]))); err != nil {
			return err
		}
	}
	return nil
}

// TextInfo is what is stored about a record's text.
type TextInfo struct {
	Text       string // the text (for a chunk, its span of the document)
	Doc        string // the document a chunk belongs to; "" for a record's own text
	Start, End int    // a chunk's byte span in its document
	Terms      []TermFreq
	Len        int
}

// Text returns the text of record id and whether it has one. For a chunk
// it is the chunk's span of its document. The strings belong to the
// caller. Cost: O(log n + text length).
func (c *Collection) Text(id uint32) (string, bool, error) {
	ti, ok, err := c.TextInfo(id)
	return ti.Text, ok, err
}

// TextInfo returns everything stored about the text of record id, and
// whether it has one. For a chunk it reads (and verifies) the whole
// document: O(log n + document length + terms); TextRef does not.
func (c *Collection) TextInfo(id uint32) (TextInfo, bool, error) {
	ti, ok, err := c.TextRef(id)
	if err != nil || !ok || ti.Doc == "" {
		return ti, ok, err
	}
	text, ok, err := c.document(c.b.Bucket(docsBucket), []byte(ti.Doc))
	if err != nil {
		return TextInfo{}, false, err
	}
	if !ok || ti.End > len(text) {
		return TextInfo{}, false, corruptID(c.name, "texts", id, "chunk points at %d..%d of document %s, which is missing or shorter", ti.Start, ti.End, quoteKey(ti.Doc))
	}
	ti.Text = string(text[ti.Start:ti.End])
	return ti, true, nil
}

// TextRef is TextInfo without reading a chunk's document: for a chunk,
// Text is "" and Doc, Start and End say where it is. Cost: O(log n +
// entry size).
func (c *Collection) TextRef(id uint32) (TextInfo, bool, error) {
	texts := c.b.Bucket(textsBucket)
	if texts == nil {
		return TextInfo{}, false, nil
	}
	k := idKey(id)
	v := texts.Get(k)
	if v == nil {
		return TextInfo{}, false, nil
	}
	e, err := c.decodeText(id, k, v)
	if err != nil {
		return TextInfo{}, false, err
	}
	ti := TextInfo{Terms: e.terms, Len: int(e.length)}
	if e.kind == textInline {
		ti.Text = string(e.text)
		return ti, true, nil
	}
	ti.Doc, ti.Start, ti.End = string(e.doc), int(e.start), int(e.end)
	return ti, true, nil
}

// Document returns the text of the document stored under key and its
// number of chunks, or ok false. Cost: O(log n + text length).
func (c *Collection) Document(key string) (text string, chunks int, ok bool, err error) {
	n, err := c.chunkCount(c.b.Bucket(docChunksBucket), []byte(key))
	if err != nil || n == 0 {
		return "", 0, false, err
	}
	t, ok, err := c.document(c.b.Bucket(docsBucket), []byte(key))
	if err == nil && !ok {
		err = corrupt(c.name, "docs", "document %s has %d chunks but no text", quoteKey(key), n)
	}
	return string(t), int(n), ok, err
}

// HasDocument reports whether a document is stored under key, without
// reading its text. O(log n).
func (c *Collection) HasDocument(key string) (bool, error) {
	n, err := c.chunkCount(c.b.Bucket(docChunksBucket), []byte(key))
	return n > 0, err
}

// SetTextComponent stores the embedder's fitted component bytes (opaque
// here; sealed like every value); nil removes it. O(1).
func (c *Collection) SetTextComponent(b []byte) error {
	if err := c.tx.checkWritable(); err != nil {
		return err
	}
	if len(b) == 0 {
		return c.b.Delete(textComponentKey)
	}
	return c.b.Put(textComponentKey, sealCopy(textComponentKey, b))
}

// TextComponent returns a copy of the stored component bytes, or nil. A
// value failing its checksum is an error wrapping ErrCorrupt. O(1).
func (c *Collection) TextComponent() ([]byte, error) {
	v := c.b.Get(textComponentKey)
	if v == nil {
		return nil, nil
	}
	p, ok := unseal(textComponentKey, v)
	if !ok || len(p) == 0 {
		return nil, corrupt(c.name, "", "text component fails its checksum")
	}
	return bytes.Clone(p), nil
}

// stageCopyText copies the text buckets and keys of collection name into
// the staged collection hidden (StageCopy), in chunked transactions.
func (db *DB) stageCopyText(ctx context.Context, name, hidden string) error {
	var keys [][2][]byte
	var subs [][]byte
	if err := db.View(func(tx *Tx) error {
		c, err := tx.Collection(name)
		if err != nil {
			return err
		}
		for _, k := range [][]byte{textStatsKey, textComponentKey} {
			if v := c.b.Get(k); v != nil {
				keys = append(keys, [2][]byte{k, bytes.Clone(v)})
			}
		}
		for _, sub := range [][]byte{textsBucket, docsBucket, docChunksBucket, postingsBucket, termsBucket} {
			if c.b.Bucket(sub) != nil {
				subs = append(subs, sub)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for _, sub := range subs {
		err := db.copySealed(ctx, name, hidden, sub, func(c *Collection) (*bolt.Bucket, error) { // stage.go
			return c.textBucket(sub, true)
		})
		if err != nil {
			return err
		}
	}
	return db.Update(func(tx *Tx) error {
		c, err := tx.Collection(hidden)
		if err != nil {
			return err
		}
		for _, kv := range keys {
			if err := c.b.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
}
