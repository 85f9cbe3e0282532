package main

import (
	"math"
	"strings"
	"testing"
)

// FuzzParseVector checks that parseVector never panics, accepts only finite
// components, and reads formatVector's output back bit for bit.
func FuzzParseVector(f *testing.F) {
	for _, s := range []string{"1", "0.1,-0.2, 0.3", "[1 2 3]", "[1e-3,2E2]", ",", "[", "1,,2", "NaN", "1e39", "-0", "[ ]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseVector(s)
		if err != nil {
			if exitCode(err) != exitInvalid {
				t.Fatalf("parseVector(%q): exit code %d for %v", s, exitCode(err), err)
			}
			return
		}
		if len(v) == 0 {
			t.Fatalf("parseVector(%q) = empty vector, no error", s)
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("parseVector(%q) = %v: not finite", s, v)
			}
		}
		back, err := parseVector(formatVector(v))
		if err != nil || len(back) != len(v) {
			t.Fatalf("round trip of %v: %v, %v", v, back, err)
		}
		for i := range v {
			if math.Float32bits(back[i]) != math.Float32bits(v[i]) {
				t.Fatalf("round trip of %v: %v", v, back)
			}
		}
	})
}

func TestTableKey(t *testing.T) {
	for key, want := range map[string]string{
		"king":      "king",
		"new york":  "new york",
		"tab\there": `"tab\there"`,
		"line\nend": `"line\nend"`,
	} {
		if got := tableKey(key); got != want {
			t.Errorf("tableKey(%q) = %s, want %s", key, got, want)
		}
	}
	if strings.Contains(tableKey("\x00"), "\x00") {
		t.Error("NUL not quoted")
	}
}
