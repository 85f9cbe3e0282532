package store_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

func TestRecordRoundTrip(t *testing.T) {
	cases := []struct {
		seq  uint64
		norm float32
		key  string
		meta string
	}{
		{1, 0, "k", ""},
		{math.MaxUint64, 3.5, "ключ", `{"a":1}`},
		{7, 1e-30, string(bytes.Repeat([]byte{0xff}, store.MaxKeyLen)), `{}`},
	}
	for _, tc := range cases {
		b := store.EncodeRecord(tc.seq, tc.norm, tc.key, []byte(tc.meta))
		seq, norm, key, meta, err := store.DecodeRecord(b)
		if err != nil || seq != tc.seq || norm != tc.norm || string(key) != tc.key || string(meta) != tc.meta {
			t.Errorf("round trip of %+v: %d %v %q %q %v", tc, seq, norm, key, meta, err)
		}
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := store.EncodeRecord(5, 2, "key", []byte(`{"x":1}`))
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string][]byte{
		"nil":             nil,
		"short header":    good[:15],
		"key cut":         good[:17],
		"seq zero":        mut(func(b []byte) []byte { binary.BigEndian.PutUint64(b, 0); return b }),
		"empty key":       store.EncodeRecord(5, 2, "", nil),
		"key length huge": mut(func(b []byte) []byte { binary.BigEndian.PutUint32(b[12:], math.MaxUint32); return b }),
		"key over limit":  store.EncodeRecord(5, 2, string(make([]byte, store.MaxKeyLen+1)), nil),
		"NaN norm":        store.EncodeRecord(5, float32(math.NaN()), "k", nil),
		"Inf norm":        store.EncodeRecord(5, float32(math.Inf(1)), "k", nil),
		"negative norm":   store.EncodeRecord(5, -1, "k", nil),
		"meta not object": store.EncodeRecord(5, 2, "k", []byte(`[1]`)),
		"meta cut":        good[:len(good)-1],
		"meta one byte":   store.EncodeRecord(5, 2, "k", []byte(`{`)),
	}
	for name, b := range cases {
		if _, _, _, _, err := store.DecodeRecord(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// FuzzDecodeRecord checks that the records-bucket decoder never panics and
// that whatever it accepts re-encodes to the same bytes. The seed corpus
// runs in the normal test suite.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(store.EncodeRecord(1, 0, "k", nil))
	f.Add(store.EncodeRecord(1<<40, 1.5, "hello world", []byte(`{"a":[1,2,{"b":null}]}`)))
	f.Add(store.EncodeRecord(3, 0, "\x00\xff", []byte(`{}`)))
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Add(bytes.Repeat([]byte{0xff}, 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, norm, key, meta, err := store.DecodeRecord(b)
		if err != nil {
			return
		}
		if again := store.EncodeRecord(seq, norm, string(key), meta); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding %x gave %x", b, again)
		}
		if seq == 0 || len(key) == 0 || len(key) > store.MaxKeyLen || norm < 0 || math.IsNaN(float64(norm)) {
			t.Fatalf("accepted bad record: seq %d key %d bytes norm %v", seq, len(key), norm)
		}
	})
}
