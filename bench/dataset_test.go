package bench_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

// vecsBytes encodes records by hand: per record an int32 dim then the
// values, each value encoded by put (elem bytes).
func vecsBytes(dims []int32, vals [][]float64, elem int) []byte {
	var b bytes.Buffer
	for i, d := range dims {
		binary.Write(&b, binary.LittleEndian, d)
		for _, v := range vals[i] {
			switch elem {
			case 1:
				b.WriteByte(byte(v))
			case 4:
				binary.Write(&b, binary.LittleEndian, math.Float32bits(float32(v)))
			}
		}
	}
	return b.Bytes()
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFvecsRoundTrip(t *testing.T) {
	m := &bench.Matrix{Rows: 3, Dim: 2, Data: []float32{1, 2, 3.5, -4, 0, float32(math.Inf(1))}}
	p := filepath.Join(t.TempDir(), "x.fvecs")
	if err := bench.WriteFvecs(p, m); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	want := vecsBytes([]int32{2, 2, 2}, [][]float64{{1, 2}, {3.5, -4}, {0, math.Inf(1)}}, 4)
	if !bytes.Equal(raw, want) {
		t.Fatalf("encoded bytes differ from the hand-made layout")
	}
	got, err := bench.ReadMatrix(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 3 || got.Dim != 2 || !slices.Equal(got.Data, m.Data) {
		t.Fatalf("got %+v, want %+v", got, m)
	}
}

func TestReadIvecsAndBvecs(t *testing.T) {
	im := &bench.IntMatrix{Rows: 2, Dim: 3, Data: []int32{0, 1, -2, 7, 8, 1 << 30}}
	p := filepath.Join(t.TempDir(), "t.ivecs")
	if err := bench.WriteIvecs(p, im); err != nil {
		t.Fatal(err)
	}
	got, err := bench.ReadIvecs(p)
	if err != nil || got.Rows != 2 || got.Dim != 3 || !slices.Equal(got.Data, im.Data) {
		t.Fatalf("ivecs: %+v, %v", got, err)
	}
	bp := writeTemp(t, "b.bvecs", vecsBytes([]int32{4, 4}, [][]float64{{0, 1, 254, 255}, {9, 8, 7, 6}}, 1))
	bm, err := bench.ReadMatrix(bp)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0, 1, 254, 255, 9, 8, 7, 6}; bm.Rows != 2 || bm.Dim != 4 || !slices.Equal(bm.Data, want) {
		t.Fatalf("bvecs: %+v", bm)
	}
	// An empty file is an empty matrix, not an error.
	e, err := bench.ReadFvecs(writeTemp(t, "e.fvecs", nil))
	if err != nil || e.Rows != 0 {
		t.Fatalf("empty: %+v %v", e, err)
	}
}

func TestReadVecsErrors(t *testing.T) {
	good := vecsBytes([]int32{3, 3, 3}, [][]float64{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, 4) // 16 bytes per record
	tests := []struct {
		name     string
		data     []byte
		sentinel error
		vector   int
		offset   int64
	}{
		{"truncated data", good[:len(good)-5], bench.ErrTruncated, 2, 32},
		{"truncated dim", good[:34], bench.ErrTruncated, 2, 32},
		{"zero dim", vecsBytes([]int32{3, 0}, [][]float64{{1, 2, 3}, {}}, 4), bench.ErrMalformed, 1, 16},
		{"negative dim", vecsBytes([]int32{-1}, [][]float64{{}}, 4), bench.ErrMalformed, 0, 0},
		{"huge dim", vecsBytes([]int32{1 << 30}, [][]float64{{}}, 4), bench.ErrMalformed, 0, 0},
		{"changing dim", vecsBytes([]int32{3, 3, 2}, [][]float64{{1, 2, 3}, {4, 5, 6}, {7, 8}}, 4), bench.ErrMalformed, 2, 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, "bad.fvecs", tc.data)
			_, err := bench.ReadFvecs(p)
			var fe *bench.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FormatError", err)
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("err = %v, want %v", err, tc.sentinel)
			}
			if fe.File != p || fe.Vector != tc.vector || fe.Offset != tc.offset {
				t.Errorf("got file %s vector %d offset %d, want %s %d %d", fe.File, fe.Vector, fe.Offset, p, tc.vector, tc.offset)
			}
			msg := err.Error()
			for _, want := range []string{p, fmt.Sprintf("vector %d", tc.vector), fmt.Sprintf("byte offset %d", tc.offset)} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
		})
	}
	// ivecs and bvecs share the decoder: one check each that the record
	// size is theirs.
	if _, err := bench.ReadIvecs(writeTemp(t, "t.ivecs", good[:20])); !errors.Is(err, bench.ErrTruncated) {
		t.Errorf("ivecs: %v", err)
	}
	b := vecsBytes([]int32{4, 4}, [][]float64{{1, 2, 3, 4}, {5, 6, 7}}, 1)
	var fe *bench.FormatError
	if _, err := bench.ReadBvecs(writeTemp(t, "t.bvecs", b)); !errors.As(err, &fe) || fe.Vector != 1 || fe.Offset != 8 {
		t.Errorf("bvecs: %v", err)
	}
	if _, err := bench.ReadMatrix("x.hdf5"); !errors.Is(err, bench.ErrUnknownFormat) {
		t.Errorf("unknown extension: %v", err)
	}
}

