package store_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

func TestValidate(t *testing.T) {
	cos := store.Config{Dim: 2, Metric: store.Cosine}
	l2 := store.Config{Dim: 2, Metric: store.L2}
	nan := float32(math.NaN())
	cases := []struct {
		name string
		cfg  store.Config
		key  string
		vec  []float32
		meta string
		want error // nil: accepted
	}{
		{"ok", cos, "k", []float32{1, 2}, `{"a":1}`, nil},
		{"ok no meta", l2, "k", []float32{0, 0}, "", nil},
		{"empty key", cos, "", []float32{1, 2}, "", store.ErrEmptyKey},
		{"long key", cos, strings.Repeat("x", store.MaxKeyLen+1), []float32{1, 2}, "", store.ErrKeyTooLong},
		{"dimension", cos, "k", []float32{1}, "", store.ErrDimension},
		{"NaN", l2, "k", []float32{1, nan}, "", store.ErrInvalidVector},
		{"zero cosine", cos, "k", []float32{0, 0}, "", store.ErrZeroVector},
		{"meta array", l2, "k", []float32{1, 2}, "[]", store.ErrInvalidMetadata},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := store.Validate(tc.cfg, tc.key, tc.vec, json.RawMessage(tc.meta))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Validate = %v, want %v", err, tc.want)
			}
		})
	}
	if err := store.ValidateVector(cos, []float32{0, 0}); !errors.Is(err, store.ErrZeroVector) {
		t.Errorf("ValidateVector zero: %v", err)
	}
	err := store.ValidateVector(l2, []float32{1, 2, 3})
	if !errors.Is(err, store.ErrDimension) || strings.Contains(err.Error(), "key") {
		t.Errorf("ValidateVector dimension: %v (no key to name)", err)
	}
	if err := store.ValidateVector(l2, []float32{nan, 0}); !errors.Is(err, store.ErrInvalidVector) || !strings.Contains(err.Error(), "component 0") {
		t.Errorf("ValidateVector NaN: %v", err)
	}
	if err := store.ValidateVector(l2, []float32{1, 2}); err != nil {
		t.Errorf("ValidateVector ok: %v", err)
	}
}
