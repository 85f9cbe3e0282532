//go:build !linux

package index

// adviseHuge does nothing on this platform.
func adviseHuge[T any](s []T) {}
