//go:build race

package query_test

// raceEnabled: the race detector slows tests ~10x; the real-data ones skip.
const raceEnabled = true
