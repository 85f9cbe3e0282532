package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// MaxTextBytes is the largest text Tokenize and ChunkText accept: 16 MiB.
// Longer texts are refused with a *TooLargeError rather than tokenized into
// a slice the caller did not expect; split them first.
const MaxTextBytes = 16 << 20

// Token is one word of a text.
type Token struct {
	// Text is the word folded to lower case (see Tokenize). For a piece of
	// a split word (Piece true) it is the piece, with its continuation
	// prefix if the vocabulary uses one.
	Text string
	// Start and End are byte offsets into the original text: the word is
	// text[Start:End]. A piece carries the offsets of its whole word,
	// because lower-casing can change byte lengths and a piece has no exact
	// span in the original.
	Start, End int
	// Piece is true for a part of a word that Analyze split.
	Piece bool
}

// Tokenize splits s into words by Unicode word segmentation (UAX #29,
// github.com/rivo/uniseg) and folds them to lower case.
//
// A segment is kept as a word when it contains at least one letter, number
// or symbol rune (unicode.IsLetter, IsNumber, IsSymbol): "3.14", "1,000",
// "don't", "$" and "🙂" are words; whitespace and punctuation-only segments
// ("," "..." "—") are dropped. Numbers are kept.
//
// Case folding is strings.ToLower (Unicode simple lower-case mapping) rather
// than full case folding (golang.org/x/text/cases.Fold): the word-vector
// vocabularies this package serves (GloVe, word2vec) were built by
// lower-casing, and full folding would turn "ß" into "ss" and miss words
// they hold. strings.ToLower is also safe for concurrent use, where a
// cases.Caser is not. The one context-dependent mapping is honoured: a word
// holding a capital sigma is lower-cased by golang.org/x/text/cases, so a
// final Σ becomes ς ("ΟΔΟΣ" → "οδος"). The right single quotation mark (U+2019) is folded to
// the ASCII apostrophe, as those vocabularies spell "'s" and "n't".
//
// Errors: a text longer than MaxTextBytes (*TooLargeError), or one that is
// not valid UTF-8 (*UTF8Error with the offset of the first bad byte). The
// empty text gives no tokens and no error.
//
// Cost: O(len(s)) time; the returned slice and its strings are new.
// Tokenize is safe for concurrent use.
func Tokenize(s string) ([]Token, error) {
	if len(s) > MaxTextBytes {
		return nil, &TooLargeError{Size: len(s), Limit: MaxTextBytes}
	}
	if !utf8.ValidString(s) {
		return nil, &UTF8Error{Offset: invalidOffset(s)}
	}
	var toks []Token
	state := -1
	pos := 0
	rest := s
	for len(rest) > 0 {
		var w string
		w, rest, state = uniseg.FirstWordInString(rest, state)
		start := pos
		pos += len(w)
		if !isWord(w) {
			continue
		}
		toks = append(toks, Token{Text: fold(w), Start: start, End: pos})
	}
	return toks, nil
}

// invalidOffset returns the byte offset of the first invalid UTF-8 sequence.
func invalidOffset(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(s)
}

func isWord(w string) bool {
	for _, r := range w {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsSymbol(r) {
			return true
		}
	}
	return false
}

func fold(w string) string {
	if strings.ContainsRune(w, 'Σ') {
		// Final sigma needs context: ΟΔΟΣ → οδος, not οδοσ. A Caser is not
		// safe for concurrent use, so make one; it is rare.
		w = cases.Lower(language.Und).String(w)
	} else {
		w = strings.ToLower(w)
	}
	if strings.ContainsRune(w, '\u2019') {
		w = strings.ReplaceAll(w, "\u2019", "'")
	}
	return w
}

// Vocab is the set of words (and word pieces) a model knows. Implementations
// used concurrently must be safe for concurrent use.
type Vocab interface {
	Contains(word string) bool
}

// PieceMode says what Analyze does with a word missing from the vocabulary.
type PieceMode int

const (
	// NoPieces leaves a missing word out of vocabulary.
	NoPieces PieceMode = iota
	// WholePieces splits a missing word into known whole words by greedy
	// longest match from the left, with no continuation marker. This is
	// the mode for GloVe and word2vec vocabularies, which hold no "##"
	// pieces: "sunflowerfield" may become "sunflower" + "field". English
	// contractions are first split as Penn Treebank tokenization (and so
	// those vocabularies) does, when the stem is known: "king's" becomes
	// "king" + "'s" and "don't" becomes "do" + "n't"; a clitic the
	// vocabulary lacks (some filtered GloVe files have no "'s") is left
	// out and reported in Analysis.OOV as a piece. Every piece
	// must have at least PieceOptions.MinPieceRunes runes (default 2), so
	// a word does not dissolve into single letters, which such
	// vocabularies also hold.
	WholePieces
	// ContinuationPieces is BERT's WordPiece: the first piece is looked up
	// as is and every later piece with PieceOptions.Prefix (default "##")
	// in front, greedy longest match from the left; MinPieceRunes defaults
	// to 1.
	ContinuationPieces
)

