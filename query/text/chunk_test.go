package text_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/text"
)

// checkChunks verifies that chunks cover the tokens in order with the
// asked overlap and that their byte offsets round-trip to the token spans.
func checkChunks(t *testing.T, s string, toks []text.Token, chunks []text.Chunk, n, m int) {
	t.Helper()
	if len(toks) == 0 {
		if len(chunks) != 0 {
			t.Fatalf("%d chunks for no tokens", len(chunks))
		}
		return
	}
	if chunks[0].First != 0 || chunks[len(chunks)-1].First+chunks[len(chunks)-1].Count != len(toks) {
		t.Fatalf("chunks do not cover tokens 0..%d: %+v", len(toks), chunks)
	}
	for i, c := range chunks {
		if c.Count < 1 || c.Count > n {
			t.Fatalf("chunk %d has %d tokens, want 1..%d", i, c.Count, n)
		}
		if i > 0 {
			p := chunks[i-1]
			if c.First != p.First+n-m {
				t.Fatalf("chunk %d starts at token %d, want %d", i, c.First, p.First+n-m)
			}
			if p.Count != n {
				t.Fatalf("chunk %d before the last has %d tokens, want %d", i-1, p.Count, n)
			}
		}
		first, last := toks[c.First], toks[c.First+c.Count-1]
		if c.Start != first.Start || c.End != last.End {
			t.Fatalf("chunk %d spans [%d,%d), want [%d,%d)", i, c.Start, c.End, first.Start, last.End)
		}
		// The chunk's text starts with its first word and ends with its last.
		sub := s[c.Start:c.End]
		if !strings.HasPrefix(sub, s[first.Start:first.End]) || !strings.HasSuffix(sub, s[last.Start:last.End]) {
			t.Fatalf("chunk %d text %q does not run from %q to %q", i, sub, s[first.Start:first.End], s[last.Start:last.End])
		}
	}
}

func words(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", i)
	}
	return strings.Join(w, " ")
}

func TestChunkText(t *testing.T) {
	tests := []struct {
		n, m, tokens int
		want         []string
	}{
		{4, 1, 10, []string{"w0 w1 w2 w3", "w3 w4 w5 w6", "w6 w7 w8 w9"}},
		{4, 0, 10, []string{"w0 w1 w2 w3", "w4 w5 w6 w7", "w8 w9"}},
		{4, 3, 6, []string{"w0 w1 w2 w3", "w1 w2 w3 w4", "w2 w3 w4 w5"}},
		{20, 5, 10, []string{words(10)}},
		{3, 2, 0, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("N%d_M%d_%d", tt.n, tt.m, tt.tokens), func(t *testing.T) {
			s := words(tt.tokens)
			opts := text.ChunkOptions{Tokens: tt.n, Overlap: tt.m}
			chunks, toks, err := text.ChunkText(s, opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range chunks {
				got = append(got, s[c.Start:c.End])
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("chunks %q, want %q", got, tt.want)
			}
			checkChunks(t, s, toks, chunks, tt.n, tt.m)
		})
	}
}

func TestChunkErrors(t *testing.T) {
	tests := []struct {
		opts text.ChunkOptions
		text string
		is   error
		msg  string
	}{
		{text.ChunkOptions{Tokens: 0}, "a", text.ErrOption, "chunk tokens 0 must be positive"},
		{text.ChunkOptions{Tokens: 3, Overlap: -1}, "a", text.ErrOption, "chunk overlap -1"},
		{text.ChunkOptions{Tokens: 3, Overlap: 3}, "a", text.ErrOption, "less than chunk tokens (3)"},
		{text.ChunkOptions{Tokens: 3, MaxTextBytes: -1}, "a", text.ErrOption, "chunk text limit"},
		{text.ChunkOptions{Tokens: 3, MaxTextBytes: 5}, "abcdef", text.ErrTooLarge, "limit of 5 bytes"},
		{text.ChunkOptions{Tokens: 3}, "a\xc0", text.ErrInvalidUTF8, "offset 1"},
	}
	for _, tt := range tests {
		_, _, err := text.ChunkText(tt.text, tt.opts)
		if !errors.Is(err, tt.is) || !strings.Contains(fmt.Sprint(err), tt.msg) {
			t.Errorf("ChunkText(%q, %+v) = %v, want %v mentioning %q", tt.text, tt.opts, err, tt.is, tt.msg)
		}
	}
	if _, err := text.Chunks(nil, text.ChunkOptions{Tokens: 2, Overlap: 5}); !errors.Is(err, text.ErrOption) {
		t.Errorf("Chunks with overlap ≥ tokens: %v", err)
	}
}
