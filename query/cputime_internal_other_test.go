//go:build !linux

package query

// threadNanos is unavailable here: the A/B measurements report wall time
// only (see cputime_internal_linux_test.go).
func threadNanos() int64 { return 0 }
