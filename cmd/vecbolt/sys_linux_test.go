package main

import (
	"strconv"
	"syscall"
)

// Platform helpers of the tests: tmpfs mounts and FIFOs as Linux has them;
// sys_other_test.go makes the same tests compile (and skip) elsewhere.

// mountTmpfs mounts a tmpfs of size bytes on dir (needs root or
// CAP_SYS_ADMIN).
func mountTmpfs(dir string, size int) error {
	return syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+itoa(size))
}

// unmountTmpfs undoes mountTmpfs.
func unmountTmpfs(dir string) error { return syscall.Unmount(dir, 0) }

// mkfifo makes a named pipe.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

func itoa(n int) string { return strconv.Itoa(n) }
