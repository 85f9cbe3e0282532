package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// jsonLine is the shape of a JSON Lines record. Other fields are ignored.
type jsonLine struct {
	Key      *string         `json:"key"`
	Vector   *jsonVector     `json:"vector"`
	Metadata json.RawMessage `json:"metadata"`
}

// jsonVector decodes a JSON array of numbers straight to float32, so that
// values round to float32 once.
type jsonVector []float32

// componentError is a bad element of a "vector" array: index i (0-based).
type componentError struct {
	i   int
	err error
}

func (e *componentError) Error() string { return e.err.Error() }

func (v *jsonVector) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '[' {
		return &componentError{i: -1, err: fmt.Errorf("%w: \"vector\" is %s, want an array of numbers", ErrMalformed, raw(b))}
	}
	vec := make([]float32, 0, len(b)/8+1)
	i := 1
	for {
		for i < len(b) && (jsonSpace(b[i]) || b[i] == ',') {
			i++
		}
		if i >= len(b) || b[i] == ']' {
			break
		}
		j := i
		for j < len(b) && !jsonSpace(b[j]) && b[j] != ',' && b[j] != ']' {
			j++
		}
		n := len(vec)
		if c := b[i]; c != '-' && (c < '0' || c > '9') {
			return &componentError{i: n, err: fmt.Errorf("%w: component %d: %s is not a number", ErrMalformed, n+1, raw(b[i:j]))}
		}
		f, err := parseFloat(b[i:j], n)
		if err != nil {
			return &componentError{i: n, err: err}
		}
		vec = append(vec, f)
		i = j
	}
	*v = vec
	return nil
}

func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// readJSONL reads one JSON Lines record.
func (r *Reader) readJSONL() (Record, error) {
	line, err := r.nextLine()
	if err != nil {
		return Record{}, err
	}
	r.rec++
	var jl jsonLine
	if err := json.Unmarshal(line, &jl); err != nil {
		var ce *componentError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ce):
			return Record{}, r.errorf(componentColumn(line, ce.i), ce.err)
		case errors.As(err, &se):
			return Record{}, r.errorf(int(se.Offset), fmt.Errorf("%w: %v", ErrMalformed, se))
		case errors.As(err, &te):
			if te.Field == "key" {
				return Record{}, r.errorf(int(te.Offset), fmt.Errorf("%w: \"key\" is a JSON %s, want a string", ErrMalformed, te.Value))
			}
			return Record{}, r.errorf(int(te.Offset), fmt.Errorf("%w: want a JSON object {\"key\":...,\"vector\":[...]}", ErrMalformed))
		}
		return Record{}, r.errorf(0, fmt.Errorf("%w: %v", ErrMalformed, err))
	}
	if jl.Key == nil {
		return Record{}, r.errorf(0, fmt.Errorf("%w: no \"key\"", ErrMalformed))
	}
	if *jl.Key == "" {
		return Record{}, r.errorf(0, fmt.Errorf("%w: empty key", ErrInvalidKey))
	}
	if jl.Vector == nil {
		return Record{}, r.errorf(0, fmt.Errorf("%w: no \"vector\"", ErrMalformed))
	}
	vec := []float32(*jl.Vector)
	if err := r.checkDim(len(vec)); err != nil {
		return Record{}, r.errorf(0, err)
	}
	meta, err := compactObject(jl.Metadata)
	if err != nil {
		return Record{}, r.errorf(0, err)
	}
	if r.dim == 0 {
		r.dim = len(vec)
	}
	return Record{Key: *jl.Key, Vector: vec, Metadata: meta}, nil
}

// compactObject checks that raw is a JSON object (or empty or null, giving
// nil) and returns it compacted in a fresh slice.
func compactObject(rawMsg []byte) (json.RawMessage, error) {
	rawMsg = bytes.TrimSpace(rawMsg)
	if len(rawMsg) == 0 || string(rawMsg) == "null" {
		return nil, nil
	}
	if rawMsg[0] != '{' || !json.Valid(rawMsg) {
		return nil, fmt.Errorf("%w: metadata %s is not a JSON object", ErrMalformed, raw(rawMsg))
	}
	var buf bytes.Buffer
	buf.Grow(len(rawMsg))
	if err := json.Compact(&buf, rawMsg); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrMalformed, err)
	}
	return json.RawMessage(buf.Bytes()), nil
}

// componentColumn finds the 1-based column of element i of the top-level
// "vector" array in line, or the array itself when i < 0; 0 if not found.
// It runs only on the error path.
func componentColumn(line []byte, i int) int {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	// skip moves past whitespace, commas and colons from offset off.
	skip := func(off int64) int {
		o := int(off)
		for o < len(line) && (jsonSpace(line[o]) || line[o] == ',' || line[o] == ':') {
			o++
		}
		return o
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0
		}
		if t != "vector" {
			var skipVal json.RawMessage
			if dec.Decode(&skipVal) != nil {
				return 0
			}
			continue
		}
		start := skip(dec.InputOffset())
		if i < 0 {
			return start + 1
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return start + 1
		}
		for n := 0; dec.More(); n++ {
			start := skip(dec.InputOffset())
			if n == i {
				return start + 1
			}
			var skipVal json.RawMessage
			if dec.Decode(&skipVal) != nil {
				return 0
			}
		}
		return 0
	}
	return 0
}
