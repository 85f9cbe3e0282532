package wordnet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Synset is one line of a data file.
type Synset struct {
	Offset uint32 // byte offset of the line in its file: the synset's id within its POS
	POS    byte   // n, v, a, s (adjective satellite) or r
	// Lemmas are the synset's words as written in the file, with
	// underscores for spaces and without adjective markers such as "(a)".
	Lemmas []string
	// Gloss is everything after the "|": the definition and the examples.
	Gloss string
	// Definition is the gloss without its examples: the text before the
	// first quoted example, with the separating semicolons trimmed.
	Definition string
	// Examples are the quoted parts of the gloss, without the quotes.
	Examples []string
}

// ID returns "offset-pos", unique across the four files (the offsets of
// satellites "s" live in data.adj with the "a" synsets).
func (s Synset) ID() string { return fmt.Sprintf("%08d-%c", s.Offset, s.POS) }

// Files are the data files ReadDir reads, in this order.
var Files = []string{"data.noun", "data.verb", "data.adj", "data.adv"}

var quoted = regexp.MustCompile(`"([^"]*)"`)

// Read parses a data file. Lines that start with a space are the licence
// header and are skipped. name is used in errors only.
// Errors: a *ParseError (wrapping ErrSyntax) for the first malformed line,
// or the reader's error. Cost: O(bytes).
func Read(r io.Reader, name string) ([]Synset, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []Synset
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimRight(sc.Text(), " \r")
		if l == "" || l[0] == ' ' {
			continue
		}
		s, msg := parseLine(l)
		if msg != "" {
			return nil, &ParseError{File: name, Line: line, Msg: msg}
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wordnet: %s: %w", name, err)
	}
	return out, nil
}

// parseLine parses
//
//	offset lex_filenum ss_type w_cnt (word lex_id){w_cnt} p_cnt (ptr){p_cnt} [frames] | gloss
//
// w_cnt and lex_id are hexadecimal, p_cnt decimal, each pointer four fields.
// It returns a message for a malformed line.
func parseLine(l string) (Synset, string) {
	head, gloss, ok := strings.Cut(l, " | ")
	if !ok {
		if !strings.HasSuffix(l, " |") {
			return Synset{}, `no " | " before the gloss`
		}
		head = strings.TrimSuffix(l, " |")
	}
	f := strings.Fields(head)
	if len(f) < 6 {
		return Synset{}, fmt.Sprintf("%d fields before the gloss, want at least 6", len(f))
	}
	off, err := strconv.ParseUint(f[0], 10, 32)
	if err != nil || len(f[0]) != 8 {
		return Synset{}, fmt.Sprintf("synset offset %q is not 8 decimal digits", f[0])
	}
	s := Synset{Offset: uint32(off)}
	if len(f[2]) != 1 || !strings.Contains("nvasr", f[2]) {
		return Synset{}, fmt.Sprintf("synset type %q is not one of n v a s r", f[2])
	}
	s.POS = f[2][0]
	wc, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil || wc == 0 {
		return Synset{}, fmt.Sprintf("word count %q is not a positive hexadecimal number", f[3])
	}
	i := 4
	if len(f) < i+2*int(wc)+1 {
		return Synset{}, fmt.Sprintf("%d words announced, the line is too short for them", wc)
	}
	for w := 0; w < int(wc); w++ {
		word := f[i]
		if p := strings.IndexByte(word, '('); p > 0 && strings.HasSuffix(word, ")") && s.POS != 'n' && s.POS != 'v' {
			word = word[:p] // adjective marker: (a), (p), (ip)
		}
		if _, err := strconv.ParseUint(f[i+1], 16, 8); err != nil {
			return Synset{}, fmt.Sprintf("lex_id %q of word %q is not hexadecimal", f[i+1], word)
		}
		s.Lemmas = append(s.Lemmas, word)
		i += 2
	}
	pc, err := strconv.ParseUint(f[i], 10, 16)
	if err != nil {
		return Synset{}, fmt.Sprintf("pointer count %q is not a decimal number", f[i])
	}
	if len(f) < i+1+4*int(pc) {
		return Synset{}, fmt.Sprintf("%d pointers announced, the line is too short for them", pc)
	}
	s.Gloss = strings.TrimSpace(gloss)
	s.Definition = s.Gloss
	if q := strings.IndexByte(s.Gloss, '"'); q >= 0 {
		s.Definition = strings.TrimRight(s.Gloss[:q], "; ")
	}
	for _, m := range quoted.FindAllStringSubmatch(s.Gloss, -1) {
		if e := strings.TrimSpace(m[1]); e != "" {
			s.Examples = append(s.Examples, e)
		}
	}
	return s, ""
}

// ReadDir reads the data files of a WordNet directory in the order of
// Files, skipping those that are absent.
// Errors: ErrNoData when none is there (wrapped with the directory), a
// *ParseError, or a read error. Cost: O(bytes); the full WordNet 3.0 is
// 117,659 synsets in about 30 MB.
func ReadDir(dir string) ([]Synset, error) {
	var out []Synset
	found := 0
	for _, name := range Files {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("wordnet: %w", err)
		}
		found++
		ss, err := Read(f, path)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	if found == 0 {
		return nil, fmt.Errorf("%w in %s (want %s)", ErrNoData, dir, strings.Join(Files, ", "))
	}
	return out, nil
}
