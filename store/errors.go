package store

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors. Errors returned by this package wrap one of these (often
// inside a typed error carrying detail); test them with errors.Is.
var (
	// ErrDimension: a vector's length differs from the collection's
	// dimension. Returned inside a *DimensionError.
	ErrDimension = errors.New("store: wrong vector dimension")
	// ErrInvalidVector: a vector component is NaN or ±Inf (inside a
	// *VectorError), or the vector's length is too large or too small for
	// float32 arithmetic (inside a *NormError).
	ErrInvalidVector = errors.New("store: invalid vector")
	// ErrZeroVector: an all-zero vector in a cosine collection, which has
	// no direction.
	ErrZeroVector = errors.New("store: zero vector under cosine")
	// ErrEmptyKey: a record key is the empty string.
	ErrEmptyKey = errors.New("store: empty key")
	// ErrKeyTooLong: a record key is longer than MaxKeyLen bytes.
	ErrKeyTooLong = errors.New("store: key too long")
	// ErrKeyNotUTF8: a record key that is not valid UTF-8.
	ErrKeyNotUTF8 = errors.New("store: key is not valid UTF-8")
	// ErrKeyConflict: Put of a key that is already stored under another ID.
	ErrKeyConflict = errors.New("store: key stored under another id")
	// ErrInvalidMetadata: metadata that is not a JSON object, or larger
	// than MaxMetadataLen bytes.
	ErrInvalidMetadata = errors.New("store: invalid metadata")
	// ErrInvalidName: a collection name that is empty, longer than
	// MaxNameLen bytes or not valid UTF-8.
	ErrInvalidName = errors.New("store: invalid collection name")
	// ErrInvalidConfig: a Config with a dimension out of range, an unknown
	// metric or a negative index parameter.
	ErrInvalidConfig = errors.New("store: invalid collection config")
	// ErrUnknownCollection: no collection of that name.
	ErrUnknownCollection = errors.New("store: unknown collection")
	// ErrCollectionExists: CreateCollection of an existing name with a
	// different configuration. Returned inside a *ConfigMismatchError.
	ErrCollectionExists = errors.New("store: collection exists")
	// ErrKeyNotFound: no record under the key (or, from GetByID, the id).
	ErrKeyNotFound = errors.New("store: key not found")
	// ErrNotVecbolt: the file is not a bbolt file, or a bbolt file without
	// the vecbolt root bucket and magic.
	ErrNotVecbolt = errors.New("store: not a vecbolt database")
	// ErrVersion: the file (or a collection config) was written by a newer
	// format version than this package reads. Returned inside a
	// *VersionError.
	ErrVersion = errors.New("store: unsupported format version")
	// ErrNeedsUpgrade: the file has an older format version; Upgrade (the
	// `vecbolt upgrade` command) rewrites it. Returned inside an
	// *UpgradeError.
	ErrNeedsUpgrade = errors.New("store: database needs an upgrade")
	// ErrLocked: another DB handle (this process or another) holds the
	// file's lock and did not release it within Options.Timeout.
	ErrLocked = errors.New("store: database locked by another process")
	// ErrReadOnly: a write on a database opened with Options.ReadOnly, or
	// inside a View transaction.
	ErrReadOnly = errors.New("store: read-only")
	// ErrCorrupt: stored bytes that fail validation: a truncated file, a
	// record or vector of the wrong length, key maps that disagree.
	ErrCorrupt = errors.New("store: corrupt database")
	// ErrInvalidText: a record's text or terms that PutText refuses (not
	// UTF-8, too long, a chunk span outside its document).
	ErrInvalidText = errors.New("store: invalid text")
	// ErrPermutation: a renumbering (DB.StageRenumbered) that does not map
	// the collection's record ids one to one onto 0..n-1.
	ErrPermutation = errors.New("store: invalid id permutation")
)

// DimensionError reports a vector whose length is not the collection's
// dimension. It wraps ErrDimension.
type DimensionError struct {
	Key  string // the record key, if known
	Got  int    // length of the vector given
	Want int    // the collection's dimension
}

func (e *DimensionError) Error() string {
	return fmt.Sprintf("store: %svector has dimension %d, collection wants %d", keyPrefix(e.Key), e.Got, e.Want)
}

func (e *DimensionError) Unwrap() error { return ErrDimension }

// VectorError reports a vector component that is NaN or infinite. It wraps
// ErrInvalidVector. Index is -1 when the problem is the Norm, not a
// component.
type VectorError struct {
	Key   string
	Index int
	Value float32
}

func (e *VectorError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("store: %sinvalid norm %v", keyPrefix(e.Key), e.Value)
	}
	return fmt.Sprintf("store: %svector component %d is %v", keyPrefix(e.Key), e.Index, e.Value)
}

