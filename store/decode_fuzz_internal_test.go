package store

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// Fuzz tests for the decoders that record_test.go's FuzzDecodeRecord does
// not cover: the collection config and the collection meta. Each must
// return an error or a value that re-encodes to an equivalent input, and
// never panic.

func FuzzDecodeConfig(f *testing.F) {
	good, _ := encodeConfig(Config{Dim: 100, Metric: Cosine, M: 16, EfConstruction: 200, Ef: 64, Seed: 7})
	v1 := binary.BigEndian.AppendUint32(nil, configVersion)
	f.Add(v1, good)
	f.Add(v1, []byte(`{"dim":0,"metric":"cosine"}`))
	f.Add(v1, []byte(`{"dim":3,"metric":"hamming","m":1}`))
	f.Add(v1, []byte(`{"dim":-1}`))
	f.Add(v1, []byte(`{`))
	f.Add([]byte{0, 0, 0, 9}, good)
	f.Add([]byte{0, 0, 0}, good)
	f.Fuzz(func(t *testing.T, version, data []byte) {
		cfg, err := decodeConfig("c", version, data)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("decoded an invalid config %+v: %v", cfg, err)
		}
		enc, err := encodeConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeConfig("c", version, enc)
		if err != nil || again != cfg {
			t.Fatalf("round trip: %+v -> %s -> %+v, %v", cfg, enc, again, err)
		}
	})
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta(1, 0))
	f.Add(encodeMeta(11, 10))
	f.Add(encodeMeta(5, 5))
	f.Add(encodeMeta(0, 0))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		next, count, err := decodeMeta(b)
		if err != nil {
			return
		}
		if next == 0 || count >= next {
			t.Fatalf("decoded next %d count %d", next, count)
		}
		if !bytes.Equal(encodeMeta(next, count), b) {
			t.Fatalf("round trip of %x", b)
		}
	})
}
