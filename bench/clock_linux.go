//go:build linux

package bench

import "golang.org/x/sys/unix"

// threadCPU returns the calling OS thread's CPU time in nanoseconds
// (CLOCK_THREAD_CPUTIME_ID) and true.
func threadCPU() (int64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}
