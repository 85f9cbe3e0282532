package format

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// VocabEntry is one line of a word2vec vocabulary file: a word and its
// corpus count.
type VocabEntry struct {
	Word  string
	Count int64
}

// ReadVocab reads a word2vec vocabulary ("counts") file, the fvocab file
// that word2vec's -save-vocab and gensim's save_word2vec_format write: one
// "word count" a line, separated by white space, most frequent first. Blank
// lines are skipped. A line that is not exactly a word and a non-negative
// integer is a *ParseError wrapping ErrMalformed (gensim would raise on it
// too). name is used in errors. Entries come in file order; a word given
// twice keeps both (gensim keeps the last). Cost: O(lines).
func ReadVocab(r io.Reader, name string) ([]VocabEntry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var out []VocabEntry
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, &ParseError{File: name, Line: line, Column: 1, Err: fmt.Errorf("%w: want \"word count\", got %d fields", ErrMalformed, len(f))}
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || n < 0 {
			return nil, &ParseError{File: name, Line: line, Column: len(f[0]) + 2, Err: fmt.Errorf("%w: count %q is not a non-negative integer", ErrMalformed, f[1])}
		}
		out = append(out, VocabEntry{Word: f[0], Count: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("format: %s: %w", name, err)
	}
	return out, nil
}

// WriteVocab writes a word2vec vocabulary file that gensim's
// load_word2vec_format(fvocab=...) reads: one "word count" line per entry,
// in the order given (gensim writes the most frequent first). A word that
// is empty or holds white space is refused with ErrInvalidKey, since the
// file could not be read back. Cost: O(entries).
func WriteVocab(w io.Writer, entries []VocabEntry) error {
	bw := bufio.NewWriter(w)
	for i, e := range entries {
		if e.Word == "" || strings.IndexFunc(e.Word, unicode.IsSpace) >= 0 {
			return fmt.Errorf("format: vocabulary entry %d %q: %w", i+1, e.Word, ErrInvalidKey)
		}
		if e.Count < 0 {
			return fmt.Errorf("format: vocabulary entry %d %q: negative count %d: %w", i+1, e.Word, e.Count, ErrMalformed)
		}
		bw.WriteString(e.Word)
		bw.WriteByte(' ')
		bw.WriteString(strconv.FormatInt(e.Count, 10))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
