package format_test

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var allFormats = []format.Format{format.GloVe, format.Word2VecText, format.Word2VecBinary, format.FVecs, format.JSONL, format.CSV}

// hasMeta reports whether f stores metadata; hasKeys whether it stores keys.
func hasMeta(f format.Format) bool { return f == format.JSONL || f == format.CSV }
func hasKeys(f format.Format) bool { return f != format.FVecs }

// expected returns what reading back recs written in f gives.
func expected(f format.Format, recs []format.Record) []format.Record {
	out := make([]format.Record, len(recs))
	for i, r := range recs {
		out[i] = r
		if !hasMeta(f) {
			out[i].Metadata = nil
		}
		if !hasKeys(f) {
			out[i].Key = strconv.Itoa(i)
		}
	}
	return out
}

// awkward are float32s that are easy to lose in a text round trip.
var awkward = []float32{
	0, negZero, 0.1, 1.0 / 3, -2.5e-5, math.MaxFloat32, -math.MaxFloat32,
	math.SmallestNonzeroFloat32, 1.17549435e-38, 16777217, 1e21, 123456, 0.30000001,
}

func roundTripRecords() []format.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	recs := []format.Record{
		{Key: "awkward", Vector: awkward, Metadata: []byte(`{"a":[1,2,{"b":null}],"html":"<&>","uni":"é\u2028"}`)},
		{Key: "ключ", Vector: make([]float32, len(awkward))},
		{Key: "with space", Vector: make([]float32, len(awkward)), Metadata: []byte(`{}`)},
		{Key: "quo\"te,comma\r\n\r\r\nline\n\r", Vector: make([]float32, len(awkward))},
	}
	for i := 0; i < 50; i++ {
		v := make([]float32, len(awkward))
		for j := range v {
			// Random bit patterns cover every exponent; skip NaN/Inf.
			for {
				v[j] = math.Float32frombits(rng.Uint32())
				if !math.IsNaN(float64(v[j])) && !math.IsInf(float64(v[j]), 0) {
					break
				}
			}
		}
		recs = append(recs, format.Record{Key: "r" + strconv.Itoa(i), Vector: v})
	}
	for i := 1; i < 4; i++ {
		for j := range recs[i].Vector {
			recs[i].Vector[j] = float32(rng.NormFloat64())
		}
	}
	return recs
}

