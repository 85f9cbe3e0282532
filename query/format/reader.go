package format

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// MaxDim is the largest vector dimension the readers accept from a header,
// an fvecs record or ReaderOptions.Dim, so that a corrupt binary file cannot
// make them allocate gigabytes. (Text lines are not limited: they cannot
// claim more components than they have bytes.)
const MaxDim = 1 << 16

// gzipMagic starts every gzip stream: ID1, ID2 and CM (deflate, the only
// method defined). Checking CM as well keeps an fvecs file of dimension
// 0x8b1f from looking compressed.
const gzipMagic = "\x1f\x8b\x08"

// bufSize is the size of the read buffers; lines longer than this are still
// read whole, through a slower path.
const bufSize = 1 << 16

// Record is one embedding: a key, a vector and optional metadata (a JSON
// object, or nil).
type Record struct {
	Key      string
	Vector   []float32
	Metadata json.RawMessage
}

// ReaderOptions configure a Reader. The zero value is valid.
type ReaderOptions struct {
	// Name is the file name used in error messages; "-" means standard
	// input. Empty means unnamed.
	Name string
	// Dim is the expected vector dimension; 0 takes it from the header or
	// the first valid record. A header that disagrees is an error.
	Dim int
}

// Reader reads records from a file in one format, like encoding/csv's
// Reader: call Read until it returns io.EOF.
//
// A Reader is not safe for concurrent use. Each Read returns a Record whose
// Key, Vector and Metadata are freshly allocated and owned by the caller.
//
// Errors: a malformed record is reported as a *ParseError and, in the text
// formats (GloVe, word2vec text, JSON Lines, CSV), the Reader stays usable:
// the next Read continues with the next line, so a caller can count and skip
// bad records. In the binary formats a truncated or unreadable record is
// final (every later Read returns the same error); a complete record with a
// bad value (NaN, wrong dimension, empty key) is skipped like a bad line. An
// I/O or gzip error is final in every format.
//
// Blank lines (empty or only spaces, tabs and carriage returns) are skipped
// in the text formats and not counted as records; CSV skips empty lines as
// encoding/csv does. A UTF-8 byte order mark at the start of a text file is
// ignored. Line endings may be LF or CRLF.
//
// When the format has a header record count (word2vec, or GloVe with a
// word2vec header), a count that differs from the number of records in the
// file (valid or not) is reported by the Read that reaches the end, as a
// *ParseError wrapping ErrHeader; the Read after it returns io.EOF.
type Reader struct {
	f    Format
	name string
	br   *bufio.Reader
	dim  int
	cnt  int   // header count, -1 if none
	err  error // sticky final error

	line    int   // lines consumed (text formats)
	recLine int   // line of the last record returned
	off     int64 // bytes consumed from br
	lineOff int64 // offset of the line last read
	recOff  int64 // offset of the current record
	rec     int   // records seen, valid or not

	long    []byte // assembles lines longer than the buffer
	pending []byte // a line read ahead by NewReader (GloVe)
	hasPend bool
	fields  []span

	// CSV state.
	cr      *csv.Reader
	csvRow  []string    // a row read ahead by NewReader
	csvErr  *ParseError // an error met by NewReader, for the first Read
	csvMeta int         // index of the metadata column, -1 if none
	csvCols int         // number of columns of the header, 0 if no header

	vbuf []byte // binary vector buffer
	gzip bool   // the input is gzip-compressed
}

