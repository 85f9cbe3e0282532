package format_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
)

var negZero = float32(math.Copysign(0, -1))

// small is the content of the testdata/small.* fixtures, written out by hand.
var small = []format.Record{
	{Key: "the", Vector: []float32{0.5, -1.25, 3}},
	{Key: "of", Vector: []float32{0.1, 0.002, -4e-05}},
	{Key: "café", Vector: []float32{1, 2.5, negZero}},
}

// smallMeta is small with the metadata the JSON Lines and CSV fixtures carry.
var smallMeta = []format.Record{
	{Key: "the", Vector: []float32{0.5, -1.25, 3}, Metadata: []byte(`{"rank":1,"pos":"det"}`)},
	small[1],
	small[2],
}

// gz compresses b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// le32 builds little-endian binary data from int32 (dimensions) and float32
// values, the way the fvecs and word2vec binary specs describe them.
func le32(vals ...any) []byte {
	var b []byte
	for _, v := range vals {
		switch v := v.(type) {
		case int:
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
		case float32:
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		case string:
			b = append(b, v...)
		default:
			panic(fmt.Sprintf("le32: %T", v))
		}
	}
	return b
}

// readAll reads every record, collecting valid ones and the errors of the
// skipped ones; it stops at io.EOF or a repeated (final) error.
func readAll(t testing.TB, data []byte, f format.Format, opts format.ReaderOptions) ([]format.Record, []error, error) {
	t.Helper()
	r, err := format.NewReader(bytes.NewReader(data), f, opts)
	if err != nil {
		return nil, nil, err
	}
	return readFrom(t, r)
}

// readFrom is readAll on an open Reader.
func readFrom(t testing.TB, r *format.Reader) ([]format.Record, []error, error) {
	t.Helper()
	var recs []format.Record
	var errs []error
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return recs, errs, nil
		}
		if err != nil {
			if len(errs) > 0 && errs[len(errs)-1] == err {
				return recs, errs[:len(errs)-1], err // final
			}
			var pe *format.ParseError
			if !errors.As(err, &pe) {
				return recs, errs, err
			}
			if len(errs) > 0 {
				var prev *format.ParseError
				errors.As(errs[len(errs)-1], &prev)
				if pe.Record <= prev.Record && !errors.Is(err, format.ErrHeader) {
					t.Fatalf("reader does not advance: %v after %v", err, prev)
				}
			}
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
	}
}

// sameRecords reports the first difference between two record lists, with
// vectors compared bit for bit.
func sameRecords(got, want []format.Record) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d records, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Key != w.Key {
			return fmt.Errorf("record %d: key %q, want %q", i, g.Key, w.Key)
		}
		if len(g.Vector) != len(w.Vector) {
			return fmt.Errorf("record %d (%q): dim %d, want %d", i, g.Key, len(g.Vector), len(w.Vector))
		}
		for j := range g.Vector {
			if math.Float32bits(g.Vector[j]) != math.Float32bits(w.Vector[j]) {
				return fmt.Errorf("record %d (%q): component %d is %v (%#x), want %v (%#x)", i, g.Key, j, g.Vector[j], math.Float32bits(g.Vector[j]), w.Vector[j], math.Float32bits(w.Vector[j]))
			}
		}
		if !bytes.Equal(g.Metadata, w.Metadata) {
			return fmt.Errorf("record %d (%q): metadata %s, want %s", i, g.Key, g.Metadata, w.Metadata)
		}
	}
	return nil
}

// write writes recs in format f and returns the bytes.
func write(t testing.TB, f format.Format, opts format.WriterOptions, recs []format.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := format.NewWriter(&buf, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func float32FromBits(b uint32) float32 { return math.Float32frombits(b) }
