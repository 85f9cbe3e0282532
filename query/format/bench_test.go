package format_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
)

// BenchmarkReadGloVe reads the 50k x 100 GloVe file: "gzip" from the
// compressed bytes, "plain" from the decompressed bytes (parsing alone).
// Bytes per second are of the uncompressed text.
func BenchmarkReadGloVe(b *testing.B) {
	zipped := gloveFile(b)
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		b.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		data []byte
	}{{"plain", plain}, {"gzip", zipped}} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := format.NewReader(bytes.NewReader(bm.data), format.GloVe, format.ReaderOptions{})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					_, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 50000 {
					b.Fatalf("%d records", n)
				}
			}
		})
	}
}

// BenchmarkWrite writes 10,000 records of dimension 100 in each format.
func BenchmarkWrite(b *testing.B) {
	recs := roundTripRecords()
	big := make([]format.Record, 10000)
	for i := range big {
		v := make([]float32, 100)
		for j := range v {
			v[j] = recs[4+(i+j)%50].Vector[j%len(awkward)]
		}
		big[i] = format.Record{Key: "w" + string(rune('a'+i%26)), Vector: v}
	}
	for _, f := range allFormats {
		b.Run(f.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w, err := format.NewWriter(io.Discard, f, format.WriterOptions{Count: len(big), Dim: 100})
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range big {
					if err := w.Write(r); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