// NewReader returns a Reader for records in format f from r. A gzip stream
// (starting with the bytes 1f 8b 08) is decompressed transparently.
// NewReader reads the header of the formats that have one (word2vec, a
// GloVe file's optional word2vec header, a CSV header row), so Dim and Count
// are known when it returns; a bad header is a *ParseError wrapping
// ErrHeader (or ErrDimension when it disagrees with opts.Dim).
//
// NewReader buffers r; the caller should not read from r afterwards. The
// Reader does not close r.
func NewReader(r io.Reader, f Format, opts ReaderOptions) (*Reader, error) {
	if !f.valid() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, f)
	}
	if opts.Dim < 0 || opts.Dim > MaxDim {
		return nil, fmt.Errorf("format: ReaderOptions.Dim %d out of range [0, %d]", opts.Dim, MaxDim)
	}
	rd := &Reader{f: f, name: opts.Name, dim: opts.Dim, cnt: -1, csvMeta: -1}
	br := bufio.NewReaderSize(r, bufSize)
	if magic, _ := br.Peek(len(gzipMagic)); string(magic) == gzipMagic {
		rd.gzip = true
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, rd.ioError(err)
		}
		br = bufio.NewReaderSize(zr, bufSize)
	}
	rd.br = br
	switch f {
	case GloVe, Word2VecText, JSONL, CSV:
		if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
			br.Discard(3)
			rd.off = 3
		}
	}
	var err error
	switch f {
	case GloVe, Word2VecText:
		err = rd.textHeader()
	case Word2VecBinary:
		err = rd.binaryHeader()
	case CSV:
		err = rd.csvHeader()
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Dim returns the vector dimension: ReaderOptions.Dim, the header's, or that
// of the first valid record; 0 until it is known.
func (r *Reader) Dim() int { return r.dim }

// Count returns the record count declared by the header, or -1 if the
// format (or this file) has no header count.
func (r *Reader) Count() int { return r.cnt }

// Line returns the 1-based line number where the record most recently
// returned by Read starts, for the text formats; 0 for the binary formats
// and before the first Read.
func (r *Reader) Line() int { return r.recLine }

// Format returns the format the Reader reads.
func (r *Reader) Format() Format { return r.f }

// Read returns the next record, or io.EOF after the last one. See Reader for
// how errors are reported and which are final.
func (r *Reader) Read() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	var (
		rec Record
		err error
	)
	switch r.f {
	case GloVe, Word2VecText:
		rec, err = r.readText()
	case JSONL:
		rec, err = r.readJSONL()
	case CSV:
		rec, err = r.readCSV()
	case Word2VecBinary:
		rec, err = r.readWord2VecBinary()
	case FVecs:
		rec, err = r.readFVecs()
	}
	if err == io.EOF {
		r.err = io.EOF
		if r.cnt >= 0 && r.rec != r.cnt {
			return Record{}, r.errorf(0, fmt.Errorf("%w: header declares %d records, file has %d", ErrHeader, r.cnt, r.rec))
		}
	}
	return rec, err
}

// checkDim checks a record's component count n against the dimension.
func (r *Reader) checkDim(n int) error {
	if r.dim != 0 && n != r.dim {
		return &DimensionError{Got: n, Want: r.dim}
	}
	if n == 0 {
		return fmt.Errorf("%w: no vector components", ErrMalformed)
	}
	return nil
}

// errorf wraps err in a *ParseError at the current record, column col.
func (r *Reader) errorf(col int, err error) *ParseError {
	// Binary formats set recLine only while reading their header line.
	return &ParseError{File: r.name, Line: r.recLine, Column: col, Record: r.rec, Offset: r.recOff, Err: err}
}

// ioError wraps a read error in a final error naming the file.
func (r *Reader) ioError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case r.gzip && (errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)):
		err = fmt.Errorf("%w: starts like gzip (1f 8b 08) but is not a valid gzip stream (%v)", ErrMalformed, err)
	case r.gzip && err == io.ErrUnexpectedEOF:
		err = fmt.Errorf("%w: the gzip stream ends early (an incomplete download?)", ErrTruncated)
	case err == io.ErrUnexpectedEOF:
		err = fmt.Errorf("%w: unexpected end of input", ErrTruncated)
	}
	// An *fs.PathError names the file again ("read x: is a directory"):
	// keep its cause only.
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == r.name {
		err = pe.Err
	}
	name := r.name
	switch name {
	case "":
		name = "<input>"
	case "-":
		name = "<stdin>"
	}
	err = fmt.Errorf("format: reading %s: %w", name, err)
	r.err = err
	return err
}

// readLine returns the next line without its line ending, valid until the
// next call, or io.EOF. Other errors are final.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if err != nil && err != io.EOF {
		return nil, r.ioError(err)
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	r.line++
	r.lineOff = r.off
	r.off += int64(len(line))
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}

// isSpace reports whether b separates fields in the text formats.
func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' }

func blank(line []byte) bool {
	for _, b := range line {
		if !isSpace(b) {
			return false
		}
	}
	return true
}

// nextLine returns the next non-blank line, setting recLine, or io.EOF.
func (r *Reader) nextLine() ([]byte, error) {
	if r.hasPend {
		r.hasPend = false
		r.recLine, r.recOff = r.line, r.lineOff
		return r.pending, nil
	}
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if !blank(line) {
			r.recLine = r.line
			r.recOff = r.lineOff
			return line, nil
		}
	}
}
