package format_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
)

// w2vBinary is small in word2vec binary, built from the spec: header line,
// then word, space, 3 float32 LE, newline.
func w2vBinary(newlines bool) []byte {
	b := []byte("3 3\n")
	for _, r := range small {
		b = append(b, r.Key...)
		b = append(b, ' ')
		for _, v := range r.Vector {
			b = append(b, le32(v)...)
		}
		if newlines {
			b = append(b, '\n')
		}
	}
	return b
}

// fvecs is small in fvecs: int32 dim then the floats, keys are row numbers.
func fvecs() []byte {
	var b []byte
	for _, r := range small {
		b = append(b, le32(3)...)
		for _, v := range r.Vector {
			b = append(b, le32(v)...)
		}
	}
	return b
}

func fvecsRecords() []format.Record {
	out := make([]format.Record, len(small))
	for i, r := range small {
		out[i] = format.Record{Key: []string{"0", "1", "2"}[i], Vector: r.Vector}
	}
	return out
}

func readFile(t *testing.T, name string) []byte { return readFile2(t, name) }

func readFile2(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadFixtures(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		f         format.Format
		want      []format.Record
		count     int
		wantLines []int
	}{
		{"small.txt", readFile(t, "small.txt"), format.GloVe, small, -1, []int{1, 2, 3}},
		{"small.vec", readFile(t, "small.vec"), format.Word2VecText, small, 3, []int{2, 3, 4}},
		{"small.vec as GloVe", readFile(t, "small.vec"), format.GloVe, small, 3, []int{2, 3, 4}},
		{"small.jsonl", readFile(t, "small.jsonl"), format.JSONL, smallMeta, -1, []int{1, 2, 3}},
		{"small.csv", readFile(t, "small.csv"), format.CSV, smallMeta, -1, []int{2, 3, 4}},
		{"headerless csv", []byte("the,0.5,-1.25,3\nof, 0.1 ,0.002,-4e-05\ncafé,1,2.5,-0\n"), format.CSV, small, -1, []int{1, 2, 3}},
		{"w2v binary", w2vBinary(true), format.Word2VecBinary, small, 3, []int{0, 0, 0}},
		{"w2v binary without newlines", w2vBinary(false), format.Word2VecBinary, small, 3, []int{0, 0, 0}},
		{"fvecs", fvecs(), format.FVecs, fvecsRecords(), -1, []int{0, 0, 0}},
	}
	for _, tt := range tests {
		for _, zip := range []bool{false, true} {
			name := tt.name
			data := tt.data
			if zip {
				name += ".gz"
				data = gz(t, data)
			}
			t.Run(name, func(t *testing.T) {
				r, err := format.NewReader(bytes.NewReader(data), tt.f, format.ReaderOptions{Name: name})
				if err != nil {
					t.Fatal(err)
				}
				if r.Count() != tt.count {
					t.Errorf("Count() = %d, want %d", r.Count(), tt.count)
				}
				var got []format.Record
				for i := 0; ; i++ {
					rec, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if r.Line() != tt.wantLines[i] {
						t.Errorf("record %d: Line() = %d, want %d", i, r.Line(), tt.wantLines[i])
					}
					got = append(got, rec)
				}
				if err := sameRecords(got, tt.want); err != nil {
					t.Error(err)
				}
				if r.Dim() != 3 {
					t.Errorf("Dim() = %d, want 3", r.Dim())
				}
				if _, err := r.Read(); err != io.EOF {
					t.Errorf("Read after EOF: %v", err)
				}
			})
		}
	}
}

// TestRecordsAreFresh checks the documented ownership: records do not share
// memory with each other or the reader's buffers.
func TestRecordsAreFresh(t *testing.T) {
	for _, f := range []format.Format{format.GloVe, format.JSONL, format.CSV} {
		data := write(t, f, format.WriterOptions{}, smallMeta)
		recs, errs, err := readAll(t, data, f, format.ReaderOptions{})
		if err != nil || len(errs) > 0 {
			t.Fatal(err, errs)
		}
		recs[0].Vector[0] = 42
		if recs[1].Vector[0] == 42 || recs[2].Vector[0] == 42 {
			t.Errorf("%v: records share vector memory", f)
		}
	}
}

func TestGloVeSpacesInKey(t *testing.T) {
	// GloVe 840B has tokens with spaces: the last d fields are the vector.
	in := "the 1 2\n. . . 3 4\nat  name@x.com 5 6\r\n"
	want := []format.Record{
		{Key: "the", Vector: []float32{1, 2}},
		{Key: ". . .", Vector: []float32{3, 4}},
		{Key: "at  name@x.com", Vector: []float32{5, 6}},
	}
	got, errs, err := readAll(t, []byte(in), format.GloVe, format.ReaderOptions{})
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if err := sameRecords(got, want); err != nil {
		t.Fatal(err)
	}
	// Dim given up front: the first line may have spaces too.
	got, errs, err = readAll(t, []byte("a b 1 2\n"), format.GloVe, format.ReaderOptions{Dim: 2})
	if err != nil || len(errs) > 0 || len(got) != 1 || got[0].Key != "a b" {
		t.Fatalf("with Dim 2: %v %v %v", got, errs, err)
	}
}

