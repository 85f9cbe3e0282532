package index

import "golang.org/x/sys/unix"

// threadNanos returns the calling thread's CPU time in nanoseconds; the
// caller locks its goroutine to the thread.
func threadNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}
