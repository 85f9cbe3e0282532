//go:build race

package quant_test

// raceEnabled: the race detector slows the package ~10x; long tests skip.
const raceEnabled = true
