package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Limits checked at the API boundary.
const (
	// MaxDim is the largest vector dimension a collection may have.
	MaxDim = 65536
	// MaxNameLen is the longest collection name, in bytes.
	MaxNameLen = 255
	// MaxKeyLen is the longest record key, in bytes. bbolt allows keys of
	// up to 32768 bytes; vecbolt keeps keys short so that the keys bucket
	// stays dense.
	MaxKeyLen = 4096
	// MaxMetadataLen is the largest metadata object, in bytes.
	MaxMetadataLen = 1 << 20
)

// configVersion is the version of the config encoding (JSON) kept beside
// it in the config bucket.
const configVersion uint32 = 1

// Metric names accepted in Config.Metric.
const (
	Cosine = "cosine"
	Dot    = "dot"
	L2     = "l2"
)

// Vector encodings accepted in Config.Encoding (code.go). EncodingNone
// keeps float32 vectors as they are ("" means the same).
const (
	EncodingNone = "none"
	EncodingFP16 = "fp16"
	EncodingINT8 = "int8"
)

// Config is a collection's fixed configuration, stored in the file when the
// collection is created and returned unchanged afterwards. The store
// interprets only Dim and Metric; M, EfConstruction, Ef and Seed are kept
// for the index exactly as given (0 is stored as 0: callers that want
// defaults should fill them in before CreateCollection, so that a later
// CreateCollection with the same settings compares equal).
type Config struct {
	Dim            int    // vector length, 1..MaxDim
	Metric         string // "cosine", "dot" or "l2" (lower case)
	M              int    // HNSW links per node; >= 0
	EfConstruction int    // HNSW build beam width; >= 0
	Ef             int    // HNSW default search beam width; >= 0
	Seed           int64  // random seed for level assignment
	// Encoding is how the graph holds vectors in memory: "" or "none"
	// (float32), "fp16" or "int8" (package index/quant). The exact float32
	// vectors are stored whatever the encoding; an encoded collection
	// also keeps the codes, in code blocks (code.go).
	Encoding string
	// EncodingParams is the INT8 parameters, quant.Int8.MarshalBinary's
	// bytes in standard base64 (CRC-32C checked by quant), for the
	// collection's dimension and metric; "" for none and fp16. An int8
	// collection with "" is untrained: it stores no codes until
	// Collection.SetEncoding trains it (a staged bulk load). Params are
	// derived state, not a setting: CreateCollection does not compare
	// them (mismatch), and SetEncoding replaces them with the codes.
	EncodingParams string
	// Embedder is the canonical spec of the embedder that turns text into
	// this collection's vectors (package query/embed), "" for none. The
	// store keeps it and compares it like the other fields.
	Embedder string
}

// storedConfig is the JSON form of Config in the config bucket.
type storedConfig struct {
	Dim            int    `json:"dim"`
	Metric         string `json:"metric"`
	M              int    `json:"m"`
	EfConstruction int    `json:"ef_construction"`
	Ef             int    `json:"ef"`
	Seed           int64  `json:"seed"`
	Encoding       string `json:"encoding,omitempty"`
	EncodingParams string `json:"encoding_params,omitempty"`
	Embedder       string `json:"embedder,omitempty"`
}

// Validate reports whether cfg is acceptable for CreateCollection. Errors
// wrap ErrInvalidConfig.
func (cfg Config) Validate() error {
	switch {
	case cfg.Dim <= 0 || cfg.Dim > MaxDim:
		return fmt.Errorf("%w: dimension %d, want 1..%d", ErrInvalidConfig, cfg.Dim, MaxDim)
	case cfg.Metric != Cosine && cfg.Metric != Dot && cfg.Metric != L2:
		return fmt.Errorf("%w: unknown metric %q, want %q, %q or %q", ErrInvalidConfig, cfg.Metric, Cosine, Dot, L2)
	case cfg.M < 0:
		return fmt.Errorf("%w: M is %d", ErrInvalidConfig, cfg.M)
	case cfg.EfConstruction < 0:
		return fmt.Errorf("%w: EfConstruction is %d", ErrInvalidConfig, cfg.EfConstruction)
	case cfg.Ef < 0:
		return fmt.Errorf("%w: Ef is %d", ErrInvalidConfig, cfg.Ef)
	}
	if _, err := parseCodec(cfg); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return nil
}

// mismatch returns the first field in which a and b differ, formatted.
// EncodingParams is not compared: it is trained state, not a setting.
func (cfg Config) mismatch(req Config) (field, stored, requested string, differ bool) {
	switch {
	case cfg.Dim != req.Dim:
		return "Dim", strconv.Itoa(cfg.Dim), strconv.Itoa(req.Dim), true
	case cfg.Metric != req.Metric:
		return "Metric", strconv.Quote(cfg.Metric), strconv.Quote(req.Metric), true
	case cfg.M != req.M:
		return "M", strconv.Itoa(cfg.M), strconv.Itoa(req.M), true
	case cfg.EfConstruction != req.EfConstruction:
		return "EfConstruction", strconv.Itoa(cfg.EfConstruction), strconv.Itoa(req.EfConstruction), true
	case cfg.Ef != req.Ef:
		return "Ef", strconv.Itoa(cfg.Ef), strconv.Itoa(req.Ef), true
	case cfg.Seed != req.Seed:
		return "Seed", strconv.FormatInt(cfg.Seed, 10), strconv.FormatInt(req.Seed, 10), true
	case canonicalEncoding(cfg.Encoding) != canonicalEncoding(req.Encoding):
		return "Encoding", strconv.Quote(canonicalEncoding(cfg.Encoding)), strconv.Quote(canonicalEncoding(req.Encoding)), true
	case cfg.Embedder != req.Embedder:
		return "Embedder", strconv.Quote(cfg.Embedder), strconv.Quote(req.Embedder), true
	}
	return "", "", "", false
}

func validateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidName, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, name)
	case name[0] == 0:
		return fmt.Errorf("%w: %q starts with a NUL byte (reserved for staged collections)", ErrInvalidName, name)
	}
	return nil
}

func encodeConfig(cfg Config) ([]byte, error) {
	return json.Marshal(storedConfig(cfg))
}

// decodeConfig decodes and validates the config bucket's values.
func decodeConfig(name string, version, data []byte) (Config, error) {
	version, ok := unseal(configVersionKey, version)
	if !ok {
		return Config{}, corrupt(name, "config", "version fails its checksum")
	}
	if data, ok = unseal(configKey, data); !ok {
		return Config{}, corrupt(name, "config", "config fails its checksum")
	}
	if len(version) != 4 {
		return Config{}, corrupt(name, "config", "version has %d bytes, want 4", len(version))
	}
	if v := binary.BigEndian.Uint32(version); v > configVersion {
		return Config{}, &VersionError{What: fmt.Sprintf("collection %q config", name), Got: v, Supported: configVersion}
	} else if v == 0 {
		return Config{}, corrupt(name, "config", "version 0")
	}
	var sc storedConfig
	if err := json.Unmarshal(data, &sc); err != nil {
		return Config{}, corrupt(name, "config", "%v", err)
	}
	cfg := Config(sc)
	if err := cfg.Validate(); err != nil {
		return Config{}, corrupt(name, "config", "%v", err)
	}
	return cfg, nil
}

// ValidateName reports whether name is acceptable as a collection name:
// 1..MaxNameLen bytes of valid UTF-8, not starting with a NUL byte (such
// names are reserved for staged collections). Errors wrap ErrInvalidName.
func ValidateName(name string) error { return validateName(name) }
