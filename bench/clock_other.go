//go:build !linux

package bench

// threadCPU reports that this system has no per-thread CPU clock here.
func threadCPU() (int64, bool) { return 0, false }