func TestRoundTrip(t *testing.T) {
	recs := roundTripRecords()
	for _, f := range allFormats {
		for _, zip := range []bool{false, true} {
			name := f.String()
			if zip {
				name += ".gz"
			}
			t.Run(name, func(t *testing.T) {
				in := recs
				switch f {
				case format.Word2VecBinary:
					in = append([]format.Record(nil), recs...)
					in[2].Key = "with_space"
					in[3].Key = "quo\"te,comma\r\r\nline\n\r"
				case format.GloVe, format.Word2VecText:
					in = append([]format.Record(nil), recs...)
					in[3].Key = "quo\"te,comma\rline"
				}
				data := write(t, f, format.WriterOptions{Count: len(in), Dim: len(awkward), Gzip: zip}, in)
				if zip != (len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b) {
					t.Fatalf("Gzip %v but output starts with % x", zip, data[:2])
				}
				got, errs, err := readAll(t, data, f, format.ReaderOptions{})
				if err != nil || len(errs) > 0 {
					t.Fatal(err, errs)
				}
				if err := sameRecords(got, expected(f, in)); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestGolden pins the exact output of every writer.
func TestGolden(t *testing.T) {
	ext := map[format.Format]string{
		format.GloVe: "txt", format.Word2VecText: "vec", format.Word2VecBinary: "bin",
		format.FVecs: "fvecs", format.JSONL: "jsonl", format.CSV: "csv",
	}
	for _, f := range allFormats {
		t.Run(f.String(), func(t *testing.T) {
			got := write(t, f, format.WriterOptions{Count: 3, Dim: 3}, smallMeta)
			path := filepath.Join("testdata", "golden", "small."+ext[f])
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run go test -update after checking):\ngot:\n%q\nwant:\n%q", path, got, want)
			}
		})
	}
}

func TestWriterRejects(t *testing.T) {
	v2 := []float32{1, 2}
	tests := []struct {
		name     string
		f        format.Format
		opts     format.WriterOptions
		first    *format.Record
		rec      format.Record
		sentinel error
	}{
		{"dim", format.GloVe, format.WriterOptions{}, &format.Record{Key: "a", Vector: v2}, format.Record{Key: "b", Vector: []float32{1}}, format.ErrDimension},
		{"dim option", format.JSONL, format.WriterOptions{Dim: 3}, nil, format.Record{Key: "b", Vector: v2}, format.ErrDimension},
		{"empty vector", format.CSV, format.WriterOptions{}, nil, format.Record{Key: "b"}, format.ErrDimension},
		{"NaN", format.FVecs, format.WriterOptions{}, nil, format.Record{Key: "b", Vector: []float32{1, float32(math.NaN())}}, format.ErrNotFinite},
		{"Inf", format.Word2VecBinary, format.WriterOptions{Count: 1, Dim: 2}, nil, format.Record{Key: "b", Vector: []float32{float32(math.Inf(-1)), 1}}, format.ErrNotFinite},
		{"empty key", format.JSONL, format.WriterOptions{}, nil, format.Record{Vector: v2}, format.ErrInvalidKey},
		{"glove newline", format.GloVe, format.WriterOptions{}, nil, format.Record{Key: "a\nb", Vector: v2}, format.ErrInvalidKey},
		{"glove trailing space", format.Word2VecText, format.WriterOptions{Count: 1, Dim: 2}, nil, format.Record{Key: "a ", Vector: v2}, format.ErrInvalidKey},
		{"glove first key space", format.GloVe, format.WriterOptions{}, nil, format.Record{Key: "a b", Vector: v2}, format.ErrInvalidKey},
		{"glove first key BOM", format.GloVe, format.WriterOptions{}, nil, format.Record{Key: "\ufeffa", Vector: v2}, format.ErrInvalidKey},
		{"glove first key gzip magic", format.GloVe, format.WriterOptions{}, nil, format.Record{Key: "\x1f\x8b\x08", Vector: v2}, format.ErrInvalidKey},
		{"w2v binary space", format.Word2VecBinary, format.WriterOptions{Count: 1, Dim: 2}, nil, format.Record{Key: "a b", Vector: v2}, format.ErrInvalidKey},
		{"w2v binary newline", format.Word2VecBinary, format.WriterOptions{Count: 1, Dim: 2}, nil, format.Record{Key: "\na", Vector: v2}, format.ErrInvalidKey},
		{"jsonl bad utf8", format.JSONL, format.WriterOptions{}, nil, format.Record{Key: "a\xff", Vector: v2}, format.ErrInvalidKey},
		{"metadata array", format.JSONL, format.WriterOptions{}, nil, format.Record{Key: "a", Vector: v2, Metadata: []byte(`[1]`)}, format.ErrMalformed},
		{"metadata invalid", format.CSV, format.WriterOptions{}, nil, format.Record{Key: "a", Vector: v2, Metadata: []byte(`{"a":}`)}, format.ErrMalformed},
		{"too many", format.Word2VecText, format.WriterOptions{Count: 1, Dim: 2}, &format.Record{Key: "a", Vector: v2}, format.Record{Key: "b", Vector: v2}, format.ErrHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := format.NewWriter(&buf, tt.f, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.first != nil {
				if err := w.Write(*tt.first); err != nil {
					t.Fatal(err)
				}
			}
			err = w.Write(tt.rec)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("Write: %v, want %v", err, tt.sentinel)
			}
			t.Log(err)
		})
	}
}

func TestWriterHeaderCount(t *testing.T) {
	if _, err := format.NewWriter(new(bytes.Buffer), format.Word2VecText, format.WriterOptions{Count: 2}); !errors.Is(err, format.ErrHeader) {
		t.Errorf("word2vec without Dim: %v", err)
	}
	var buf bytes.Buffer
	w, err := format.NewWriter(&buf, format.Word2VecBinary, format.WriterOptions{Count: 2, Dim: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(format.Record{Key: "a", Vector: []float32{1}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, format.ErrHeader) {
		t.Errorf("Close after 1 of 2 records: %v, want ErrHeader", err)
	}
	// The file is left as written; the reader sees the mismatch too.
	_, _, err = readAll(t, buf.Bytes(), format.Word2VecBinary, format.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recs, errs, _ := readAll(t, buf.Bytes(), format.Word2VecBinary, format.ReaderOptions{})
	if len(recs) != 1 || len(errs) != 1 || !errors.Is(errs[0], format.ErrHeader) {
		t.Errorf("reading it back: %v %v", recs, errs)
	}
}

func TestGloVeAmbiguousFirstLine(t *testing.T) {
	// "5 1" would read as a word2vec header; the writer keeps it a record.
	recs := []format.Record{{Key: "5", Vector: []float32{1}}, {Key: "7", Vector: []float32{2}}}
	data := write(t, format.GloVe, format.WriterOptions{}, recs)
	if string(data) != "5 1.0\n7 2\n" {
		t.Errorf("wrote %q", data)
	}
	got, errs, err := readAll(t, data, format.GloVe, format.ReaderOptions{})
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if err := sameRecords(got, recs); err != nil {
		t.Error(err)
	}
}

func TestEmptyOutput(t *testing.T) {
	for _, f := range allFormats {
		opts := format.WriterOptions{Dim: 4}
		data := write(t, f, opts, nil)
		r, err := format.NewReader(bytes.NewReader(data), f, format.ReaderOptions{})
		if err != nil {
			t.Errorf("%v: %v", f, err)
			continue
		}
		if _, err := r.Read(); err.Error() != "EOF" {
			t.Errorf("%v: %v", f, err)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n < len(p) {
		n := w.n
		w.n = 0
		return n, errDisk
	}
	w.n -= len(p)
	return len(p), nil
}

var errDisk = errors.New("disk full")

func TestWriterIOError(t *testing.T) {
	for _, f := range allFormats {
		for _, zip := range []bool{false, true} {
			w, err := format.NewWriter(&failWriter{n: 100}, f, format.WriterOptions{Count: 5000, Dim: 3, Gzip: zip})
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for i := 0; i < 5000 && werr == nil; i++ {
				werr = w.Write(format.Record{Key: "k" + strconv.Itoa(i), Vector: []float32{float32(i), 0.1, 0.2}})
			}
			cerr := w.Close()
			if werr == nil {
				werr = cerr
			}
			if !errors.Is(werr, errDisk) || !errors.Is(cerr, errDisk) {
				t.Errorf("%v gzip %v: Write %v, Close %v; want both to wrap the I/O error", f, zip, werr, cerr)
			}
		}
	}
}
