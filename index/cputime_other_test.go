//go:build !linux

package index_test

import "time"

var start = time.Now()

// processCPU falls back to wall time where getrusage is not used.
func processCPU() int64 { return int64(time.Since(start)) }

// threadCPU falls back to wall time.
func threadCPU() int64 { return int64(time.Since(start)) }
