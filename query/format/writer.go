package format

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriterOptions configure a Writer. The zero value writes uncompressed
// output and takes the dimension from the first record.
type WriterOptions struct {
	// Count is the number of records that will be written. The word2vec
	// formats write it in their header, before any record, and Close
	// reports an error if a different number was written. Other formats
	// ignore it.
	Count int
	// Dim is the vector dimension; 0 takes it from the first record. The
	// word2vec formats require it, for their header.
	Dim int
	// Gzip compresses the output (for file names ending in .gz).
	Gzip bool
}

// Writer writes records in one format. Call Close to flush.
//
// A Writer is not safe for concurrent use. It does not close the underlying
// io.Writer. Writers refuse, rather than alter, records their format cannot
// hold exactly: a vector of the wrong dimension (ErrDimension), a NaN or
// ±Inf component (ErrNotFinite), an empty key or one the format would
// change (ErrInvalidKey; see NewWriter). The first I/O error is sticky.
// Metadata is written by JSON Lines and CSV and dropped by the others;
// fvecs also drops keys (records are written in order and read back with
// keys "0", "1", ...).
//
// Floats are written as the shortest decimal that reads back to the same
// float32 (strconv.FormatFloat(v, 'g', -1, 32)), so export then import is
// lossless.
type Writer struct {
	f      Format
	opts   WriterOptions
	dst    io.Writer
	gz     *gzip.Writer
	bw     *bufio.Writer
	cw     *csv.Writer
	dim    int
	n      int // records written
	err    error
	buf    []byte
	row    []string
	jbuf   bytes.Buffer
	jenc   *json.Encoder
	closed bool
}

// NewWriter returns a Writer of format f to w. The word2vec formats need
// opts.Dim > 0 and opts.Count >= 0 and write their header at once.
//
// Keys: every format refuses empty keys. The text formats (GloVe, word2vec
// text) refuse keys containing a newline or beginning or ending with a
// space, tab or carriage return. GloVe also refuses, in the first key only
// (the file's first bytes, from which the reader learns the dimension and
// sniffs compression): spaces and tabs, a leading byte order mark and the
// gzip magic bytes; and it writes the value of a one-dimensional first
// record whose key and value are both plain integers as "N.0" (the same
// number), so the line is not mistaken for a word2vec header. word2vec
// binary refuses keys containing a space or starting with a newline. JSON
// Lines refuses keys that are not valid UTF-8. CSV output always starts
// with a header row "key,v1,...,vd,metadata".
func NewWriter(w io.Writer, f Format, opts WriterOptions) (*Writer, error) {
	if !f.valid() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, f)
	}
	if opts.Dim < 0 || opts.Count < 0 {
		return nil, fmt.Errorf("format: negative WriterOptions (Count %d, Dim %d)", opts.Count, opts.Dim)
	}
	if (f == Word2VecText || f == Word2VecBinary) && opts.Dim == 0 {
		return nil, fmt.Errorf("%w: %v needs WriterOptions.Dim for its header", ErrHeader, f)
	}
	wr := &Writer{f: f, opts: opts, dim: opts.Dim}
	out := w
	if opts.Gzip {
		wr.gz = gzip.NewWriter(w)
		out = wr.gz
	}
	wr.bw = bufio.NewWriterSize(out, bufSize)
	switch f {
	case Word2VecText, Word2VecBinary:
		fmt.Fprintf(wr.bw, "%d %d\n", opts.Count, opts.Dim)
	case CSV:
		wr.cw = csv.NewWriter(wr.bw)
	case JSONL:
		wr.jenc = json.NewEncoder(&wr.jbuf)
		wr.jenc.SetEscapeHTML(false)
	}
	return wr, nil
}

