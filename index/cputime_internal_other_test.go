//go:build !linux

package index

import "time"

var startTime = time.Now()

// threadNanos falls back to wall time.
func threadNanos() int64 { return int64(time.Since(startTime)) }
