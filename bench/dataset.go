package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// MaxDim bounds the dimension a vector file may declare. Anything larger is
// taken as a corrupt header rather than an invitation to allocate.
const MaxDim = 1 << 20

// Matrix is a dense row-major matrix of float32 vectors: row i is
// Data[i*Dim : (i+1)*Dim]. The zero value is an empty matrix. A Matrix is
// a plain value: not safe for concurrent mutation, safe for concurrent reads.
type Matrix struct {
	Rows, Dim int
	Data      []float32
}

// NewMatrix returns a zeroed rows×dim matrix.
func NewMatrix(rows, dim int) *Matrix {
	return &Matrix{Rows: rows, Dim: dim, Data: make([]float32, rows*dim)}
}

// Row returns row i as a sub-slice of Data (no copy: writes go through).
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Dim : (i+1)*m.Dim : (i+1)*m.Dim] }

// Clone returns a deep copy.
func (m *Matrix) Clone() *Matrix {
	return &Matrix{Rows: m.Rows, Dim: m.Dim, Data: append([]float32(nil), m.Data...)}
}

// Slice returns rows [from, to) as a new Matrix sharing Data with m.
func (m *Matrix) Slice(from, to int) *Matrix {
	return &Matrix{Rows: to - from, Dim: m.Dim, Data: m.Data[from*m.Dim : to*m.Dim]}
}

// IntMatrix is the int32 counterpart of Matrix, used for ivecs files
// (ground-truth neighbour ids). Row i is Data[i*Dim : (i+1)*Dim].
type IntMatrix struct {
	Rows, Dim int
	Data      []int32
}

// NewIntMatrix returns a zeroed rows×dim matrix.
func NewIntMatrix(rows, dim int) *IntMatrix {
	return &IntMatrix{Rows: rows, Dim: dim, Data: make([]int32, rows*dim)}
}

// Row returns row i as a sub-slice of Data (no copy).
func (m *IntMatrix) Row(i int) []int32 { return m.Data[i*m.Dim : (i+1)*m.Dim : (i+1)*m.Dim] }

// ReadMatrix reads a float vector file, choosing the format by extension:
// .fvecs, .bvecs (bytes widened to float32) or .npy (float32 or float64,
// 2-D). Any other extension gives ErrUnknownFormat.
func ReadMatrix(path string) (*Matrix, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".fvecs":
		return ReadFvecs(path)
	case ".bvecs":
		return ReadBvecs(path)
	case ".npy":
		return ReadNpy(path)
	}
	return nil, fmt.Errorf("%w: %s (want .fvecs, .bvecs or .npy)", ErrUnknownFormat, path)
}

// ReadFvecs reads a TEXMEX .fvecs file: per vector a little-endian int32
// dimension followed by that many little-endian float32 values. Every
// vector must have the same dimension. Errors are *FormatError values
// naming the file, the vector and its byte offset.
func ReadFvecs(path string) (*Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	return DecodeFvecs(f, path, sizeHint(f))
}

// ReadBvecs reads a TEXMEX .bvecs file (int32 dimension, then that many
// uint8 values per vector), widening the bytes to float32.
func ReadBvecs(path string) (*Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	return DecodeBvecs(f, path, sizeHint(f))
}

// ReadIvecs reads a TEXMEX .ivecs file (int32 dimension, then that many
// little-endian int32 values per vector).
func ReadIvecs(path string) (*IntMatrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	return DecodeIvecs(f, path, sizeHint(f))
}

func sizeHint(f *os.File) int64 {
	if st, err := f.Stat(); err == nil {
		return st.Size()
	}
	return -1
}