// PieceOptions configures Analyze. The zero value leaves missing words out
// of vocabulary.
type PieceOptions struct {
	Mode PieceMode
	// Prefix marks a continuation piece in ContinuationPieces mode; "" means
	// "##".
	Prefix string
	// MinPieceRunes is the shortest piece accepted, in runes; 0 means 2 for
	// WholePieces and 1 for ContinuationPieces.
	MinPieceRunes int
	// MaxWordRunes: longer words are not split and stay out of vocabulary,
	// as in WordPiece (max_input_chars_per_word); 0 means 100.
	MaxWordRunes int
}

// Analysis is the result of looking tokens up in a vocabulary. Nothing is
// dropped: every input token is either in Tokens (whole or as pieces) or in
// OOV.
type Analysis struct {
	// Tokens holds the known words and the pieces of split words, in text
	// order.
	Tokens []Token
	// OOV holds the words that are neither known nor splittable into known
	// pieces, in text order, and the clitics split off a known stem but
	// missing from the vocabulary (Piece true).
	OOV []Token
	// Words is the number of input tokens.
	Words int
	// Split is the number of input tokens that were split into pieces.
	Split int
}

// Analyze looks each token up in v and, for a missing word, tries to split
// it into known pieces as opts.Mode says (WordPiece's greedy longest match:
// if any remainder of the word has no known piece, the whole word is out of
// vocabulary, never partly kept).
//
// Cost: one Contains call per known token; a missing word of r runes costs
// at most r·(r+1)/2 Contains calls (bounded by MaxWordRunes). Analyze is
// safe for concurrent use if v is.
func Analyze(tokens []Token, v Vocab, opts PieceOptions) Analysis {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = "##"
	}
	minRunes := opts.MinPieceRunes
	if minRunes <= 0 {
		minRunes = 2
		if opts.Mode == ContinuationPieces {
			minRunes = 1
		}
	}
	maxRunes := opts.MaxWordRunes
	if maxRunes <= 0 {
		maxRunes = 100
	}
	a := Analysis{Words: len(tokens), Tokens: make([]Token, 0, len(tokens))}
	for _, t := range tokens {
		if v.Contains(t.Text) {
			a.Tokens = append(a.Tokens, t)
			continue
		}
		if opts.Mode == NoPieces {
			a.OOV = append(a.OOV, t)
			continue
		}
		pieces, dropped := splitWord(t.Text, v, opts.Mode == ContinuationPieces, prefix, minRunes, maxRunes)
		if pieces == nil {
			a.OOV = append(a.OOV, t)
			continue
		}
		a.Split++
		for _, p := range pieces {
			a.Tokens = append(a.Tokens, Token{Text: p, Start: t.Start, End: t.End, Piece: true})
		}
		if dropped != "" {
			a.OOV = append(a.OOV, Token{Text: dropped, Start: t.Start, End: t.End, Piece: true})
		}
	}
	return a
}

// clitics are the English contractions that Penn Treebank tokenization (and
// so GloVe's and word2vec's vocabularies) splits off a word.
var clitics = []string{"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}

// splitWord returns the pieces of w: for whole pieces, first a Penn
// Treebank clitic split ("don't" → "do" + "n't") when the stem is known
// (a clitic the vocabulary lacks is returned as dropped, for the OOV
// report); otherwise the greedy longest-match pieces, or nil when some
// remainder has no known piece.
func splitWord(w string, v Vocab, continuation bool, prefix string, minRunes, maxRunes int) (pieces []string, dropped string) {
	if !continuation && strings.ContainsRune(w, '\'') {
		for _, c := range clitics {
			if stem, ok := strings.CutSuffix(w, c); ok && stem != "" && v.Contains(stem) {
				if v.Contains(c) {
					return []string{stem, c}, ""
				}
				return []string{stem}, c
			}
		}
	}
	// Byte offsets of rune starts, plus len(w).
	bounds := make([]int, 0, len(w)+1)
	for i := range w {
		bounds = append(bounds, i)
	}
	runes := len(bounds)
	if runes > maxRunes || runes < 2*minRunes && !continuation {
		return nil, ""
	}
	bounds = append(bounds, len(w))
	for start := 0; start < runes; {
		found := -1
		for end := runes; end-start >= minRunes; end-- {
			if start == 0 && end == runes {
				continue // the whole word is already known to be missing
			}
			p := w[bounds[start]:bounds[end]]
			if continuation && start > 0 {
				p = prefix + p
			}
			if v.Contains(p) {
				pieces = append(pieces, p)
				found = end
				break
			}
		}
		if found < 0 {
			return nil, ""
		}
		start = found
	}
	return pieces, ""
}
