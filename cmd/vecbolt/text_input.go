package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vecbolt/vecbolt/query/format"
	"github.com/vecbolt/vecbolt/query/text"
)

// textDoc is one document read from a JSON Lines or CSV file: a key, its
// text and the other fields as a metadata object.
type textDoc struct {
	Key      string
	Text     string
	Metadata json.RawMessage // a JSON object, or nil
	Line     int             // 1-based line where the document starts
}

// docFields says which fields of a document file hold what.
type docFields struct {
	Text string // the text field or column (required)
	// Key is the key field or column; "" numbers the documents 1, 2, ...
	// in file order.
	Key string
}

// maxDocLine bounds one JSON Lines line (or one CSV record): a text of
// text.MaxTextBytes, JSON-escaped, with room for its other fields. A longer
// line is refused before it is held in memory whole.
const maxDocLine = 2*text.MaxTextBytes + 1<<20

// docReader reads documents from a JSON Lines or CSV stream, one at a time,
// in O(one document) memory. Read returns io.EOF at the end; its errors are
// *format.ParseError values naming the file and line, except I/O errors.
type docReader struct {
	name   string // for messages ("-" is <stdin>)
	fields docFields
	f      format.Format
	n      int // documents read, for generated keys and record numbers

	// JSON Lines.
	br   *bufio.Reader
	line int
	long []byte

	// CSV.
	cr       *csv.Reader
	guard    *guardReader
	textCol  int
	keyCol   int
	header   []string
	nextLine int // where the next record starts (see markRecord)

	fatal bool // the last error ends the reading (I/O, a line over the limit)
}

// Fatal reports whether the last error of Read ends the file: an I/O
// error, a damaged gzip stream, or a line or record over maxDocLine. After
// other errors (a malformed line, a bad document) Read goes on with the
// next document.
func (d *docReader) Fatal() bool { return d.fatal }

