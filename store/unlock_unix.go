//go:build unix

package store

import (
	"os"
	"syscall"
)

// unlockFile releases a flock held through f, after a bbolt.Open that
// panicked half way.
func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
