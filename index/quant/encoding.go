package quant

import (
	"fmt"
	"strings"
)

// Encoding is how a collection holds its vectors in memory. The exact
// float32 vectors stay in the records whatever the encoding; the encoding
// only decides what the graph traverses.
type Encoding uint8

const (
	// None keeps float32 vectors (4 bytes a component). The zero value.
	None Encoding = iota
	// FP16 keeps IEEE 754 half-precision vectors (2 bytes a component).
	FP16
	// INT8 keeps scalar-quantized int8 codes (1 byte a component, plus a
	// float32 correction per vector) under trained Int8 parameters.
	INT8
)

// String returns "none", "fp16" or "int8".
func (e Encoding) String() string {
	switch e {
	case None:
		return "none"
	case FP16:
		return "fp16"
	case INT8:
		return "int8"
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

// Valid reports whether e is one of the defined encodings.
func (e Encoding) Valid() bool { return e <= INT8 }

// BytesPerComponent returns 4, 2 or 1 (0 for an invalid encoding).
func (e Encoding) BytesPerComponent() int {
	switch e {
	case None:
		return 4
	case FP16:
		return 2
	case INT8:
		return 1
	}
	return 0
}

// ParseEncoding parses "none" (also "" and "fp32"), "fp16" or "int8",
// case-insensitive. Other names return an error wrapping ErrEncoding.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "fp32":
		return None, nil
	case "fp16":
		return FP16, nil
	case "int8":
		return INT8, nil
	}
	return 0, fmt.Errorf("%w %q (want none, fp16 or int8)", ErrEncoding, s)
}

// Metric is the distance a quantizer approximates. Its values and names are
// those of index.Metric (this package cannot import index, which imports
// it): distances are "smaller is closer".
type Metric uint8

const (
	// Cosine is 1 - a·b over unit vectors (the caller normalises).
	Cosine Metric = iota
	// Dot is -a·b.
	Dot
	// L2 is the squared euclidean distance Σ(a-b)².
	L2
)

// String returns "cosine", "dot" or "l2".
func (m Metric) String() string {
	switch m {
	case Cosine:
		return "cosine"
	case Dot:
		return "dot"
	case L2:
		return "l2"
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// Valid reports whether m is Cosine, Dot or L2.
func (m Metric) Valid() bool { return m <= L2 }
