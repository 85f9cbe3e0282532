//go:build race

package main

// raceEnabled: the race detector slows the package ~10x; the tests that
// build the demo database skip under it (CI runs them in its second pass).
const raceEnabled = true
