package format

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// isNumber reports whether s parses as a float (finite or not).
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return true
	}
	return err == nil
}

// csvHeader reads the first row and decides whether it is a header: it is
// when its second field is not a number.
func (r *Reader) csvHeader() error {
	r.cr = csv.NewReader(r.br)
	r.cr.FieldsPerRecord = -1
	r.cr.ReuseRecord = true
	row, err := r.cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// The first Read reports it, so a caller that skips bad
			// records can go on.
			r.csvErr = &ParseError{File: r.name, Line: pe.Line, Column: pe.Column, Record: 1, Err: fmt.Errorf("%w: %v", ErrMalformed, pe.Err)}
			return nil
		}
		return r.ioError(err)
	}
	if len(row) < 2 || isNumber(row[1]) {
		r.csvRow = append([]string(nil), row...)
		return nil
	}
	r.recLine, _ = r.cr.FieldPos(0)
	r.csvCols = len(row)
	dim := 0
	for i, name := range row[1:] {
		if strings.EqualFold(strings.TrimSpace(name), "metadata") && r.csvMeta < 0 {
			r.csvMeta = i + 1
		} else {
			dim++
		}
	}
	if dim == 0 {
		return r.errorf(0, fmt.Errorf("%w: no vector columns in the header row", ErrHeader))
	}
	if r.dim != 0 && dim != r.dim {
		return r.errorf(0, &DimensionError{Got: dim, Want: r.dim})
	}
	r.dim = dim
	r.recLine = 0
	return nil
}

// readCSV reads one CSV record.
func (r *Reader) readCSV() (Record, error) {
	var row []string
	if r.csvErr != nil {
		err := r.csvErr
		r.csvErr = nil
		r.rec++
		r.recLine = err.Line
		return Record{}, err
	}
	if r.csvRow != nil {
		row, r.csvRow = r.csvRow, nil
	} else {
		r.recOff = r.cr.InputOffset()
		var err error
		row, err = r.cr.Read()
		if err == io.EOF {
			return Record{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				r.rec++
				r.recLine = pe.StartLine
				return Record{}, &ParseError{File: r.name, Line: pe.Line, Column: pe.Column, Record: r.rec, Offset: r.recOff, Err: fmt.Errorf("%w: %v", ErrMalformed, pe.Err)}
			}
			return Record{}, r.ioError(err)
		}
	}
	r.rec++
	r.recLine, _ = r.cr.FieldPos(0)
	nv := len(row) - 1
	if r.csvMeta >= 0 && len(row) > r.csvMeta {
		nv--
	}
	if r.csvCols > 0 && len(row) != r.csvCols {
		return Record{}, r.errorf(0, fmt.Errorf("%w: %d fields, the header row has %d", ErrDimension, len(row), r.csvCols))
	}
	if err := r.checkDim(nv); err != nil {
		return Record{}, r.errorf(0, err)
	}
	if row[0] == "" {
		return Record{}, r.errorf(1, fmt.Errorf("%w: empty key", ErrInvalidKey))
	}
	vec := make([]float32, 0, nv)
	var meta []byte
	for i := 1; i < len(row); i++ {
		if i == r.csvMeta {
			var err error
			if meta, err = compactObject([]byte(row[i])); err != nil {
				return Record{}, r.errorf(r.column(i), err)
			}
			continue
		}
		v, err := parseFloat([]byte(strings.TrimSpace(row[i])), len(vec))
		if err != nil {
			return Record{}, r.errorf(r.column(i), err)
		}
		vec = append(vec, v)
	}
	if r.dim == 0 {
		r.dim = nv
	}
	return Record{Key: row[0], Vector: vec, Metadata: meta}, nil
}

// column returns the column of field i of the last CSV row, if on the
// row's first line (columns are only meaningful with the line).
func (r *Reader) column(i int) int {
	line, col := r.cr.FieldPos(i)
	if line != r.recLine {
		return 0
	}
	return col
}
