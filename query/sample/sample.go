// Package sample ships a small set of real word vectors with vecbolt, so the
// demo and the tests run offline on a fresh clone.
//
// The data is the 10,000 most frequent words of GloVe 6B with 100
// dimensions (Pennington, Socher and Manning, 2014, "GloVe: Global Vectors for
// Word Representation"), released under the Open Data Commons Public Domain
// Dedication and License v1.0. It is an unmodified prefix of the GloVe text
// file: one word per line followed by 100 space-separated floats, most
// frequent word first.
package sample

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
)

// Name is the file name of the embedded sample.
const Name = "glove-10k-100d.txt.gz"

// Words is the number of words in the sample and Dim their dimension.
const (
	Words = 10000
	Dim   = 100
)

//go:embed glove-10k-100d.txt.gz
var gz []byte

// GloVe returns a reader over the decompressed sample in GloVe text format.
// Each call returns an independent reader; it is safe for concurrent use by
// multiple goroutines as long as each uses its own reader.
func GloVe() io.Reader {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		// The embedded bytes are fixed at build time; failing here means the
		// binary itself is broken.
		panic("sample: embedded data is not gzip: " + err.Error())
	}
	return zr
}

// Compressed returns the gzip-compressed sample bytes. The caller must not
// modify the returned slice.
func Compressed() []byte { return gz }
