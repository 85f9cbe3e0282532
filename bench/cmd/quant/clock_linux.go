package main

import "golang.org/x/sys/unix"

// threadCPU returns the calling thread's CPU time in nanoseconds, and
// true: time the thread spent descheduled on a loaded machine does not
// count.
func threadCPU() (int64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}