func (e *VectorError) Unwrap() error { return ErrInvalidVector }

// NormError reports a vector whose Euclidean length is outside the range
// float32 arithmetic handles (see MaxSquaredNorm and MinSquaredNorm). It
// wraps ErrInvalidVector.
type NormError struct {
	Key  string  // the record key, if known
	Norm float64 // the vector's length, computed in float64
}

func (e *NormError) Error() string {
	if e.Norm*e.Norm > MaxSquaredNorm {
		return fmt.Sprintf("store: %svector length %.3g is too large: distances would overflow float32 (limit %.3g; scale the vectors down)",
			keyPrefix(e.Key), e.Norm, math.Sqrt(MaxSquaredNorm))
	}
	return fmt.Sprintf("store: %svector length %.3g is too small for float32 arithmetic (nonzero vectors need at least %.3g; scale the vectors up)",
		keyPrefix(e.Key), e.Norm, math.Sqrt(MinSquaredNorm))
}

func (e *NormError) Unwrap() error { return ErrInvalidVector }

// ConfigMismatchError is returned by CreateCollection when the collection
// exists with a different configuration. It wraps ErrCollectionExists.
type ConfigMismatchError struct {
	Collection string
	Field      string // the first differing Config field, e.g. "Dim"
	Stored     string // the stored value, formatted
	Requested  string // the requested value, formatted
}

func (e *ConfigMismatchError) Error() string {
	return fmt.Sprintf("store: collection %q exists with %s %s, requested %s", e.Collection, e.Field, e.Stored, e.Requested)
}

func (e *ConfigMismatchError) Unwrap() error { return ErrCollectionExists }

// VersionError reports a format version newer than this package supports.
// It wraps ErrVersion.
type VersionError struct {
	What      string // "file" or `collection "name" config`
	Got       uint32 // version found
	Supported uint32 // newest version this package reads
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("store: %s has format version %d, this build reads up to %d", e.What, e.Got, e.Supported)
}

func (e *VersionError) Unwrap() error { return ErrVersion }

// UpgradeError reports a file in an older format version, which this
// package reads only through Upgrade. It wraps ErrNeedsUpgrade.
type UpgradeError struct {
	Path string
	Got  uint32 // the file's format version
}

func (e *UpgradeError) Error() string {
	return fmt.Sprintf("store: %s has format version %d, this build uses %d: run `vecbolt upgrade` (it rewrites the file; keep a backup)", e.Path, e.Got, FormatVersion)
}

func (e *UpgradeError) Unwrap() error { return ErrNeedsUpgrade }

// CorruptError reports stored bytes that fail validation. It wraps
// ErrCorrupt.
type CorruptError struct {
	Collection string // "" for file-level problems
	Bucket     string // e.g. "records"; "" for file-level problems
	ID         uint32 // record id, when HasID
	HasID      bool
	Reason     string
}

func (e *CorruptError) Error() string {
	s := "store: corrupt database"
	if e.Collection != "" {
		s += fmt.Sprintf(": collection %q", e.Collection)
	}
	if e.Bucket != "" {
		s += fmt.Sprintf(" bucket %s", e.Bucket)
	}
	if e.HasID {
		s += fmt.Sprintf(" id %d", e.ID)
	}
	return s + ": " + e.Reason
}

func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corruptID(col, bucket string, id uint32, format string, args ...any) error {
	return &CorruptError{Collection: col, Bucket: bucket, ID: id, HasID: true, Reason: fmt.Sprintf(format, args...)}
}

func corrupt(col, bucket string, format string, args ...any) error {
	return &CorruptError{Collection: col, Bucket: bucket, Reason: fmt.Sprintf(format, args...)}
}

// keyPrefix is "key \"k\": " for error messages, or "" without a key.
func keyPrefix(k string) string {
	if k == "" {
		return ""
	}
	return "key " + quoteKey(k) + ": "
}

// quoteKey quotes a key for an error message, shortening long keys.
func quoteKey(k string) string {
	const max = 64
	if len(k) > max {
		return fmt.Sprintf("%q... (%d bytes)", k[:max], len(k))
	}
	return fmt.Sprintf("%q", k)
}
