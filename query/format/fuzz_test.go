package format_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
)

// fuzzRoundTrip reads data in format f, checks what the reader returns, then
// writes the valid records and reads them back: they must come back
// identical. A GloVe file with a word2vec header, or whose first key starts
// with bytes GloVe cannot start a file with, is written back as word2vec
// text.
func fuzzRoundTrip(t *testing.T, f format.Format, data []byte) {
	r, err := format.NewReader(bytes.NewReader(data), f, format.ReaderOptions{Name: "fuzz"})
	if err != nil {
		return
	}
	count := r.Count()
	recs, errs, _ := readFrom(t, r) // a final error ends the input; what came before must round-trip
	for _, e := range errs {
		var pe *format.ParseError
		if !errors.As(e, &pe) {
			t.Fatalf("error %v is not a *ParseError", e)
		}
	}
	dim := r.Dim()
	for _, rec := range recs {
		if rec.Key == "" || len(rec.Vector) != dim {
			t.Fatalf("record %q of dim %d, reader dim %d", rec.Key, len(rec.Vector), dim)
		}
		for _, v := range rec.Vector {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("record %q has %v", rec.Key, v)
			}
		}
	}
	out := f
	if f == format.GloVe && (count >= 0 || len(recs) > 0 && (strings.HasPrefix(recs[0].Key, "\ufeff") || strings.HasPrefix(recs[0].Key, "\x1f\x8b\x08"))) {
		// GloVe's first line cannot hold these (see NewWriter).
		out = format.Word2VecText
	}
	if (out == format.Word2VecText || out == format.Word2VecBinary) && dim == 0 {
		return
	}
	var buf bytes.Buffer
	w, err := format.NewWriter(&buf, out, format.WriterOptions{Count: len(recs), Dim: dim})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatalf("writing a record the reader returned: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, errs, err := readAll(t, buf.Bytes(), out, format.ReaderOptions{})
	if err != nil || len(errs) > 0 {
		t.Fatalf("reading back %q: %v %v", buf.Bytes(), err, errs)
	}
	want := recs
	if f == format.FVecs {
		want = expected(f, recs) // keys are row numbers of the new file
	}
	if err := sameRecords(got, want); err != nil {
		t.Fatalf("round trip through %q: %v", buf.Bytes(), err)
	}
}

func addSeeds(f *testing.F, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
		f.Add(gz(f, s))
	}
}

func FuzzGloVe(f *testing.F) {
	addSeeds(f, readFile2(f, "small.txt"), readFile2(f, "small.vec"),
		[]byte("the 1 2\n. . . 3 4\r\n\nat  x 5 6"), []byte("a 1 x\nb 1\nc 1 2\n"),
		[]byte("5 1\nfoo 0.5\n"), []byte("\xef\xbb\xbf5 1.0\n"), []byte(" \x1f\x8b\x08 0"), []byte("a NaN\nb 1e39\nc 0x1p-2\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, format.GloVe, data) })
}

func FuzzWord2VecText(f *testing.F) {
	addSeeds(f, readFile2(f, "small.vec"), []byte("2 3\na b 1 2 3\nc 1 2\n"), []byte("1 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, format.Word2VecText, data) })
}

func FuzzWord2VecBinary(f *testing.F) {
	addSeeds(f, w2vBinary(true), w2vBinary(false),
		[]byte("2 2\n"+string(le32("a ", float32(1), float32(2), "\nbb ", float32(3)))),
		[]byte("3 1\n"+string(le32("a ", float32(1), "\n ", float32(2), "\n\nc\td ", float32(3)))))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, format.Word2VecBinary, data) })
}

func FuzzFVecs(f *testing.F) {
	addSeeds(f, fvecs(), le32(1, float32(1), 2, float32(1), float32(2), 1, float32(3), 1), le32(-1), le32(2, float32(1)), le32(0x8b1f, float32(1)))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, format.FVecs, data) })
}

func FuzzJSONL(f *testing.F) {
	addSeeds(f, readFile2(f, "small.jsonl"),
		[]byte(`{"key":"a\u2028<>","vector":[1e-45, -0, 3.4028235e38],"metadata":{ "x" : [ 1 , "\u00e9" ] }, "extra":1}`),
		[]byte("{\"key\":\"a\",\"vector\":[1]}\n{oops\n{\"key\":\"b\",\"vector\":[1,2]}\n{\"key\":\"c\",\"vector\":[2],\"metadata\":null}\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, format.JSONL, data) })
}

func FuzzCSV(f *testing.F) {
	addSeeds(f, readFile2(f, "small.csv"), []byte("the,0.5,-1.25,3\nof, 0.1 ,0.002,-4e-05\n"),
		[]byte("k,x,metadata\na,1,\nb,1,{\nc,2,\"{\"\"n\"\":1}\"\nd,\"1\n"), []byte("\"a\nb\",1\n\" c\",2\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, format.CSV, data) })
}
