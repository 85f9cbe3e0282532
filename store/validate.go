package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// Validate runs the checks Collection.Put makes on a record for a
// collection with configuration cfg, without a transaction: key (ValidateKey),
// vector (ValidateVector) and metadata (empty, JSON null, or a JSON object
// of at most MaxMetadataLen bytes; ErrInvalidMetadata). Errors name the key.
// It only reads its arguments and is safe for concurrent use.
func Validate(cfg Config, key string, vec []float32, meta json.RawMessage) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if _, err := checkVector(cfg, key, vec); err != nil {
		return err
	}
	_, err := checkMetadata(key, meta)
	return err
}

// ValidateKey reports whether key is acceptable: non-empty (ErrEmptyKey),
// at most MaxKeyLen bytes (ErrKeyTooLong) and valid UTF-8 (ErrKeyNotUTF8,
// naming the first bad byte and its offset): JSON output, export formats
// and the terminal all need text. Cost: O(len(key)).
func ValidateKey(key string) error {
	switch {
	case key == "":
		return ErrEmptyKey
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrKeyTooLong, quoteKey(key), len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		i := firstInvalidUTF8(key)
		return fmt.Errorf("%w: %s has byte %#x at offset %d (convert the input to UTF-8, e.g. with iconv -f latin1 -t utf-8)", ErrKeyNotUTF8, quoteKey(key), key[i], i)
	}
	return nil
}

// firstInvalidUTF8 returns the offset of the first byte of s that does not
// start a valid UTF-8 encoding.
func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(s)
}

// Limits on a vector's squared Euclidean length, for a vector that is not
// all zeros. Above MaxSquaredNorm a distance between two accepted vectors
// could overflow float32 (an l2 distance reaches 4x the larger squared
// length, a dot product the product of the lengths) and searches would
// return Inf or NaN. Below MinSquaredNorm (float32's smallest normal
// number) the length itself is a denormal: the cosine norm loses its
// precision and dot products underflow to 0.
const (
	MaxSquaredNorm = math.MaxFloat32 / 4 // length up to about 9.2e18
	MinSquaredNorm = 0x1p-126            // length down to about 1.08e-19
)

// ValidateVector reports whether vec fits a collection with configuration
// cfg, for a vector that is not (yet) a record, such as a query: its length
// is cfg.Dim (*DimensionError), its components are finite (*VectorError
// naming the first bad one), its squared length is 0 or within
// [MinSquaredNorm, MaxSquaredNorm] (*NormError), and under cosine it is
// not all zeros (ErrZeroVector). Cost: O(dim).
func ValidateVector(cfg Config, vec []float32) error {
	_, err := checkVector(cfg, "", vec)
	return err
}

// checkVector validates vec for key ("" when there is none) and returns
// its squared length, summed in float64.
func checkVector(cfg Config, key string, vec []float32) (float64, error) {
	if len(vec) != cfg.Dim {
		return 0, &DimensionError{Key: key, Got: len(vec), Want: cfg.Dim}
	}
	var sum float64
	for i, f := range vec {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return 0, &VectorError{Key: key, Index: i, Value: f}
		}
		sum += float64(f) * float64(f)
	}
	if cfg.Metric == Cosine && sum == 0 {
		if key == "" {
			return 0, ErrZeroVector
		}
		return 0, fmt.Errorf("%w: key %s", ErrZeroVector, quoteKey(key))
	}
	if sum > MaxSquaredNorm || sum != 0 && sum < MinSquaredNorm {
		return 0, &NormError{Key: key, Norm: math.Sqrt(sum)}
	}
	return sum, checkEncodable(cfg, key, vec) // code.go

}

// checkMetadata validates metadata and returns what to store (nil for
// none), trimmed of surrounding white space.
func checkMetadata(key string, m json.RawMessage) ([]byte, error) {
	m = bytes.TrimSpace(m)
	switch {
	case len(m) == 0 || string(m) == "null":
		return nil, nil
	case len(m) > MaxMetadataLen:
		return nil, fmt.Errorf("%w: key %s: metadata too large (%d bytes, limit %d)", ErrInvalidMetadata, quoteKey(key), len(m), MaxMetadataLen)
	case m[0] != '{' || !json.Valid(m):
		return nil, fmt.Errorf("%w: key %s: not a JSON object", ErrInvalidMetadata, quoteKey(key))
	}
	return m, nil
}
