package format

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
)

// binaryHeader reads the "count dim\n" line of word2vec binary.
func (r *Reader) binaryHeader() error {
	line, err := r.readLine()
	if err == io.EOF {
		return r.errorf(0, fmt.Errorf("%w: empty input, want a \"count dim\" header", ErrHeader))
	}
	if err != nil {
		return err
	}
	r.recLine = 1
	ok, err := r.parseHeader(line)
	if err != nil {
		return err
	}
	if !ok {
		return r.errorf(0, fmt.Errorf("%w: first line %s is not a word2vec header \"count dim\"", ErrHeader, quote(line)))
	}
	r.recLine = 0
	return nil
}

// readVector reads dim little-endian float32s and checks they are finite.
// A short read is final.
func (r *Reader) readVector(dim int, what string) ([]float32, error) {
	n := 4 * dim
	if cap(r.vbuf) < n {
		r.vbuf = make([]byte, n)
	}
	buf := r.vbuf[:n]
	got, err := io.ReadFull(r.br, buf)
	r.off += int64(got)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		r.err = r.errorf(0, fmt.Errorf("%w: input ends inside %s after %d of %d bytes", ErrTruncated, what, got, n))
		return nil, r.err
	}
	if err != nil {
		return nil, r.ioError(err)
	}
	vec := make([]float32, dim)
	bad := -1
	for i := range vec {
		bits := binary.LittleEndian.Uint32(buf[4*i:])
		if bad < 0 && bits&0x7f800000 == 0x7f800000 {
			bad = i
		}
		vec[i] = math.Float32frombits(bits)
	}
	if bad >= 0 {
		return nil, r.errorf(0, fmt.Errorf("%w: component %d is %v", ErrNotFinite, bad+1, vec[bad]))
	}
	return vec, nil
}

// readWord2VecBinary reads one word2vec binary record: optional newlines,
// the word up to a space, dim float32s.
func (r *Reader) readWord2VecBinary() (Record, error) {
	for {
		b, err := r.br.ReadByte()
		if err == io.EOF {
			return Record{}, io.EOF
		}
		if err != nil {
			return Record{}, r.ioError(err)
		}
		if b != '\n' {
			r.br.UnreadByte()
			break
		}
		r.off++
	}
	r.rec++
	r.recOff = r.off
	word, err := r.br.ReadSlice(' ')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], word...)
		for err == bufio.ErrBufferFull {
			word, err = r.br.ReadSlice(' ')
			r.long = append(r.long, word...)
		}
		word = r.long
	}
	r.off += int64(len(word))
	if err == io.EOF {
		r.err = r.errorf(0, fmt.Errorf("%w: input ends inside the word %s", ErrTruncated, quote(word)))
		return Record{}, r.err
	}
	if err != nil {
		return Record{}, r.ioError(err)
	}
	key := string(word[:len(word)-1])
	vec, err := r.readVector(r.dim, "the vector")
	if err != nil {
		return Record{}, err
	}
	if key == "" {
		return Record{}, r.errorf(0, fmt.Errorf("%w: empty word", ErrInvalidKey))
	}
	return Record{Key: key, Vector: vec}, nil
}

// readFVecs reads one fvecs record: int32 dim, dim float32s. The key is the
// 0-based record number.
func (r *Reader) readFVecs() (Record, error) {
	r.recOff = r.off
	var hdr [4]byte
	got, err := io.ReadFull(r.br, hdr[:])
	r.off += int64(got)
	if err == io.EOF {
		return Record{}, io.EOF
	}
	r.rec++
	if err == io.ErrUnexpectedEOF {
		r.err = r.errorf(0, fmt.Errorf("%w: input ends inside the dimension after %d of 4 bytes", ErrTruncated, got))
		return Record{}, r.err
	}
	if err != nil {
		return Record{}, r.ioError(err)
	}
	d := int32(binary.LittleEndian.Uint32(hdr[:]))
	if d <= 0 || d > MaxDim {
		r.err = r.errorf(0, fmt.Errorf("%w: dimension %d out of range [1, %d]", ErrMalformed, d, MaxDim))
		return Record{}, r.err
	}
	vec, err := r.readVector(int(d), "the vector")
	if err != nil {
		return Record{}, err
	}
	if err := r.checkDim(int(d)); err != nil {
		return Record{}, r.errorf(0, err)
	}
	if r.dim == 0 {
		r.dim = int(d)
	}
	return Record{Key: strconv.Itoa(r.rec - 1), Vector: vec}, nil
}
