//go:build !linux

package query_test

import "errors"

// See sys_linux_test.go: without tmpfs mounts the tests that need one skip.

func mountTmpfs(dir, size string) error {
	return errors.New("tmpfs mounts are Linux only")
}

func unmountTmpfs(dir string) error { return nil }

func onTmpfs(path string) bool { return false }
