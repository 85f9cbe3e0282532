package format_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
	"github.com/vecbolt/vecbolt/query/sample"
)

// The files in testdata/gensim were written by gensim 4.2
// (bench/gensim/parity.py --formats): the first 40 words of the bundled
// sample with counts 1000, 993, 986, ... The vecbolt.* files there were
// written by TestGensimFiles (-update) and read back exactly by the same
// script with gensim's load_word2vec_format.

const gensimWords = 40

// sampleHead reads the first n records of the bundled sample with a parser
// of its own.
func sampleHead(t *testing.T, n int) []format.Record {
	sc := bufio.NewScanner(sample.GloVe())
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []format.Record
	for len(out) < n && sc.Scan() {
		f := strings.Fields(sc.Text())
		v := make([]float32, len(f)-1)
		for i, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = float32(x)
		}
		out = append(out, format.Record{Key: f[0], Vector: v})
	}
	return out
}

func TestGensimFiles(t *testing.T) {
	want := sampleHead(t, gensimWords)
	dir := filepath.Join("testdata", "gensim")
	counts := make([]format.VocabEntry, len(want))
	for i, r := range want {
		counts[i] = format.VocabEntry{Word: r.Key, Count: int64(1000 - 7*i)}
	}
	// gensim wrote them; vecbolt reads them exactly.
	for _, tc := range []struct {
		name string
		f    format.Format
	}{{"gensim.txt", format.Word2VecText}, {"gensim.bin", format.Word2VecBinary}} {
		data, err := os.ReadFile(filepath.Join(dir, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		got, bad, err := readAll(t, data, tc.f, format.ReaderOptions{Name: tc.name})
		if err != nil || len(bad) > 0 {
			t.Fatalf("%s: %v %v", tc.name, err, bad)
		}
		if err := sameRecords(got, want); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		// Sniffed as well: a .txt word2vec file read as GloVe.
		if tc.f == format.Word2VecText {
			got, _, err := readAll(t, data, format.GloVe, format.ReaderOptions{})
			if err != nil || sameRecords(got, want) != nil {
				t.Errorf("%s as GloVe: %v", tc.name, err)
			}
		}
	}
	f, err := os.Open(filepath.Join(dir, "gensim.vocab"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vocab, err := format.ReadVocab(f, "gensim.vocab")
	if err != nil {
		t.Fatal(err)
	}
	if len(vocab) != len(counts) {
		t.Fatalf("gensim.vocab: %d entries, want %d", len(vocab), len(counts))
	}
	for i := range vocab {
		if vocab[i] != counts[i] {
			t.Errorf("gensim.vocab line %d: %+v, want %+v", i+1, vocab[i], counts[i])
		}
	}

	// vecbolt writes them; bench/gensim/parity.py --formats checks that
	// gensim reads them back exactly, so they must not change unseen.
	var vb bytes.Buffer
	if err := format.WriteVocab(&vb, counts); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"vecbolt.txt", write(t, format.Word2VecText, format.WriterOptions{Count: len(want), Dim: len(want[0].Vector)}, want)},
		{"vecbolt.bin", write(t, format.Word2VecBinary, format.WriterOptions{Count: len(want), Dim: len(want[0].Vector)}, want)},
		{"vecbolt.vocab", vb.Bytes()},
	} {
		p := filepath.Join(dir, tc.name)
		if *update {
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run go test -update, then bench/gensim/parity.py --formats)", err)
		}
		if !bytes.Equal(old, tc.data) {
			t.Errorf("%s differs from what vecbolt writes now: check that gensim reads it (bench/gensim/parity.py --formats), then go test -update", p)
		}
	}
}

func TestVocabErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
	}{
		{"the 10\nof\n", 2},
		{"the 10\nof -3\n", 2},
		{"the ten\n", 1},
		{"a b c\n", 1},
	} {
		_, err := format.ReadVocab(strings.NewReader(tc.in), "v.txt")
		var pe *format.ParseError
		if !errors.As(err, &pe) || !errors.Is(err, format.ErrMalformed) || pe.Line != tc.line {
			t.Errorf("ReadVocab(%q): %v, want a ParseError at line %d", tc.in, err, tc.line)
		}
	}
	got, err := format.ReadVocab(strings.NewReader("\nthe 10\n\n of\t7 \n"), "v.txt")
	if err != nil || len(got) != 2 || got[1] != (format.VocabEntry{Word: "of", Count: 7}) {
		t.Errorf("blank lines and spacing: %+v, %v", got, err)
	}
	for _, e := range []format.VocabEntry{{Word: "", Count: 1}, {Word: "a b", Count: 1}, {Word: "a\u00a0b", Count: 1}} {
		if err := format.WriteVocab(&bytes.Buffer{}, []format.VocabEntry{e}); !errors.Is(err, format.ErrInvalidKey) {
			t.Errorf("WriteVocab(%+v): %v, want ErrInvalidKey", e, err)
		}
	}
	if err := format.WriteVocab(&bytes.Buffer{}, []format.VocabEntry{{Word: "a", Count: -1}}); !errors.Is(err, format.ErrMalformed) {
		t.Errorf("WriteVocab negative count: %v", err)
	}
}

// FuzzReadVocab checks that ReadVocab never panics and that what it reads
// writes and reads back the same.
func FuzzReadVocab(f *testing.F) {
	f.Add("the 10\nof 7\n")
	f.Add("a 1\n\nb x\n")
	f.Add(" \t\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := format.ReadVocab(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := format.WriteVocab(&b, got); err != nil {
			t.Fatalf("WriteVocab of what ReadVocab read: %v", err)
		}
		again, err := format.ReadVocab(&b, "again")
		if err != nil || len(again) != len(got) {
			t.Fatalf("round trip: %v, %d entries, want %d", err, len(again), len(got))
		}
		for i := range got {
			if again[i] != got[i] {
				t.Fatalf("round trip entry %d: %+v, want %+v", i, again[i], got[i])
			}
		}
	})
}