// DecodeFvecs decodes fvecs from r; name is used in error messages and
// size, when >= 0, is the total length, used only to size the allocation.
func DecodeFvecs(r io.Reader, name string, size int64) (*Matrix, error) {
	m := &Matrix{}
	err := decodeVecs(r, name, size, 4, func(dim int, n int) {
		m.Dim = dim
		m.Data = make([]float32, 0, n*dim)
	}, func(rec []byte) {
		for i := 0; i < len(rec); i += 4 {
			m.Data = append(m.Data, math.Float32frombits(binary.LittleEndian.Uint32(rec[i:])))
		}
		m.Rows++
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeBvecs decodes bvecs from r, widening bytes to float32.
func DecodeBvecs(r io.Reader, name string, size int64) (*Matrix, error) {
	m := &Matrix{}
	err := decodeVecs(r, name, size, 1, func(dim int, n int) {
		m.Dim = dim
		m.Data = make([]float32, 0, n*dim)
	}, func(rec []byte) {
		for _, b := range rec {
			m.Data = append(m.Data, float32(b))
		}
		m.Rows++
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeIvecs decodes ivecs from r.
func DecodeIvecs(r io.Reader, name string, size int64) (*IntMatrix, error) {
	m := &IntMatrix{}
	err := decodeVecs(r, name, size, 4, func(dim int, n int) {
		m.Dim = dim
		m.Data = make([]int32, 0, n*dim)
	}, func(rec []byte) {
		for i := 0; i < len(rec); i += 4 {
			m.Data = append(m.Data, int32(binary.LittleEndian.Uint32(rec[i:])))
		}
		m.Rows++
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// decodeVecs walks the records of a *vecs stream. start is called once with
// the dimension of the first record and an estimated record count; emit gets
// each record's payload (reused buffer).
func decodeVecs(r io.Reader, name string, size int64, elem int, start func(dim, n int), emit func(rec []byte)) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		hdr  [4]byte
		buf  []byte
		off  int64
		dim  = -1
		idx  int
		fail = func(i int, at int64, sentinel error, format string, args ...any) error {
			return &FormatError{File: name, Vector: i, Offset: at, Detail: fmt.Sprintf(format, args...), Err: sentinel}
		}
	)
	for ; ; idx++ {
		n, err := io.ReadFull(br, hdr[:])
		if err == io.EOF {
			break
		}
		if err == io.ErrUnexpectedEOF {
			return fail(idx, off, ErrTruncated, "file ends after %d of the 4 bytes of the dimension", n)
		}
		if err != nil {
			return fail(idx, off, err, "read: %v", err)
		}
		d := int64(int32(binary.LittleEndian.Uint32(hdr[:])))
		if d <= 0 || d > MaxDim {
			return fail(idx, off, ErrMalformed, "dimension %d out of range [1, %d]", d, MaxDim)
		}
		if dim < 0 {
			dim = int(d)
			est := 0
			if size > 0 {
				est = int(size / (4 + int64(dim*elem)))
			}
			start(dim, est)
			buf = make([]byte, dim*elem)
		} else if int(d) != dim {
			return fail(idx, off, ErrMalformed, "dimension %d differs from the first vector's %d", d, dim)
		}
		n, err = io.ReadFull(br, buf)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fail(idx, off, ErrTruncated, "file ends after %d of the %d data bytes", n, len(buf))
		}
		if err != nil {
			return fail(idx, off, err, "read: %v", err)
		}
		emit(buf)
		off += 4 + int64(len(buf))
	}
	if dim < 0 {
		start(0, 0)
	}
	return nil
}

// WriteFvecs writes m to path in fvecs format (created or truncated).
func WriteFvecs(path string, m *Matrix) error {
	return writeFile(path, func(w io.Writer) error { return EncodeFvecs(w, m) })
}

// WriteIvecs writes m to path in ivecs format (created or truncated).
func WriteIvecs(path string, m *IntMatrix) error {
	return writeFile(path, func(w io.Writer) error { return EncodeIvecs(w, m) })
}

// EncodeFvecs writes m to w in fvecs format.
func EncodeFvecs(w io.Writer, m *Matrix) error {
	rec := make([]byte, 4+4*m.Dim)
	binary.LittleEndian.PutUint32(rec, uint32(m.Dim))
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			binary.LittleEndian.PutUint32(rec[4+4*j:], math.Float32bits(v))
		}
		if _, err := w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

// EncodeIvecs writes m to w in ivecs format.
func EncodeIvecs(w io.Writer, m *IntMatrix) error {
	rec := make([]byte, 4+4*m.Dim)
	binary.LittleEndian.PutUint32(rec, uint32(m.Dim))
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			binary.LittleEndian.PutUint32(rec[4+4*j:], uint32(v))
		}
		if _, err := w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes through a buffer to path+".tmp" and renames it into
// place, so a reader never sees a half-written file.
func writeFile(path string, fill func(w io.Writer) error) (err error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = fill(bw); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// ReadNpy reads a 2-D NumPy .npy array of float32 or float64 (either byte
// order, C or Fortran order) as a Matrix; float64 values are rounded to
// float32. The data size is checked against the header before decoding, so
// a truncated file names the first incomplete row.
func ReadNpy(path string) (m *Matrix, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	size := sizeHint(f)
	hdrErr := func(format string, args ...any) error {
		return &FormatError{File: path, Vector: -1, Offset: 0, Detail: fmt.Sprintf(format, args...), Err: ErrMalformed}
	}
	var pre [12]byte
	if n, _ := io.ReadFull(f, pre[:]); n < 10 {
		return nil, &FormatError{File: path, Vector: -1, Offset: int64(n), Detail: "file ends inside the preamble", Err: ErrTruncated}
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, hdrErr("not a .npy file (bad magic)")
	}
	var dataStart int64
	switch pre[6] {
	case 1:
		dataStart = 10 + int64(binary.LittleEndian.Uint16(pre[8:]))
	case 2, 3:
		dataStart = 12 + int64(binary.LittleEndian.Uint32(pre[8:]))
	default:
		return nil, hdrErr("unsupported .npy version %d.%d", pre[6], pre[7])
	}
	if size >= 0 && dataStart > size {
		return nil, &FormatError{File: path, Vector: -1, Offset: size, Detail: fmt.Sprintf("file ends inside the header (%d of %d bytes)", size, dataStart), Err: ErrTruncated}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	// npyio's header parser can panic on garbage; turn that into an error.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, hdrErr("unreadable header: %v", r)
		}
	}()
	rd, err := npy.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, hdrErr("%v", err)
	}
	typ := strings.Trim(rd.Header.Descr.Type, "'\"")
	if len(typ) != 3 || (typ[1:] != "f4" && typ[1:] != "f8") || !strings.ContainsRune("<>=|", rune(typ[0])) {
		return nil, hdrErr("dtype %q: want float32 or float64", typ)
	}
	item := int64(4)
	if typ[1:] == "f8" {
		item = 8
	}
	shape := rd.Header.Descr.Shape
	if len(shape) != 2 || shape[0] < 0 || shape[1] <= 0 || shape[1] > MaxDim {
		return nil, hdrErr("shape %v: want 2-D (rows, dim) with 1 <= dim <= %d", shape, MaxDim)
	}
	rows, dim := shape[0], shape[1]
	rowBytes := int64(dim) * item
	if size >= 0 {
		avail := size - dataStart
		if avail < int64(rows)*rowBytes {
			v := avail / rowBytes
			if rd.Header.Descr.Fortran {
				v = 0 // column-major: the first row is already incomplete
			}
			return nil, &FormatError{File: path, Vector: int(v), Offset: dataStart + v*rowBytes,
				Detail: fmt.Sprintf("file holds %d data bytes, the header's shape %v needs %d", avail, shape, int64(rows)*rowBytes), Err: ErrTruncated}
		}
		if avail > int64(rows)*rowBytes {
			return nil, &FormatError{File: path, Vector: rows, Offset: dataStart + int64(rows)*rowBytes,
				Detail: fmt.Sprintf("%d bytes after the last row", avail-int64(rows)*rowBytes), Err: ErrMalformed}
		}
	}
	m = NewMatrix(rows, dim)
	if rows == 0 {
		return m, nil
	}
	if item == 4 {
		if err := rd.Read(&m.Data); err != nil {
			return nil, &FormatError{File: path, Vector: 0, Offset: dataStart, Detail: err.Error(), Err: ErrMalformed}
		}
	} else {
		d64 := make([]float64, rows*dim)
		if err := rd.Read(&d64); err != nil {
			return nil, &FormatError{File: path, Vector: 0, Offset: dataStart, Detail: err.Error(), Err: ErrMalformed}
		}
		for i, v := range d64 {
			m.Data[i] = float32(v)
		}
	}
	if rd.Header.Descr.Fortran {
		t := make([]float32, len(m.Data))
		for c := 0; c < dim; c++ {
			for r := 0; r < rows; r++ {
				t[r*dim+c] = m.Data[c*rows+r]
			}
		}
		m.Data = t
	}
	return m, nil
}
