package index_test

import "golang.org/x/sys/unix"

// processCPU returns the process's CPU time (user + system) in nanoseconds:
// time it waited for a core on a loaded machine does not count.
func processCPU() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// threadCPU returns the calling goroutine's thread CPU time in
// nanoseconds; the caller locks the goroutine to its thread.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}
