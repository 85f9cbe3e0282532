package quant_test

import "golang.org/x/sys/unix"

// threadCPU returns the calling thread's CPU time in nanoseconds: time the
// thread was descheduled on a loaded machine does not count.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}