func TestBlankLinesAndCRLF(t *testing.T) {
	tests := []struct {
		f    format.Format
		in   string
		line []int
	}{
		{format.GloVe, "\r\n  \nthe 0.5 -1.25 3\r\n\t\r\nof 0.1 0.002 -4e-05\r\ncafé 1 2.5 -0", []int{3, 5, 6}},
		{format.Word2VecText, "\n3 3\r\n\nthe 0.5 -1.25 3\r\nof 0.1 0.002 -4e-05\r\n\r\ncafé 1 2.5 -0\r\n\r\n", []int{4, 5, 7}},
		{format.JSONL, "\xef\xbb\xbf{\"key\":\"the\",\"vector\":[0.5,-1.25,3]}\r\n \r\n{\"key\":\"of\",\"vector\":[0.1,0.002,-4e-05]}\r\n\n{\"key\":\"café\",\"vector\":[1,2.5,-0]}", []int{1, 3, 5}},
		{format.CSV, "\xef\xbb\xbfkey,a,b,c\r\nthe,0.5,-1.25,3\r\n\r\nof,0.1,0.002,-4e-05\r\ncafé,1,2.5,-0\r\n", []int{2, 4, 5}},
		{format.GloVe, "\xef\xbb\xbfthe 0.5 -1.25 3\nof 0.1 0.002 -4e-05\ncafé 1 2.5 -0\n", []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.f.String(), func(t *testing.T) {
			r, err := format.NewReader(strings.NewReader(tt.in), tt.f, format.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []format.Record
			for {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if want := tt.line[len(got)]; r.Line() != want {
					t.Errorf("record %d on line %d, want %d", len(got), r.Line(), want)
				}
				got = append(got, rec)
			}
			if err := sameRecords(got, small); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGzipSniffing(t *testing.T) {
	plain := readFile(t, "small.txt")
	// Compressed input is detected by content, not by name; plain input
	// under a .gz name still reads.
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"x.txt", gz(t, plain)},
		{"x.txt.gz", plain},
		{"twice.txt", gz(t, gz(t, plain))},
	} {
		got, errs, err := readAll(t, tt.data, format.GloVe, format.ReaderOptions{Name: tt.name})
		if tt.name == "twice.txt" {
			// Only one layer is removed: the inner gzip is garbage text.
			if err == nil && len(errs) == 0 {
				t.Errorf("%s: doubly compressed input read without error", tt.name)
			}
			continue
		}
		if err != nil || len(errs) > 0 {
			t.Fatalf("%s: %v %v", tt.name, err, errs)
		}
		if err := sameRecords(got, small); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	// A corrupt gzip stream is a final error naming the file.
	bad := gz(t, bytes.Repeat(plain, 50))
	bad = bad[:len(bad)/2]
	_, _, err := readAll(t, bad, format.GloVe, format.ReaderOptions{Name: "cut.txt.gz"})
	if err == nil || !strings.Contains(err.Error(), "cut.txt.gz") || !errors.Is(err, format.ErrTruncated) {
		t.Errorf("truncated gzip: %v", err)
	}
	// Gzip's magic bytes followed by anything but a gzip stream say so,
	// whether the header or the deflate data is bad.
	good := gz(t, plain)
	flipped := bytes.Clone(good)
	flipped[12] ^= 0xff // inside the deflate stream
	for name, in := range map[string][]byte{
		"magic only":   []byte("\x1f\x8b\x08"),
		"garbage":      []byte("\x1f\x8b\x08\x00garbage that is not deflate at all, long enough to read"),
		"bad deflate":  flipped,
		"bad checksum": append(bytes.Clone(good[:len(good)-8]), 0, 0, 0, 0, good[len(good)-4], good[len(good)-3], good[len(good)-2], good[len(good)-1]),
	} {
		_, _, err := readAll(t, in, format.GloVe, format.ReaderOptions{Name: "x.gz"})
		if err == nil || !strings.Contains(err.Error(), "x.gz") ||
			!(strings.Contains(err.Error(), "not a valid gzip stream") || strings.Contains(err.Error(), "gzip stream ends early")) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDimOption(t *testing.T) {
	for _, tt := range []struct {
		f  format.Format
		in []byte
	}{
		{format.GloVe, readFile(t, "small.txt")},
		{format.Word2VecText, readFile(t, "small.vec")},
		{format.CSV, readFile(t, "small.csv")},
		{format.JSONL, readFile(t, "small.jsonl")},
		{format.Word2VecBinary, w2vBinary(true)},
		{format.FVecs, fvecs()},
	} {
		got, errs, err := readAll(t, tt.in, tt.f, format.ReaderOptions{Dim: 3})
		if err != nil || len(errs) > 0 || len(got) != 3 {
			t.Errorf("%v Dim 3: %d records, %v %v", tt.f, len(got), errs, err)
		}
		got, errs, err = readAll(t, tt.in, tt.f, format.ReaderOptions{Dim: 4})
		if err == nil && len(errs) == 0 {
			t.Errorf("%v Dim 4: no error, %d records", tt.f, len(got))
			continue
		}
		if err == nil {
			err = errs[0]
		}
		var de *format.DimensionError
		if !errors.As(err, &de) || de.Want != 4 || de.Got != 3 {
			t.Errorf("%v Dim 4: %v, want a DimensionError got 3 want 4", tt.f, err)
		}
	}
}

func TestGloVe50k(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 16 MB file")
	}
	data := gloveFile(t)
	r, err := format.NewReader(bytes.NewReader(data), format.GloVe, format.ReaderOptions{Name: "glove-50k-100d.txt.gz"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			if rec.Key != "the" || rec.Vector[0] != -0.038194 || rec.Vector[99] != 0.27062 {
				t.Errorf("first record %q %v...%v", rec.Key, rec.Vector[0], rec.Vector[99])
			}
		}
		n++
	}
	if n != 50000 || r.Dim() != 100 || r.Count() != -1 {
		t.Errorf("read %d records of dim %d (count %d), want 50000 of dim 100", n, r.Dim(), r.Count())
	}
}

const glovePath = "../../../shared/data/glove-50k-100d.txt.gz"

func gloveFile(tb testing.TB) []byte {
	data, err := os.ReadFile(glovePath)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("%s is absent", glovePath)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestParseFloatAgainstStrconv checks the reader's number parsing against
// strconv.ParseFloat(s, 32) on many random decimals, short ones (which take
// a fast path) and long ones.
func TestParseFloatAgainstStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var toks []string
	for i := 0; i < 20000; i++ {
		var s string
		switch i % 4 {
		case 0: // short decimal, like GloVe's
			s = strconv.FormatFloat(rng.NormFloat64(), 'f', rng.IntN(8), 64)
		case 1: // many digits
			s = strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(12)-6)), 'f', -1, 64)
		case 2: // digit strings around 2^23 with a point somewhere
			n := strconv.Itoa(8388600 + rng.IntN(20))
			p := rng.IntN(len(n) + 1)
			s = n[:p] + "." + n[p:]
		case 3:
			s = strconv.FormatFloat(rng.NormFloat64(), 'g', -1, 32)
		}
		if rng.IntN(5) == 0 {
			s = "+" + strings.TrimPrefix(s, "-")
		}
		toks = append(toks, s)
	}
	toks = append(toks, "0", "-0", "0.", ".5", "-.5", "00012.5000", "0.00000000001", "8388607", "8388608", "1.0000000001")
	var b strings.Builder
	for _, s := range toks {
		b.WriteString("k ")
		b.WriteString(s)
		b.WriteByte('\n')
	}
	got, errs, err := readAll(t, []byte(b.String()), format.GloVe, format.ReaderOptions{})
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	for i, s := range toks {
		want, err := strconv.ParseFloat(s, 32)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if math.Float32bits(got[i].Vector[0]) != math.Float32bits(float32(want)) {
			t.Errorf("%q parsed as %v, strconv says %v", s, got[i].Vector[0], float32(want))
		}
	}
}

func TestLineBeforeRead(t *testing.T) {
	for _, tt := range []struct {
		f  format.Format
		in string
	}{
		{format.GloVe, "\n\na 1\n"}, {format.GloVe, "1 1\na 1\n"}, {format.Word2VecText, "1 1\na 1\n"},
		{format.CSV, "k,x\na,1\n"}, {format.CSV, "a,1\n"}, {format.JSONL, `{"key":"a","vector":[1]}`},
	} {
		r, err := format.NewReader(strings.NewReader(tt.in), tt.f, format.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Line() != 0 {
			t.Errorf("%v %q: Line() = %d before Read", tt.f, tt.in, r.Line())
		}
	}
}

type failReader struct {
	data []byte
	err  error
}

func (r *failReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReaderIOError(t *testing.T) {
	errBroken := errors.New("broken pipe")
	inputs := map[format.Format][]byte{
		format.GloVe: readFile(t, "small.txt"), format.Word2VecText: readFile(t, "small.vec"),
		format.JSONL: readFile(t, "small.jsonl"), format.CSV: readFile(t, "small.csv"),
		format.Word2VecBinary: w2vBinary(true), format.FVecs: fvecs(),
	}
	for f, data := range inputs {
		r, err := format.NewReader(&failReader{data: data[:len(data)-2], err: errBroken}, f, format.ReaderOptions{Name: "in.x"})
		if err != nil {
			t.Fatal(err)
		}
		for err == nil {
			_, err = r.Read()
		}
		var pe *format.ParseError
		if !errors.Is(err, errBroken) || errors.As(err, &pe) || !strings.Contains(err.Error(), "in.x") {
			t.Errorf("%v: %v, want the I/O error with the file name, not a ParseError", f, err)
		}
		if _, err2 := r.Read(); err2 != err {
			t.Errorf("%v: I/O error not final: then %v", f, err2)
		}
	}
}
