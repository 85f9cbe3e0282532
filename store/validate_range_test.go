package store_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/store"
)

// TestValidateRanges covers the inputs that used to be accepted and then
// broke searches or checks: lengths that overflow float32 distances (1e19
// components gave NaN under l2 and +Inf under dot), denormal vectors (whose
// cosine norm failed Check) and keys that are not UTF-8 (a Latin-1 file).
func TestValidateRanges(t *testing.T) {
	rep := func(x float32, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = x
		}
		return v
	}
	maxLen := math.Sqrt(store.MaxSquaredNorm)
	cases := []struct {
		name string
		key  string
		vec  []float32 // dim 100
		want error     // nil: accepted
		text string    // in the message
	}{
		{"1e19 components", "big", rep(1e19, 100), store.ErrInvalidVector, "too large"},
		{"one MaxFloat32 component", "big", append(rep(0, 99), math.MaxFloat32), store.ErrInvalidVector, "too large"},
		{"length just above the limit", "k", append(rep(0, 99), float32(maxLen*1.001)), store.ErrInvalidVector, "too large"},
		{"length just below the limit", "k1", append(rep(0, 99), float32(maxLen*0.999)), nil, ""},
		{"1e17 components", "k1e17", rep(1e17, 100), nil, ""},
		{"denormal", "tiny", rep(1e-45, 100), store.ErrInvalidVector, "too small"},
		{"length 1e-20", "tiny", append(rep(0, 99), 1e-20), store.ErrInvalidVector, "too small"},
		{"length 1e-18", "k2", append(rep(0, 99), 1e-18), nil, ""},
		{"one denormal component among normal ones", "k3", append(rep(1, 99), 1e-45), nil, ""},
		{"latin-1 key", "caf\xe9", rep(1, 100), store.ErrKeyNotUTF8, `"caf\xe9" has byte 0xe9 at offset 3`},
		{"truncated UTF-8 key", "na\xc3", rep(1, 100), store.ErrKeyNotUTF8, "offset 2"},
		{"surrogate half", "\xed\xa0\x80", rep(1, 100), store.ErrKeyNotUTF8, "offset 0"},
		{"UTF-8 key", "café 日本", rep(1, 100), nil, ""},
	}
	for _, metric := range []string{store.Cosine, store.Dot, store.L2} {
		cfg := store.Config{Dim: 100, Metric: metric}
		db, err := store.Open(filepath.Join(t.TempDir(), "v.db"), store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(func(tx *store.Tx) error { _, err := tx.CreateCollection("c", cfg); return err }); err != nil {
			t.Fatal(err)
		}
		for i, tc := range cases {
			t.Run(metric+"/"+tc.name, func(t *testing.T) {
				check := func(what string, err error) {
					t.Helper()
					switch {
					case tc.want == nil && err != nil:
						t.Errorf("%s: %v, want nil", what, err)
					case tc.want != nil && !errors.Is(err, tc.want):
						t.Errorf("%s: %v, want %v", what, err, tc.want)
					case tc.want != nil && !strings.Contains(err.Error(), tc.text):
						t.Errorf("%s: %q does not say %q", what, err, tc.text)
					}
				}
				check("Validate", store.Validate(cfg, tc.key, tc.vec, nil))
				check("Put", db.Update(func(tx *store.Tx) error {
					c, err := tx.Collection("c")
					if err != nil {
						return err
					}
					return c.Put(&store.Record{ID: uint32(i), Key: tc.key, Vector: tc.vec})
				}))
				var ne *store.NormError
				if errors.Is(tc.want, store.ErrInvalidVector) {
					if err := store.ValidateVector(cfg, tc.vec); !errors.As(err, &ne) || !strings.Contains(err.Error(), tc.text) {
						t.Errorf("ValidateVector: %v, want a *NormError saying %q", err, tc.text)
					}
				}
			})
		}
		// What was accepted is consistent: the check passes.
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("%s: Check after the accepted puts: %v", metric, err)
		}
	}
}
