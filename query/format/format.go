package format

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is a file format for embeddings. The zero value is not a format.
type Format int

// The supported formats. See the package documentation for their layout.
const (
	GloVe          Format = iota + 1 // text: word f1 ... fd
	Word2VecText                     // text: header "count dim", then like GloVe
	Word2VecBinary                   // binary: header "count dim\n", then word, space, dim float32 LE
	FVecs                            // binary TEXMEX: int32 LE dim, dim float32 LE; keys are row numbers
	JSONL                            // JSON Lines: {"key":...,"vector":[...],"metadata":{...}}
	CSV                              // key,v1,...,vd with an optional header row
)

var names = [...]string{
	GloVe:          "glove",
	Word2VecText:   "word2vec",
	Word2VecBinary: "word2vec-binary",
	FVecs:          "fvecs",
	JSONL:          "jsonl",
	CSV:            "csv",
}

// aliases maps the names Parse accepts besides String's.
var aliases = map[string]Format{
	"txt":           GloVe,
	"vec":           Word2VecText,
	"word2vec-text": Word2VecText,
	"w2v":           Word2VecText,
	"bin":           Word2VecBinary,
	"w2v-binary":    Word2VecBinary,
	"ndjson":        JSONL,
}

// String returns the format's name as Parse accepts it: "glove", "word2vec",
// "word2vec-binary", "fvecs", "jsonl" or "csv".
func (f Format) String() string {
	if f.valid() {
		return names[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

func (f Format) valid() bool { return f >= GloVe && f <= CSV }

// Parse returns the format with the given name, case-insensitively: a name
// returned by String, or one of the aliases "txt", "vec", "word2vec-text",
// "w2v", "bin", "w2v-binary" and "ndjson". An unknown name gives an error
// wrapping ErrUnknownFormat.
func Parse(name string) (Format, error) {
	s := strings.ToLower(strings.TrimSpace(name))
	for f := GloVe; f <= CSV; f++ {
		if names[f] == s {
			return f, nil
		}
	}
	if f, ok := aliases[s]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, name, strings.Join(names[1:], ", "))
}

// FromName returns the format of a file from its name's extension, after
// removing a trailing ".gz": .txt and .glove are GloVe (whose reader also
// accepts a word2vec header, so .txt files with a "count dim" first line
// read correctly), .vec is word2vec text, .bin word2vec binary, .fvecs
// fvecs, .jsonl and .ndjson JSON Lines, .csv CSV. Case is ignored. An
// unknown extension, or "-" (standard input has no name), gives an error
// naming the file and wrapping ErrUnknownFormat.
func FromName(path string) (Format, error) {
	base := strings.ToLower(filepath.Base(path))
	base = strings.TrimSuffix(base, ".gz")
	switch filepath.Ext(base) {
	case ".txt", ".glove":
		return GloVe, nil
	case ".vec":
		return Word2VecText, nil
	case ".bin":
		return Word2VecBinary, nil
	case ".fvecs":
		return FVecs, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	case ".csv":
		return CSV, nil
	}
	return 0, fmt.Errorf("%w: cannot tell the format of %q from its name (extensions: .txt .glove .vec .bin .fvecs .jsonl .ndjson .csv, optionally .gz)", ErrUnknownFormat, path)
}
