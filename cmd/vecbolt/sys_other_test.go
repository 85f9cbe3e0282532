//go:build !linux

package main

import "errors"

// See sys_linux_test.go: without tmpfs mounts and FIFOs the tests that need
// them skip those steps.

var errNotLinux = errors.New("not available on this system (Linux only in these tests)")

func mountTmpfs(dir string, size int) error { return errNotLinux }

func unmountTmpfs(dir string) error { return nil }

func mkfifo(path string) error { return errNotLinux }
