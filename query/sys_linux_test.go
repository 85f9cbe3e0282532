package query_test

import "syscall"

// Platform helpers of the tests: Linux has tmpfs mounts and statfs types;
// sys_other_test.go makes the same tests compile (and skip) elsewhere.

// mountTmpfs mounts a tmpfs of size ("1m") on dir (needs root or
// CAP_SYS_ADMIN).
func mountTmpfs(dir, size string) error {
	return syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size)
}

// unmountTmpfs undoes mountTmpfs.
func unmountTmpfs(dir string) error { return syscall.Unmount(dir, 0) }

// onTmpfs reports whether path is on a tmpfs.
func onTmpfs(path string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(path, &st) == nil && st.Type == 0x01021994 // TMPFS_MAGIC
}
