package query

import "golang.org/x/sys/unix"

// threadNanos returns the calling thread's CPU time in nanoseconds (the
// caller locks its goroutine to the thread), for the A/B measurements;
// cputime_internal_other_test.go returns 0 elsewhere.
func threadNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