// Write writes one record. Errors about the record wrap ErrDimension,
// ErrNotFinite, ErrInvalidKey, ErrMalformed (metadata that is not a JSON
// object) or ErrHeader (more records than WriterOptions.Count); after such
// an error the Writer stays usable. An I/O error is returned by every later
// call.
func (w *Writer) Write(rec Record) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("format: Write after Close")
	}
	if err := w.check(rec); err != nil {
		return fmt.Errorf("format: record %d (key %q): %w", w.n+1, rec.Key, err)
	}
	var meta []byte
	if w.f == JSONL || w.f == CSV {
		var err error
		if meta, err = compactObject(rec.Metadata); err != nil {
			return fmt.Errorf("format: record %d (key %q): %w", w.n+1, rec.Key, err)
		}
	}
	if w.dim == 0 {
		w.dim = len(rec.Vector)
	}
	b := w.buf[:0]
	switch w.f {
	case GloVe, Word2VecText:
		b = append(b, rec.Key...)
		for i, v := range rec.Vector {
			b = append(b, ' ')
			n := len(b)
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
			if w.f == GloVe && w.n == 0 && len(rec.Vector) == 1 && i == 0 && digits([]byte(rec.Key)) && digits(b[n:]) {
				b = append(b, ".0"...)
			}
		}
		b = append(b, '\n')
	case Word2VecBinary:
		b = append(b, rec.Key...)
		b = append(b, ' ')
		for _, v := range rec.Vector {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		b = append(b, '\n')
	case FVecs:
		b = binary.LittleEndian.AppendUint32(b, uint32(len(rec.Vector)))
		for _, v := range rec.Vector {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	case JSONL:
		w.jbuf.Reset()
		w.jenc.Encode(rec.Key)
		b = append(b, `{"key":`...)
		b = append(b, bytes.TrimSuffix(w.jbuf.Bytes(), []byte{'\n'})...)
		b = append(b, `,"vector":[`...)
		for i, v := range rec.Vector {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, ']')
		if meta != nil {
			b = append(b, `,"metadata":`...)
			b = append(b, meta...)
		}
		b = append(b, "}\n"...)
	case CSV:
		if w.n == 0 {
			w.csvHeader()
		}
		// encoding/csv's reader removes one carriage return before a
		// newline, even inside quotes; add one so that "\r\n" survives.
		w.row = append(w.row[:0], strings.ReplaceAll(rec.Key, "\r\n", "\r\r\n"))
		for _, v := range rec.Vector {
			w.row = append(w.row, strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		w.row = append(w.row, string(meta))
		w.buf = b
		w.n++
		if err := w.cw.Write(w.row); err != nil {
			w.err = fmt.Errorf("format: writing: %w", err)
		}
		return w.err
	}
	w.buf = b
	w.n++
	if _, err := w.bw.Write(b); err != nil {
		w.err = fmt.Errorf("format: writing: %w", err)
	}
	return w.err
}

func (w *Writer) csvHeader() {
	row := make([]string, 0, w.dim+2)
	row = append(row, "key")
	for i := 1; i <= w.dim; i++ {
		row = append(row, "v"+strconv.Itoa(i))
	}
	row = append(row, "metadata")
	if err := w.cw.Write(row); err != nil {
		w.err = fmt.Errorf("format: writing: %w", err)
	}
}

// check validates a record against the format.
func (w *Writer) check(rec Record) error {
	if (w.f == Word2VecText || w.f == Word2VecBinary) && w.n >= w.opts.Count {
		return fmt.Errorf("%w: more records than the %d declared in WriterOptions.Count", ErrHeader, w.opts.Count)
	}
	if w.dim != 0 && len(rec.Vector) != w.dim {
		return &DimensionError{Got: len(rec.Vector), Want: w.dim}
	}
	if len(rec.Vector) == 0 {
		return fmt.Errorf("%w: empty vector", ErrDimension)
	}
	for i, v := range rec.Vector {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: component %d is %v", ErrNotFinite, i+1, v)
		}
	}
	k := rec.Key
	if k == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	switch w.f {
	case GloVe, Word2VecText:
		if strings.ContainsRune(k, '\n') {
			return fmt.Errorf("%w: %v keys cannot contain a newline", ErrInvalidKey, w.f)
		}
		if isSpace(k[0]) || isSpace(k[len(k)-1]) {
			return fmt.Errorf("%w: %v keys cannot begin or end with white space", ErrInvalidKey, w.f)
		}
		if w.f == GloVe && w.n == 0 {
			if strings.ContainsAny(k, " \t\r") {
				return fmt.Errorf("%w: the first GloVe key cannot contain white space (use word2vec text)", ErrInvalidKey)
			}
			if strings.HasPrefix(k, "\ufeff") || strings.HasPrefix(k, gzipMagic) {
				return fmt.Errorf("%w: the first GloVe key cannot start with a byte order mark or the gzip magic bytes", ErrInvalidKey)
			}
		}
	case Word2VecBinary:
		if strings.ContainsRune(k, ' ') || k[0] == '\n' {
			return fmt.Errorf("%w: word2vec binary keys cannot contain a space or start with a newline", ErrInvalidKey)
		}
	case JSONL:
		if !utf8.ValidString(k) {
			return fmt.Errorf("%w: JSON Lines keys must be valid UTF-8", ErrInvalidKey)
		}
	}
	return nil
}

// Close writes any buffered data, finishes the gzip stream, and reports an
// error wrapping ErrHeader if a word2vec file got a number of records other
// than WriterOptions.Count (the file is then inconsistent; nothing is fixed
// up). It does not close the underlying io.Writer. Close is idempotent.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.f == CSV {
		if w.n == 0 && w.dim > 0 && w.err == nil {
			w.csvHeader()
		}
		w.cw.Flush()
		if err := w.cw.Error(); err != nil && w.err == nil {
			w.err = fmt.Errorf("format: writing: %w", err)
		}
	}
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = fmt.Errorf("format: writing: %w", err)
	}
	if w.gz != nil {
		if err := w.gz.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("format: writing: %w", err)
		}
	}
	if w.err != nil {
		return w.err
	}
	if (w.f == Word2VecText || w.f == Word2VecBinary) && w.n != w.opts.Count {
		return fmt.Errorf("%w: wrote %d records, the header declares %d", ErrHeader, w.n, w.opts.Count)
	}
	return nil
}
