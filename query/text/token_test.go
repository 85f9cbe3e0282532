package text_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vecbolt/vecbolt/query/text"
)

type span struct {
	Text       string
	Start, End int
}

func spans(toks []text.Token) []span {
	var out []span
	for _, t := range toks {
		out = append(out, span{t.Text, t.Start, t.End})
	}
	return out
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []span
	}{
		{"empty", "", nil},
		{"punctuation only", " ... — , !? ", nil},
		{"words and punctuation", "Hello, World!", []span{{"hello", 0, 5}, {"world", 7, 12}}},
		{"numbers kept", "Pi is 3.14, not 1,000.", []span{{"pi", 0, 2}, {"is", 3, 5}, {"3.14", 6, 10}, {"not", 12, 15}, {"1,000", 16, 21}}},
		{"symbols kept", "$5 🙂", []span{{"$", 0, 1}, {"5", 1, 2}, {"🙂", 3, 7}}},
		{"curly apostrophe folds to ASCII", "Don’t", []span{{"don't", 0, 7}}},
		{"lower not fold", "ÄPFEL Straße", []span{{"äpfel", 0, 6}, {"straße", 7, 14}}},
		{"final sigma", "ΟΔΟΣ ΣΑ", []span{{"οδος", 0, 8}, {"σα", 9, 13}}},
		{"hyphen splits", "e-mail", []span{{"e", 0, 1}, {"mail", 2, 6}}},
		{"ideographs one by one", "日本語", []span{{"日", 0, 3}, {"本", 3, 6}, {"語", 6, 9}}},
		{"newlines and tabs", "a\n\tb\r\nc", []span{{"a", 0, 1}, {"b", 3, 4}, {"c", 6, 7}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, err := text.Tokenize(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := spans(toks); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Tokenize(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestTokenizeErrors(t *testing.T) {
	_, err := text.Tokenize("ab\xffcd")
	var ue *text.UTF8Error
	if !errors.As(err, &ue) || ue.Offset != 2 || !errors.Is(err, text.ErrInvalidUTF8) {
		t.Fatalf("invalid UTF-8: got %v, want *UTF8Error at offset 2", err)
	}
	if !strings.Contains(err.Error(), "offset 2") {
		t.Errorf("message %q does not name the offset", err)
	}
	_, err = text.Tokenize(strings.Repeat("a", text.MaxTextBytes+1))
	var te *text.TooLargeError
	if !errors.As(err, &te) || te.Limit != text.MaxTextBytes || !errors.Is(err, text.ErrTooLarge) {
		t.Fatalf("too large: got %v", err)
	}
}

type vocab map[string]bool

func (v vocab) Contains(w string) bool { return v[w] }

func newVocab(words ...string) vocab {
	v := vocab{}
	for _, w := range words {
		v[w] = true
	}
	return v
}

func texts(toks []text.Token) []string {
	var out []string
	for _, t := range toks {
		out = append(out, t.Text)
	}
	return out
}

func TestAnalyze(t *testing.T) {
	glove := newVocab("the", "king", "'s", "sun", "flower", "sunflower", "field", "a", "b", "crown", "do", "n't", "don", "they", "'re")
	bert := newVocab("un", "##aff", "##able", "aff", "the")
	tests := []struct {
		name      string
		in        string
		v         vocab
		opts      text.PieceOptions
		want, oov []string
		split     int
	}{
		{"no pieces", "The king's crown", glove, text.PieceOptions{}, []string{"the", "crown"}, []string{"king's"}, 0},
		{"whole pieces", "The king's sunflowerfield", glove, text.PieceOptions{Mode: text.WholePieces},
			[]string{"the", "king", "'s", "sunflower", "field"}, nil, 2},
		{"clitics split as in the Penn Treebank", "Don’t they're", glove, text.PieceOptions{Mode: text.WholePieces},
			[]string{"do", "n't", "they", "'re"}, nil, 2},
		{"clitic missing from the vocabulary is reported", "queen's king's", newVocab("queen", "king", "'"), text.PieceOptions{Mode: text.WholePieces},
			[]string{"queen", "king"}, []string{"'s", "'s"}, 2},
		{"whole pieces need two runes", "ab xyz", glove, text.PieceOptions{Mode: text.WholePieces},
			nil, []string{"ab", "xyz"}, 0},
		{"whole pieces one rune allowed", "ab", glove, text.PieceOptions{Mode: text.WholePieces, MinPieceRunes: 1},
			[]string{"a", "b"}, nil, 1},
		{"remainder unknown keeps whole word out", "kingdom", glove, text.PieceOptions{Mode: text.WholePieces},
			nil, []string{"kingdom"}, 0},
		{"wordpiece", "the unaffable", bert, text.PieceOptions{Mode: text.ContinuationPieces},
			[]string{"the", "un", "##aff", "##able"}, nil, 1},
		{"wordpiece custom prefix", "unaffable", newVocab("un", "@@aff", "@@able"),
			text.PieceOptions{Mode: text.ContinuationPieces, Prefix: "@@"}, []string{"un", "@@aff", "@@able"}, nil, 1},
		{"max word runes", "sunflowerfield", glove, text.PieceOptions{Mode: text.WholePieces, MaxWordRunes: 10},
			nil, []string{"sunflowerfield"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, err := text.Tokenize(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			a := text.Analyze(toks, tt.v, tt.opts)
			if got := texts(a.Tokens); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("tokens %v, want %v", got, tt.want)
			}
			if got := texts(a.OOV); !reflect.DeepEqual(got, tt.oov) {
				t.Errorf("OOV %v, want %v", got, tt.oov)
			}
			if a.Words != len(toks) || a.Split != tt.split {
				t.Errorf("Words %d Split %d, want %d and %d", a.Words, a.Split, len(toks), tt.split)
			}
			// Every piece carries its whole word's offsets; whole pieces,
			// with any dropped clitic, spell the word.
			for _, p := range a.Tokens {
				if !p.Piece || tt.opts.Mode != text.WholePieces {
					continue
				}
				if got, want := strings.Join(piecesOf(a.Tokens, p.Start), "")+strings.Join(piecesOf(a.OOV, p.Start), ""), strings.ReplaceAll(strings.ToLower(tt.in[p.Start:p.End]), "\u2019", "'"); got != want {
					t.Errorf("pieces %q of word %q", got, want)
				}
			}
		})
	}
}

// piecesOf returns the pieces whose word starts at start.
func piecesOf(toks []text.Token, start int) []string {
	var out []string
	for _, t := range toks {
		if t.Piece && t.Start == start {
			out = append(out, t.Text)
		}
	}
	return out
}

// checkTokens verifies the invariants every tokenization must hold: spans in
// order, on rune boundaries, inside s, and folding back to the token text.
func checkTokens(t *testing.T, s string, toks []text.Token) {
	t.Helper()
	prev := 0
	for i, tk := range toks {
		if tk.Start < prev || tk.End <= tk.Start || tk.End > len(s) {
			t.Fatalf("token %d span [%d,%d) out of order or bounds (prev end %d, len %d)", i, tk.Start, tk.End, prev, len(s))
		}
		if !utf8.RuneStart(s[tk.Start]) || (tk.End < len(s) && !utf8.RuneStart(s[tk.End])) {
			t.Fatalf("token %d span [%d,%d) splits a rune", i, tk.Start, tk.End)
		}
		want := strings.ReplaceAll(strings.ToLower(s[tk.Start:tk.End]), "\u2019", "'")
		if strings.ContainsRune(want, 'σ') && strings.EqualFold(tk.Text, want) {
			want = tk.Text // final sigma: ς where ToLower gives σ
		}
		if tk.Text != want || tk.Text == "" {
			t.Fatalf("token %d text %q, want %q", i, tk.Text, want)
		}
		prev = tk.End
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", "ΣΊΣΥΦΟΣ ΑΣ'Σ", "Hello, World!", "Don’t 3.14 1,000 $ 🙂 🇫🇷🇩🇪", "日本語", "a\xffb", "x\u0301y  \u0301z", "U.S.A. e-mail"} {
		f.Add(s, 3, 1)
	}
	f.Fuzz(func(t *testing.T, s string, n, m int) {
		toks, err := text.Tokenize(s)
		if !utf8.ValidString(s) {
			if !errors.Is(err, text.ErrInvalidUTF8) {
				t.Fatalf("invalid UTF-8 %q: err %v", s, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkTokens(t, s, toks)
		n = 1 + abs(n)%9
		m = abs(m) % n
		chunks, err := text.Chunks(toks, text.ChunkOptions{Tokens: n, Overlap: m})
		if err != nil {
			t.Fatal(err)
		}
		checkChunks(t, s, toks, chunks, n, m)
	})
}

func abs(x int) int {
	if x < 0 {
		if -x < 0 {
			return 0
		}
		return -x
	}
	return x
}
