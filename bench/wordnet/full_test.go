package wordnet_test

import (
	"os"
	"testing"

	"github.com/vecbolt/vecbolt/bench/wordnet"
)

const fullDir = "/usr/share/wordnet"

// fullWordNet reads Debian's wordnet-base, or skips.
func fullWordNet(t *testing.T) []wordnet.Synset {
	t.Helper()
	if testing.Short() {
		t.Skip("reading the full WordNet is skipped under -short")
	}
	if _, err := os.Stat(fullDir + "/data.noun"); err != nil {
		t.Skipf("WordNet 3.0 is not installed in %s (apt-get install wordnet-base): %v", fullDir, err)
	}
	ss, err := wordnet.ReadDir(fullDir)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// The synset counts of WordNet 3.0 as published by Princeton (wnstats(7)).
func TestFullWordNetCounts(t *testing.T) {
	ss := fullWordNet(t)
	count := map[byte]int{}
	examples := 0
	for _, s := range ss {
		count[s.POS]++
		if len(s.Examples) > 0 {
			examples++
		}
	}
	want := map[byte]int{'n': 82115, 'v': 13767, 'a': 7463, 's': 10693, 'r': 3621}
	for p, n := range want {
		if count[p] != n {
			t.Errorf("POS %c: %d synsets, want %d", p, count[p], n)
		}
	}
	t.Logf("%d synsets, %d with an example", len(ss), examples)
}
