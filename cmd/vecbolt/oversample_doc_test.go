package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/index"
)

// defaultOversampleClaims matches the ways the README, the docs and the
// help texts state the default oversampling factor; group 1 is the number.
var defaultOversampleClaims = regexp.MustCompile(`(?i)(?:default oversample ([0-9.]+)|oversample ([0-9.]+) \(the default\)|DefaultOversample \(([0-9.]+)\)|--oversample[^\n]*\(default ([0-9.]+)\)|oversample[^\n]*\(0: the default, ([0-9.]+)\))`)

// TestDefaultOversampleDocumented pins every statement of the default
// oversampling factor in README.md, docs/*.md and the search and bench
// help to index.DefaultOversample, and checks that the README and search
// --help state it at all.
func TestDefaultOversampleDocumented(t *testing.T) {
	want := index.DefaultOversample
	check := func(where, text string) int {
		n := 0
		for _, m := range defaultOversampleClaims.FindAllStringSubmatch(text, -1) {
			for _, g := range m[1:] {
				if g == "" {
					continue
				}
				n++
				if got, err := strconv.ParseFloat(strings.TrimSuffix(g, "."), 64); err != nil || got != want {
					t.Errorf("%s: %q states a default oversample of %s, index.DefaultOversample is %g", where, m[0], g, want)
				}
			}
		}
		return n
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	files = append(files, filepath.Join("..", "..", "README.md"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := check(f, string(b)); n == 0 && strings.HasSuffix(f, "README.md") {
			t.Errorf("README.md does not state the default oversample (%g)", want)
		}
	}
	for _, cmd := range []string{"search", "bench"} {
		help := ok(t, cmd, "--help")
		if n := check(cmd+" --help", help); n == 0 {
			t.Errorf("%s --help does not state the default oversample (%g):\n%s", cmd, want, help)
		}
	}
	// The pattern itself: it catches a wrong figure in each form.
	for _, bad := range []string{"the default oversample 2", "oversample 2 (the default)", "index.DefaultOversample (2)", "`--oversample R` | re-rank (default 2)", "--oversample float  re-rank (0: the default, 2)"} {
		if m := defaultOversampleClaims.FindString(bad); m == "" {
			t.Errorf("the pattern misses %q", bad)
		}
	}
}
