//go:build !race

package index_test

// raceEnabled: the race detector slows the package ~10x; tests shrink.
const raceEnabled = false
