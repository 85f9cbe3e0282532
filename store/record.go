package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"unsafe"
)

// Record is one stored vector with its key and metadata.
//
// Vector is stored exactly as given. Under the cosine metric Norm holds its
// Euclidean length; under dot and l2 Norm is 0. Seq is the record's position in insertion order (never 0
// for a stored record); it is assigned by the first Put of the key and kept
// by later Puts of the same key.
type Record struct {
	ID       uint32
	Key      string
	Vector   []float32
	Norm     float32
	Metadata json.RawMessage // nil when the record has none; else a JSON object
	Seq      uint64
}

// recordHeaderLen is the fixed part of an encoded record: seq, norm, key
// length.
const recordHeaderLen = 8 + 4 + 4

// encodeRecord appends the records-bucket value for r to dst:
//
//	seq    uint64 big-endian
//	norm   float32 IEEE-754 bits, little-endian
//	keylen uint32 big-endian
//	key    keylen bytes
//	meta   the rest: empty or a JSON object
func encodeRecord(dst []byte, seq uint64, norm float32, key string, meta []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(norm))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(key)))
	dst = append(dst, key...)
	return append(dst, meta...)
}

// decodedRecord is a records-bucket value split into its parts. key and meta
// alias the input.
type decodedRecord struct {
	seq  uint64
	norm float32
	key  []byte
	meta []byte
}

// decodeRecord splits a records-bucket value, validating every length. It
// never panics; a bad value gives an error naming what is wrong (the
// caller adds collection and id).
func decodeRecord(b []byte) (decodedRecord, error) {
	if len(b) < recordHeaderLen {
		return decodedRecord{}, fmt.Errorf("record has %d bytes, header needs %d", len(b), recordHeaderLen)
	}
	r := decodedRecord{
		seq:  binary.BigEndian.Uint64(b),
		norm: math.Float32frombits(binary.LittleEndian.Uint32(b[8:])),
	}
	klen := binary.BigEndian.Uint32(b[12:])
	rest := b[recordHeaderLen:]
	switch {
	case r.seq == 0:
		return decodedRecord{}, fmt.Errorf("record has seq 0")
	case klen == 0:
		return decodedRecord{}, fmt.Errorf("record has an empty key")
	case klen > MaxKeyLen:
		return decodedRecord{}, fmt.Errorf("record key length %d exceeds %d", klen, MaxKeyLen)
	case uint64(klen) > uint64(len(rest)):
		return decodedRecord{}, fmt.Errorf("record key length %d, only %d bytes follow", klen, len(rest))
	case math.IsNaN(float64(r.norm)) || math.IsInf(float64(r.norm), 0) || r.norm < 0:
		return decodedRecord{}, fmt.Errorf("record norm is %v", r.norm)
	}
	r.key = rest[:klen]
	if m := rest[klen:]; len(m) > 0 {
		if len(m) < 2 || m[0] != '{' || m[len(m)-1] != '}' {
			return decodedRecord{}, fmt.Errorf("record metadata (%d bytes) is not a JSON object", len(m))
		}
		r.meta = m
	}
	return r, nil
}

// littleEndian reports whether the host stores float32 little-endian, so
// vectors can be copied to and from the file byte for byte.
var littleEndian = func() bool {
	x := uint32(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// encodeVector returns the vectors-bucket value for v: len(v) float32
// little-endian. The result is a new slice (bbolt keeps values until
// commit).
func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	if littleEndian && len(v) > 0 {
		copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v)))
		return b
	}
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// decodeVector fills dst from a vectors-bucket value; len(b) must be
// 4*len(dst) (the caller checks).
func decodeVector(dst []float32, b []byte) {
	if littleEndian && len(dst) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)), b)
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// collection meta value: nextSeq uint64 BE | count uint64 BE.
const metaLen = 16

func encodeMeta(nextSeq, count uint64) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, metaLen), nextSeq)
	return binary.BigEndian.AppendUint64(b, count)
}

func decodeMeta(b []byte) (nextSeq, count uint64, err error) {
	if len(b) != metaLen {
		return 0, 0, fmt.Errorf("meta has %d bytes, want %d", len(b), metaLen)
	}
	nextSeq, count = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
	if nextSeq == 0 {
		return 0, 0, fmt.Errorf("meta has next seq 0")
	}
	if count >= nextSeq {
		return 0, 0, fmt.Errorf("meta count %d not below next seq %d", count, nextSeq)
	}
	return nextSeq, count, nil
}

func idKey(id uint32) []byte { return binary.BigEndian.AppendUint32(make([]byte, 0, 4), id) }

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }
