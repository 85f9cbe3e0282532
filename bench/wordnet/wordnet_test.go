package wordnet_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench/wordnet"
)

const sampleDir = "testdata/wordnet"

func TestReadLine(t *testing.T) {
	in := "  1 licence header line\n" +
		`00002098 00 a 01 unable 0 002 = 05200169 n 0000 ! 00001740 a 0101 | (usually followed by ` + "`to')" + ` not having the necessary means; "unable to get to town without a car"; "unable to obtain funds"  ` + "\n" +
		`00061219 29 v 02 geld 0 cut 0 002 @ 00060833 v 0000 + 02377388 n 0101 02 + 08 00 + 09 00 | cut off the testicles (of male animals such as horses); "the vet gelded the young horse"` + "\n" +
		`01234567 00 s 02 galore(ip) 0 in_large_amounts 1 000 | in great numbers` + "\n"
	ss, err := wordnet.Read(strings.NewReader(in), "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 3 {
		t.Fatalf("%d synsets, want 3", len(ss))
	}
	a := ss[0]
	if a.Offset != 2098 || a.POS != 'a' || !slices.Equal(a.Lemmas, []string{"unable"}) ||
		a.Definition != "(usually followed by `to') not having the necessary means" ||
		!slices.Equal(a.Examples, []string{"unable to get to town without a car", "unable to obtain funds"}) || a.ID() != "00002098-a" {
		t.Errorf("adjective: %+v", a)
	}
	v := ss[1]
	if v.POS != 'v' || !slices.Equal(v.Lemmas, []string{"geld", "cut"}) || v.Definition != "cut off the testicles (of male animals such as horses)" ||
		!slices.Equal(v.Examples, []string{"the vet gelded the young horse"}) {
		t.Errorf("verb with frames: %+v", v)
	}
	s := ss[2]
	if s.POS != 's' || !slices.Equal(s.Lemmas, []string{"galore", "in_large_amounts"}) || s.Definition != "in great numbers" || s.Examples != nil {
		t.Errorf("satellite with a marker: %+v", s)
	}
}

func TestReadMalformed(t *testing.T) {
	for _, tc := range []struct{ name, line, msg string }{
		{"no gloss bar", "00001740 00 a 01 able 0 000", `no " | "`},
		{"few fields", "00001740 00 a | x", "fields before the gloss"},
		{"bad offset", "0000174x 00 a 01 able 0 000 | x", "synset offset"},
		{"short offset", "1740 00 a 01 able 0 000 | x", "synset offset"},
		{"bad type", "00001740 00 q 01 able 0 000 | x", "synset type"},
		{"bad word count", "00001740 00 a zz able 0 000 | x", "word count"},
		{"zero word count", "00001740 00 a 00 able 0 000 | x", "word count"},
		{"too many words", "00001740 00 a 05 able 0 000 | x", "5 words announced"},
		{"bad lex id", "00001740 00 a 01 able q 000 | x", "lex_id"},
		{"bad pointer count", "00001740 00 a 01 able 0 x0 | x", "pointer count"},
		{"too many pointers", "00001740 00 a 01 able 0 002 = 05200169 n 0000 | x", "2 pointers announced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := "  1 header\n00000001 00 n 01 ok 0 000 | fine\n" + tc.line + "\n"
			_, err := wordnet.Read(strings.NewReader(in), "data.test")
			var pe *wordnet.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, wordnet.ErrSyntax) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.File != "data.test" || pe.Line != 3 || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("got %q, want data.test:3 and %q", err, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "wordnet: data.test:3: ") {
				t.Errorf("message %q does not start with file:line", err)
			}
		})
	}
}

func TestReadDirErrors(t *testing.T) {
	if _, err := wordnet.ReadDir(t.TempDir()); !errors.Is(err, wordnet.ErrNoData) {
		t.Fatalf("empty directory: got %v, want ErrNoData", err)
	}
}

func TestReadSample(t *testing.T) {
	ss, err := wordnet.ReadDir(sampleDir)
	if err != nil {
		t.Fatal(err)
	}
	count := map[byte]int{}
	ids := map[string]bool{}
	for _, s := range ss {
		count[s.POS]++
		if ids[s.ID()] {
			t.Errorf("duplicate id %s", s.ID())
		}
		ids[s.ID()] = true
		if len(s.Examples) == 0 || s.Definition == "" || strings.Contains(s.Definition, `"`) {
			t.Errorf("%s: definition %q, examples %q", s.ID(), s.Definition, s.Examples)
		}
	}
	if len(ss) != 300 || count['n'] != 180 || count['v'] != 60 || count['a']+count['s'] != 40 || count['r'] != 20 {
		t.Errorf("%d synsets by POS %v, want 300: 180 n, 60 v, 40 a+s, 20 r", len(ss), count)
	}
}

func FuzzRead(f *testing.F) {
	f.Add("00002098 00 a 01 unable 0 002 = 05200169 n 0000 ! 00001740 a 0101 | not able; \"unable to go\"")
	f.Add("00061219 29 v 02 geld 0 cut 0 002 @ 00060833 v 0000 + 02377388 n 0101 02 + 08 00 + 09 00 | cut off")
	f.Add("  1 header")
	f.Fuzz(func(t *testing.T, line string) {
		ss, err := wordnet.Read(strings.NewReader(line), "fuzz")
		if err != nil {
			var pe *wordnet.ParseError
			if !errors.As(err, &pe) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		for _, s := range ss {
			if len(s.Lemmas) == 0 || strings.Contains(s.Definition, `"`) {
				t.Fatalf("parsed %+v", s)
			}
			for _, e := range s.Examples {
				if e == "" || strings.Contains(e, `"`) {
					t.Fatalf("example %q", e)
				}
			}
		}
	})
}
