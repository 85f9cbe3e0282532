//go:build !linux

package main

// threadCPU is unavailable here: -clock thread is refused.
func threadCPU() (int64, bool) { return 0, false }
