package format_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
)

// TestReadErrors checks the first error each malformed input gives: its
// sentinel and exact position. inNew means NewReader itself fails.
func TestReadErrors(t *testing.T) {
	nan := float32FromBits(0x7fc00000)
	inf := float32FromBits(0x7f800000)
	tests := []struct {
		name     string
		f        format.Format
		in       string
		dim      int
		sentinel error
		line     int
		col      int
		record   int
		offset   int64
		inNew    bool
		contains string
	}{
		// GloVe
		{name: "glove short line", f: format.GloVe, in: "a 1 2\nb 1\n", sentinel: format.ErrDimension, line: 2, record: 2, offset: 6, contains: "got 1 components, want 2"},
		{name: "glove not a number", f: format.GloVe, in: "a 1 2\nb 1 x2\n", sentinel: format.ErrMalformed, line: 2, col: 5, record: 2, offset: 6, contains: `component 2: invalid number "x2"`},
		{name: "glove comma decimal", f: format.GloVe, in: "a 1,5 2\n", sentinel: format.ErrMalformed, line: 1, col: 3, record: 1, contains: `"1,5"`},
		{name: "glove NaN", f: format.GloVe, in: "a 1 2\r\n\r\nb NaN 2\r\n", sentinel: format.ErrNotFinite, line: 3, col: 3, record: 2, offset: 9, contains: "component 1 is NaN"},
		{name: "glove Inf", f: format.GloVe, in: "a 1 -Inf\n", sentinel: format.ErrNotFinite, line: 1, col: 5, record: 1, contains: "component 2 is -Inf"},
		{name: "glove float32 overflow", f: format.GloVe, in: "a 1 2\nb 3.5e38 2\n", sentinel: format.ErrNotFinite, line: 2, col: 3, record: 2, offset: 6, contains: "out of float32 range"},
		{name: "glove key only", f: format.GloVe, in: "lonely\n", sentinel: format.ErrMalformed, line: 1, record: 1, contains: "no vector components"},
		{name: "glove dim option", f: format.GloVe, in: "a 1 2\n", dim: 3, sentinel: format.ErrDimension, line: 1, record: 1},
		{name: "glove sniffed header bad dim", f: format.GloVe, in: "3 0\n", sentinel: format.ErrHeader, line: 1, col: 3, inNew: true},
		// word2vec text
		{name: "w2v no header", f: format.Word2VecText, in: "a 1 2\n", sentinel: format.ErrHeader, line: 1, inNew: true, contains: "not a word2vec header"},
		{name: "w2v header one value", f: format.Word2VecText, in: "3\na 1 2\n", sentinel: format.ErrHeader, line: 1, inNew: true},
		{name: "w2v header dim missing value", f: format.Word2VecText, in: "3 \na 1 2\n", sentinel: format.ErrHeader, line: 1, inNew: true},
		{name: "w2v empty", f: format.Word2VecText, in: "", sentinel: format.ErrHeader, inNew: true},
		{name: "w2v header vs dim option", f: format.Word2VecText, in: "1 2\na 1 2\n", dim: 3, sentinel: format.ErrDimension, line: 1, col: 3, inNew: true},
		{name: "w2v short line", f: format.Word2VecText, in: "2 3\na 1 2 3\nb 1 2\n", sentinel: format.ErrDimension, line: 3, record: 2, offset: 12},
		{name: "w2v too few records", f: format.Word2VecText, in: "3 2\na 1 2\nb 1 2\n", sentinel: format.ErrHeader, line: 3, record: 2, offset: 10, contains: "header declares 3 records, file has 2"},
		{name: "w2v too many records", f: format.Word2VecText, in: "1 2\na 1 2\nb 1 2\n", sentinel: format.ErrHeader, line: 3, record: 2, offset: 10, contains: "header declares 1 records, file has 2"},
		// word2vec binary
		{name: "w2vbin empty", f: format.Word2VecBinary, in: "", sentinel: format.ErrHeader, inNew: true},
		{name: "w2vbin text header", f: format.Word2VecBinary, in: "x y\n", sentinel: format.ErrHeader, line: 1, inNew: true},
		{name: "w2vbin truncated vector", f: format.Word2VecBinary, in: "2 2\n" + string(le32("a ", float32(1), float32(2), "\nbb ", float32(3))) + "\x00\x00", sentinel: format.ErrTruncated, record: 2, offset: 15, contains: "after 6 of 8 bytes"},
		{name: "w2vbin truncated word", f: format.Word2VecBinary, in: "2 2\n" + string(le32("a ", float32(1), float32(2), "\nbb")), sentinel: format.ErrTruncated, record: 2, offset: 15, contains: `inside the word "bb"`},
		{name: "w2vbin NaN", f: format.Word2VecBinary, in: "1 2\n" + string(le32("a ", float32(1), nan)), sentinel: format.ErrNotFinite, record: 1, offset: 4, contains: "component 2 is NaN"},
		{name: "w2vbin Inf", f: format.Word2VecBinary, in: "1 2\n" + string(le32("a ", inf, float32(1))), sentinel: format.ErrNotFinite, record: 1, offset: 4, contains: "component 1 is +Inf"},
		{name: "w2vbin empty word", f: format.Word2VecBinary, in: "1 1\n" + string(le32(" ", float32(1))), sentinel: format.ErrInvalidKey, record: 1, offset: 4},
		{name: "w2vbin count", f: format.Word2VecBinary, in: "2 1\n" + string(le32("a ", float32(1))), sentinel: format.ErrHeader, record: 1, offset: 4, contains: "header declares 2 records, file has 1"},
		// fvecs
		{name: "fvecs truncated dim", f: format.FVecs, in: string(le32(1, float32(1))) + "\x01\x00", sentinel: format.ErrTruncated, record: 2, offset: 8, contains: "inside the dimension"},
		{name: "fvecs truncated vector", f: format.FVecs, in: string(le32(2, float32(1), float32(2), 2, float32(1))), sentinel: format.ErrTruncated, record: 2, offset: 12, contains: "after 4 of 8 bytes"},
		{name: "fvecs zero dim", f: format.FVecs, in: string(le32(0)), sentinel: format.ErrMalformed, record: 1},
		{name: "fvecs negative dim", f: format.FVecs, in: string(le32(1, float32(1), -5)), sentinel: format.ErrMalformed, record: 2, offset: 8, contains: "dimension -5"},
		{name: "fvecs huge dim", f: format.FVecs, in: string(le32(1 << 30)), sentinel: format.ErrMalformed, record: 1},
		{name: "fvecs dim 0x8b1f is not gzip", f: format.FVecs, in: string(le32(0x8b1f, float32(1))), sentinel: format.ErrTruncated, record: 1, contains: "after 4 of 142460 bytes"},
		{name: "fvecs dim change", f: format.FVecs, in: string(le32(1, float32(1), 2, float32(1), float32(2))), sentinel: format.ErrDimension, record: 2, offset: 8, contains: "got 2 components, want 1"},
		{name: "fvecs NaN", f: format.FVecs, in: string(le32(2, float32(1), nan)), sentinel: format.ErrNotFinite, record: 1, contains: "component 2 is NaN"},
		// JSON Lines
		{name: "jsonl syntax", f: format.JSONL, in: `{"key":"a","vector":[1,2]}` + "\n" + `{"key":"b" "vector":[1,2]}`, sentinel: format.ErrMalformed, line: 2, col: 12, record: 2, offset: 27},
		{name: "jsonl not an object", f: format.JSONL, in: `[1,2]`, sentinel: format.ErrMalformed, line: 1, col: 1, record: 1},
		{name: "jsonl no key", f: format.JSONL, in: `{"vector":[1,2]}`, sentinel: format.ErrMalformed, line: 1, record: 1, contains: `no "key"`},
		{name: "jsonl empty key", f: format.JSONL, in: `{"key":"","vector":[1,2]}`, sentinel: format.ErrInvalidKey, line: 1, record: 1},
		{name: "jsonl numeric key", f: format.JSONL, in: `{"key":7,"vector":[1,2]}`, sentinel: format.ErrMalformed, line: 1, col: 8, record: 1, contains: `"key" is a JSON number`},
		{name: "jsonl no vector", f: format.JSONL, in: `{"key":"a"}`, sentinel: format.ErrMalformed, line: 1, record: 1, contains: `no "vector"`},
		{name: "jsonl vector not array", f: format.JSONL, in: `{"key":"a", "vector": "1 2"}`, sentinel: format.ErrMalformed, line: 1, col: 23, record: 1},
		{name: "jsonl string component", f: format.JSONL, in: `{"key":"a","vector":[1, "2"]}`, sentinel: format.ErrMalformed, line: 1, col: 25, record: 1, contains: `component 2: "2" is not a number`},
		{name: "jsonl null component", f: format.JSONL, in: `{"key":"a","vector":[1,2,null]}`, sentinel: format.ErrMalformed, line: 1, col: 26, record: 1},
		{name: "jsonl overflow", f: format.JSONL, in: `{"vector":[1e39],"key":"a"}`, sentinel: format.ErrNotFinite, line: 1, col: 12, record: 1},
		{name: "jsonl dim", f: format.JSONL, in: `{"key":"a","vector":[1,2]}` + "\n" + `{"key":"b","vector":[1]}`, sentinel: format.ErrDimension, line: 2, record: 2, offset: 27},
		{name: "jsonl empty vector", f: format.JSONL, in: `{"key":"a","vector":[]}`, sentinel: format.ErrMalformed, line: 1, record: 1},
		{name: "jsonl metadata array", f: format.JSONL, in: `{"key":"a","vector":[1],"metadata":[1]}`, sentinel: format.ErrMalformed, line: 1, record: 1, contains: "not a JSON object"},
		{name: "jsonl metadata string", f: format.JSONL, in: `{"key":"a","vector":[1],"metadata":"{}"}`, sentinel: format.ErrMalformed, line: 1, record: 1},
		// CSV
		{name: "csv not a number", f: format.CSV, in: "a,1,2\nb,1,zz\n", sentinel: format.ErrMalformed, line: 2, col: 5, record: 2, offset: 6, contains: `component 2: invalid number "zz"`},
		{name: "csv dim", f: format.CSV, in: "a,1,2\nb,1,2,3\n", sentinel: format.ErrDimension, line: 2, record: 2, offset: 6},
		{name: "csv dim with header", f: format.CSV, in: "k,x,y,metadata\na,1,2,\nb,1,\n", sentinel: format.ErrDimension, line: 3, record: 2, offset: 22},
		{name: "csv empty key", f: format.CSV, in: "a,1\n,2\n", sentinel: format.ErrInvalidKey, line: 2, col: 1, record: 2, offset: 4},
		{name: "csv NaN", f: format.CSV, in: "a,1,nan\n", sentinel: format.ErrNotFinite, line: 1, col: 5, record: 1},
		{name: "csv bad metadata", f: format.CSV, in: "key,x,metadata\na,1,\"[1]\"\n", sentinel: format.ErrMalformed, line: 2, col: 5, record: 1, offset: 15},
		{name: "csv bare quote", f: format.CSV, in: "a,1\nb,1\"x\n", sentinel: format.ErrMalformed, line: 2, col: 4, record: 2, offset: 4},
		{name: "csv bare quote first row", f: format.CSV, in: "a,1\"\n", sentinel: format.ErrMalformed, line: 1, col: 4, record: 1},
		{name: "csv header without vector", f: format.CSV, in: "key,metadata\n", sentinel: format.ErrHeader, line: 1, inNew: true},
		{name: "csv key only", f: format.CSV, in: "a\n", sentinel: format.ErrMalformed, line: 1, record: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := format.NewReader(strings.NewReader(tt.in), tt.f, format.ReaderOptions{Name: "in", Dim: tt.dim})
			if err == nil && tt.inNew {
				t.Fatalf("NewReader succeeded, want an error")
			}
			if err != nil && !tt.inNew {
				t.Fatalf("NewReader: %v", err)
			}
			if err == nil {
				for err == nil {
					_, err = r.Read()
				}
			}
			if err == io.EOF {
				t.Fatal("no error")
			}
			var pe *format.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("error %v does not wrap %v", err, tt.sentinel)
			}
			if pe.File != "in" || pe.Line != tt.line || pe.Column != tt.col || pe.Record != tt.record || pe.Offset != tt.offset {
				t.Errorf("error %v at file %q line %d col %d record %d offset %d; want line %d col %d record %d offset %d",
					err, pe.File, pe.Line, pe.Column, pe.Record, pe.Offset, tt.line, tt.col, tt.record, tt.offset)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
			t.Log(err)
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	tests := []struct {
		err  *format.ParseError
		want string
	}{
		{&format.ParseError{File: "g.txt", Line: 3, Column: 5, Err: format.ErrMalformed}, "g.txt:3:5: malformed input"},
		{&format.ParseError{File: "-", Line: 3, Err: &format.DimensionError{Got: 2, Want: 3}}, "<stdin>:3: wrong dimension: got 2 components, want 3"},
		{&format.ParseError{Record: 7, Offset: 99, Err: format.ErrTruncated}, "<input>: record 7 (byte offset 99): truncated input"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestSkipInvalid checks that text readers continue after a bad line (the
// CLI's --skip-invalid) and binary readers after a bad but complete record,
// while truncation is final.
func TestSkipInvalid(t *testing.T) {
	tests := []struct {
		name     string
		f        format.Format
		in       []byte
		keys     []string
		errLines []int // or records, for binary formats
		final    error
	}{
		{"glove", format.GloVe, []byte("a 1 2\nb 1\nc 1 x\n\nd nan 1\ne 3 4\nf 1 2 3 4\n"), []string{"a", "e", "f 1 2"}, []int{2, 3, 5}, nil},
		{"glove first line bad", format.GloVe, []byte("a 1 x\nb 1\nc 1 2\n"), []string{"b", "c 1"}, []int{1}, nil},
		{"word2vec", format.Word2VecText, []byte("4 2\na 1 2\nb 1\nc 1 2\n"), []string{"a", "c"}, []int{3, 4}, nil},
		{"jsonl", format.JSONL, []byte("{\"key\":\"a\",\"vector\":[1]}\n{oops\n{\"key\":\"b\",\"vector\":[1,2]}\n{\"key\":\"c\",\"vector\":[2]}\n"), []string{"a", "c"}, []int{2, 3}, nil},
		{"csv", format.CSV, []byte("k,x,metadata\na,1,\nb,1,{\nc,2,\"{\"\"n\"\":1}\"\nd,\"1\n"), []string{"a", "c"}, []int{3, 5}, nil},
		{"csv bad first row", format.CSV, []byte("a,1\"\nb,2\n"), []string{"b"}, []int{1}, nil},
		{"w2vbin", format.Word2VecBinary, []byte("3 1\n" + string(le32("a ", float32(1), "\n ", float32(2), "\nc ", float32(3), "\nd ")) + "\x00"), []string{"a", "c"}, []int{2}, format.ErrTruncated},
		{"fvecs", format.FVecs, le32(1, float32(1), 2, float32(1), float32(2), 1, float32(3), 1), []string{"0", "2"}, []int{2}, format.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, errs, err := readAll(t, tt.in, tt.f, format.ReaderOptions{})
			if tt.final == nil && err != nil || tt.final != nil && !errors.Is(err, tt.final) {
				t.Fatalf("final error %v, want %v", err, tt.final)
			}
			var keys []string
			for _, r := range recs {
				keys = append(keys, r.Key)
			}
			if strings.Join(keys, "|") != strings.Join(tt.keys, "|") {
				t.Errorf("keys %q, want %q", keys, tt.keys)
			}
			var where []int
			for _, e := range errs {
				var pe *format.ParseError
				errors.As(e, &pe)
				if pe.Line > 0 {
					where = append(where, pe.Line)
				} else {
					where = append(where, pe.Record)
				}
			}
			if len(where) != len(tt.errLines) || !equalInts(where, tt.errLines) {
				t.Errorf("errors at %v, want %v: %v", where, tt.errLines, errs)
			}
		})
	}
}

func TestTruncationIsFinal(t *testing.T) {
	in := "2 2\n" + string(le32("a ", float32(1), float32(2), "\nbb ", float32(3)))
	r, err := format.NewReader(bytes.NewReader([]byte(in)), format.Word2VecBinary, format.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	_, err1 := r.Read()
	_, err2 := r.Read()
	if !errors.Is(err1, format.ErrTruncated) || err1 != err2 {
		t.Errorf("reads after truncation: %v, then %v", err1, err2)
	}
}

func equalInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