// newDocReader returns a reader of documents in format f (format.JSONL or
// format.CSV) from r, gzip-compressed or not. CSV needs a header row naming
// the columns; the header is read here, so its errors come from here.
func newDocReader(r io.Reader, f format.Format, name string, fields docFields) (*docReader, error) {
	if f != format.JSONL && f != format.CSV {
		return nil, usageErr(fmt.Errorf("--text-field reads JSON Lines or CSV, not %s (give --format jsonl or csv)", f))
	}
	if fields.Text == "" {
		return nil, usageErr(errors.New("--text-field is empty: name the field or column holding the text"))
	}
	if fields.Text == fields.Key {
		return nil, usageErr(fmt.Errorf("--text-field and --key-field are both %q", fields.Text))
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(3); string(magic) == "\x1f\x8b\x08" {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &format.ParseError{File: name, Err: fmt.Errorf("%w: starts like gzip but is not a valid gzip stream (%v)", format.ErrMalformed, err)}
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	d := &docReader{name: name, fields: fields, f: f, br: br}
	if f == format.CSV {
		if err := d.csvHeader(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// errorf returns a parse error at line and column (0: unknown).
func (d *docReader) errorf(line, col int, sentinel error, msg string, args ...any) error {
	return &format.ParseError{File: d.name, Line: line, Column: col, Record: d.n, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(msg, args...))}
}

// Read returns the next document, or io.EOF.
func (d *docReader) Read() (textDoc, error) {
	if d.f == format.CSV {
		return d.readCSV()
	}
	return d.readJSONL()
}

// readLine returns the next line without its ending, at most maxDocLine
// bytes, valid until the next call, or io.EOF.
func (d *docReader) readLine() ([]byte, error) {
	line, err := d.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		d.long = append(d.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(d.long) > maxDocLine {
				d.fatal = true
				return nil, d.errorf(d.line+1, 0, text.ErrTooLarge, "line longer than %s bytes (a document's text may hold at most %s bytes)",
					humanCount(maxDocLine), humanCount(text.MaxTextBytes))
			}
			line, err = d.br.ReadSlice('\n')
			d.long = append(d.long, line...)
		}
		line = d.long
	}
	if len(line) > maxDocLine {
		d.fatal = true
		return nil, d.errorf(d.line+1, 0, text.ErrTooLarge, "line longer than %s bytes (a document's text may hold at most %s bytes)",
			humanCount(maxDocLine), humanCount(text.MaxTextBytes))
	}
	if err != nil && err != io.EOF {
		return nil, d.ioError(err)
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	d.line++
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

func (d *docReader) ioError(err error) error {
	d.fatal = true
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || err == io.ErrUnexpectedEOF {
		return &format.ParseError{File: d.name, Line: d.line + 1, Err: fmt.Errorf("%w: the gzip stream is damaged or ends early (%v)", format.ErrTruncated, err)}
	}
	return fmt.Errorf("reading %s: %w", displayName(d.name), err)
}

func (d *docReader) readJSONL() (textDoc, error) {
	var line []byte
	for {
		l, err := d.readLine()
		if err != nil {
			return textDoc{}, err
		}
		if len(bytes.TrimSpace(l)) > 0 {
			line = l
			break
		}
	}
	d.n++
	// encoding/json would turn bad bytes into U+FFFD without a word.
	if !utf8.Valid(line) {
		off := invalidUTF8Offset(string(line))
		return textDoc{}, d.errorf(d.line, off+1, text.ErrInvalidUTF8, "at byte %d of the line", off+1)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil || obj == nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return textDoc{}, d.errorf(d.line, int(se.Offset), format.ErrMalformed, "%v", se)
		default:
			return textDoc{}, d.errorf(d.line, 0, format.ErrMalformed, "want a JSON object with a %q field", d.fields.Text)
		}
	}
	doc := textDoc{Line: d.line}
	raw, ok := obj[d.fields.Text]
	if !ok {
		return textDoc{}, d.errorf(d.line, 0, format.ErrMalformed, "no %q field (fields: %s; pick the text with --text-field)", d.fields.Text, fieldNames(obj))
	}
	if err := json.Unmarshal(raw, &doc.Text); err != nil || raw[0] != '"' {
		return textDoc{}, d.errorf(d.line, 0, format.ErrMalformed, "%q is %s, want a string", d.fields.Text, jsonKind(raw))
	}
	delete(obj, d.fields.Text)
	if d.fields.Key == "" {
		doc.Key = strconv.Itoa(d.n)
	} else {
		raw, ok := obj[d.fields.Key]
		if !ok {
			return textDoc{}, d.errorf(d.line, 0, format.ErrMalformed, "no %q field (fields: %s; pick the key with --key-field, or --key-field '' to number the documents)", d.fields.Key, fieldNames(obj))
		}
		switch {
		case len(raw) > 0 && raw[0] == '"':
			if err := json.Unmarshal(raw, &doc.Key); err != nil {
				return textDoc{}, d.errorf(d.line, 0, format.ErrMalformed, "%q: %v", d.fields.Key, err)
			}
		case isJSONInteger(raw):
			doc.Key = string(raw)
		default:
			return textDoc{}, d.errorf(d.line, 0, format.ErrMalformed, "%q is %s, want a string or an integer", d.fields.Key, jsonKind(raw))
		}
		delete(obj, d.fields.Key)
	}
	meta, err := docMetadata(obj)
	if err != nil {
		return textDoc{}, d.errorf(d.line, 0, format.ErrMalformed, "%v", err)
	}
	doc.Metadata = meta
	return doc, d.checkDoc(doc)
}

// docMetadata builds the metadata object of a JSON Lines document from its
// fields other than the key and the text. A "metadata" field holding an
// object (the shape 'vecbolt export' writes) is merged in; the other fields
// are kept as they are and win over it.
func docMetadata(obj map[string]json.RawMessage) (json.RawMessage, error) {
	if len(obj) == 0 {
		return nil, nil
	}
	if raw, ok := obj["metadata"]; ok && len(raw) > 0 && raw[0] == '{' {
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(raw, &inner); err != nil {
			return nil, fmt.Errorf("metadata: %v", err)
		}
		delete(obj, "metadata")
		for k, v := range inner {
			if _, ok := obj[k]; !ok {
				obj[k] = v
			}
		}
	} else if ok && string(raw) == "null" {
		delete(obj, "metadata")
	}
	if len(obj) == 0 {
		return nil, nil
	}
	return json.Marshal(obj)
}

// fieldNames lists an object's field names, sorted, for messages.
func fieldNames(obj map[string]json.RawMessage) string {
	if len(obj) == 0 {
		return "none"
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, strconv.Quote(k))
	}
	slices.Sort(names)
	if len(names) > 8 {
		names = append(names[:8], "...")
	}
	return strings.Join(names, ", ")
}

// jsonKind names the JSON type of raw, for messages.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isJSONInteger(raw json.RawMessage) bool {
	_, err := strconv.ParseInt(string(raw), 10, 64)
	return err == nil
}

// checkDoc refuses a document whose text cannot be embedded whatever the
// embedder: blank, not UTF-8, or longer than text.MaxTextBytes. Its key
// must not be empty.
func (d *docReader) checkDoc(doc textDoc) error {
	if doc.Key == "" {
		return d.errorf(doc.Line, 0, format.ErrInvalidKey, "empty key in %q", d.fields.Key)
	}
	if err := checkText(doc.Text); err != nil {
		return &format.ParseError{File: d.name, Line: doc.Line, Record: d.n, Err: fmt.Errorf("document %q: %w", doc.Key, err)}
	}
	return nil
}

// errBlankText is a text with nothing but white space in it.
var errBlankText = errors.New("the text is empty")

// checkText refuses a text that no embedder can embed: empty or blank
// (errBlankText), not valid UTF-8 (*text.UTF8Error with the offset), or
// longer than text.MaxTextBytes (*text.TooLargeError naming the limit).
// Cost: O(len(s)).
func checkText(s string) error {
	if len(s) > text.MaxTextBytes {
		return &text.TooLargeError{Size: len(s), Limit: text.MaxTextBytes}
	}
	if !utf8.ValidString(s) {
		return &text.UTF8Error{Offset: invalidUTF8Offset(s)}
	}
	if strings.TrimSpace(s) == "" {
		return errBlankText
	}
	return nil
}

// guardReader stops a CSV record that runs past maxDocLine bytes (an
// unclosed quote in a large file, say) before encoding/csv holds it all in
// memory: it fails a Read once more than limit bytes have been read since
// the last record boundary the caller marked.
type guardReader struct {
	r     io.Reader
	read  int64 // bytes read so far
	mark  int64 // the offset of the last record boundary
	limit int64
}

var errRecordTooLong = errors.New("record too long")

func (g *guardReader) Read(p []byte) (int, error) {
	if g.read-g.mark > g.limit {
		return 0, errRecordTooLong
	}
	n, err := g.r.Read(p)
	g.read += int64(n)
	return n, err
}

func (d *docReader) csvHeader() error {
	d.guard = &guardReader{r: d.br, limit: maxDocLine}
	d.cr = csv.NewReader(d.guard)
	d.cr.FieldsPerRecord = 0 // every row as long as the header
	row, err := d.cr.Read()
	if err == io.EOF {
		return d.errorf(1, 0, format.ErrHeader, "the file is empty; a CSV document file starts with a header row naming its columns")
	}
	if err != nil {
		return d.csvError(err)
	}
	d.header = append([]string(nil), row...)
	d.textCol, d.keyCol = -1, -1
	for i, name := range d.header {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		d.header[i] = name
		switch {
		case name == d.fields.Text && d.textCol < 0:
			d.textCol = i
		case name == d.fields.Key && d.keyCol < 0:
			d.keyCol = i
		}
	}
	cols := strings.Join(d.header, ", ")
	if d.textCol < 0 {
		return d.errorf(1, 0, format.ErrHeader, "no column %q in the header (columns: %s; pick the text with --text-field)", d.fields.Text, cols)
	}
	if d.fields.Key != "" && d.keyCol < 0 {
		return d.errorf(1, 0, format.ErrHeader, "no column %q in the header (columns: %s; pick the key with --key-field, or --key-field '' to number the documents)", d.fields.Key, cols)
	}
	d.markRecord(row)
	return nil
}

// markRecord notes the end of a record read whole: the guard counts from
// here, and nextLine is where the next record starts (but for blank lines,
// which encoding/csv skips), for errors that come before it has a position.
func (d *docReader) markRecord(row []string) {
	d.guard.mark = d.cr.InputOffset()
	last := len(row) - 1
	line, _ := d.cr.FieldPos(last)
	d.nextLine = line + strings.Count(row[last], "\n") + 1
}

func (d *docReader) csvError(err error) error {
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		if errors.Is(pe.Err, errRecordTooLong) {
			return d.errorf(pe.StartLine, 0, text.ErrTooLarge, "a record longer than %s bytes (an unclosed quote?); a document's text may hold at most %s bytes",
				humanCount(maxDocLine), humanCount(text.MaxTextBytes))
		}
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return d.errorf(pe.StartLine, 0, format.ErrMalformed, "wrong number of fields: the header has %d", len(d.header))
		}
		return d.errorf(pe.Line, pe.Column, format.ErrMalformed, "%v", pe.Err)
	case errors.Is(err, errRecordTooLong):
		d.fatal = true
		return d.errorf(d.nextLine, 0, text.ErrTooLarge, "a record longer than %s bytes (an unclosed quote?); a document's text may hold at most %s bytes",
			humanCount(maxDocLine), humanCount(text.MaxTextBytes))
	}
	return d.ioError(err)
}

func (d *docReader) readCSV() (textDoc, error) {
	row, err := d.cr.Read()
	if err == io.EOF {
		return textDoc{}, io.EOF
	}
	d.n++
	if err != nil {
		return textDoc{}, d.csvError(err)
	}
	d.markRecord(row)
	line, _ := d.cr.FieldPos(0)
	doc := textDoc{Line: line, Text: row[d.textCol]}
	if d.keyCol < 0 {
		doc.Key = strconv.Itoa(d.n)
	} else {
		doc.Key = row[d.keyCol]
	}
	if len(row) > 1 && (len(row) > 2 || d.keyCol < 0) {
		meta := make(map[string]string, len(row))
		for i, v := range row {
			if i != d.textCol && i != d.keyCol {
				meta[d.header[i]] = v
			}
		}
		if doc.Metadata, err = json.Marshal(meta); err != nil {
			return textDoc{}, err
		}
	}
	return doc, d.checkDoc(doc)
}

// invalidUTF8Offset returns the byte offset of the first invalid UTF-8
// sequence in s, or len(s).
func invalidUTF8Offset(s string) int {
	off := 0
	for off < len(s) {
		r, size := utf8.DecodeRuneInString(s[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	return off
}
