package format_test

import (
	"errors"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
)

func TestFromName(t *testing.T) {
	tests := []struct {
		name string
		want format.Format
	}{
		{"glove.6B.100d.txt", format.GloVe},
		{"glove.6B.100d.txt.gz", format.GloVe},
		{"/data/x.glove", format.GloVe},
		{"wiki.en.vec", format.Word2VecText},
		{"x.vec.gz", format.Word2VecText},
		{"GoogleNews-vectors-negative300.bin.gz", format.Word2VecBinary},
		{"MODEL.BIN", format.Word2VecBinary},
		{"sift_base.fvecs", format.FVecs},
		{"a.jsonl", format.JSONL},
		{"a.ndjson.gz", format.JSONL},
		{"dir.csv/a.csv", format.CSV},
		{"a.CSV.GZ", format.CSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := format.FromName(tt.name)
			if err != nil || got != tt.want {
				t.Fatalf("FromName(%q) = %v, %v; want %v", tt.name, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"a.npy", "a.gz", "noext", "-", "", "a.txt.bz2"} {
		_, err := format.FromName(bad)
		if !errors.Is(err, format.ErrUnknownFormat) {
			t.Errorf("FromName(%q) error %v, want ErrUnknownFormat", bad, err)
		}
	}
}

func TestParse(t *testing.T) {
	for f := format.GloVe; f <= format.CSV; f++ {
		got, err := format.Parse(f.String())
		if err != nil || got != f {
			t.Errorf("Parse(%q) = %v, %v", f.String(), got, err)
		}
	}
	aliases := map[string]format.Format{
		"GloVe": format.GloVe, "txt": format.GloVe, "vec": format.Word2VecText,
		"word2vec-text": format.Word2VecText, "bin": format.Word2VecBinary,
		"ndjson": format.JSONL, " CSV ": format.CSV,
	}
	for name, want := range aliases {
		if got, err := format.Parse(name); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := format.Parse("parquet"); !errors.Is(err, format.ErrUnknownFormat) {
		t.Errorf("Parse(parquet) error %v", err)
	}
	if s := format.Format(0).String(); s != "Format(0)" {
		t.Errorf("Format(0).String() = %q", s)
	}
}