// npyBytes writes a .npy v1.0 file by hand, following the NumPy format
// description: magic, version, little-endian u16 header length, a Python
// dict literal padded with spaces and a newline to a multiple of 64.
func npyBytes(descr string, fortran bool, shape string, payload []byte) []byte {
	f := "False"
	if fortran {
		f = "True"
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	b.Write(payload)
	return b.Bytes()
}

func le32(vals ...float32) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, vals)
	return b.Bytes()
}

func TestReadNpy(t *testing.T) {
	want := []float32{1, 2, 3, 4, 5, 6}
	var f64 bytes.Buffer
	binary.Write(&f64, binary.LittleEndian, []float64{1, 2, 3, 4, 5, 6})
	var fortran bytes.Buffer // column-major of [[1 2 3] [4 5 6]]
	binary.Write(&fortran, binary.LittleEndian, []float32{1, 4, 2, 5, 3, 6})
	tests := []struct {
		name string
		data []byte
	}{
		{"f4", npyBytes("<f4", false, "(2, 3)", le32(want...))},
		{"f8", npyBytes("<f8", false, "(2, 3)", f64.Bytes())},
		{"fortran", npyBytes("<f4", true, "(2, 3)", fortran.Bytes())},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := bench.ReadMatrix(writeTemp(t, "a.npy", tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if m.Rows != 2 || m.Dim != 3 || !slices.Equal(m.Data, want) {
				t.Fatalf("got %+v", m)
			}
		})
	}
}

func TestReadNpyErrors(t *testing.T) {
	full := npyBytes("<f4", false, "(3, 2)", le32(1, 2, 3, 4, 5, 6))
	hdrLen := int64(len(full) - 24)
	tests := []struct {
		name     string
		data     []byte
		sentinel error
		vector   int
		offset   int64
	}{
		{"truncated data", full[:len(full)-3], bench.ErrTruncated, 2, hdrLen + 16},
		{"truncated header", full[:40], bench.ErrTruncated, -1, 40},
		{"bad magic", append([]byte("XNUMPY"), full[6:]...), bench.ErrMalformed, -1, 0},
		{"int dtype", npyBytes("<i4", false, "(3, 2)", le32(1, 2, 3, 4, 5, 6)), bench.ErrMalformed, -1, 0},
		{"1-D", npyBytes("<f4", false, "(6,)", le32(1, 2, 3, 4, 5, 6)), bench.ErrMalformed, -1, 0},
		{"trailing bytes", append(full, 0, 0, 0, 0), bench.ErrMalformed, 3, hdrLen + 24},
		{"garbage header", []byte("\x93NUMPY\x01\x00\x04\x00abcd"), bench.ErrMalformed, -1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, "bad.npy", tc.data)
			_, err := bench.ReadNpy(p)
			var fe *bench.FormatError
			if !errors.As(err, &fe) || !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want a *FormatError wrapping %v", err, tc.sentinel)
			}
			if fe.File != p || fe.Vector != tc.vector || fe.Offset != tc.offset {
				t.Errorf("got vector %d offset %d, want %d %d (%v)", fe.Vector, fe.Offset, tc.vector, tc.offset, err)
			}
		})
	}
}

func FuzzDecodeFvecs(f *testing.F) {
	f.Add(vecsBytes([]int32{2, 2}, [][]float64{{1, 2}, {3, 4}}, 4))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := bench.DecodeFvecs(bytes.NewReader(data), "fuzz", int64(len(data)))
		if err == nil && m.Rows*m.Dim != len(m.Data) {
			t.Fatalf("inconsistent matrix %d×%d with %d values", m.Rows, m.Dim, len(m.Data))
		}
	})
}
