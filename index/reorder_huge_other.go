//go:build !linux

package index

// adviseHuge is a no-op where transparent huge pages cannot be asked for.
func adviseHuge[T any](chunks [][]T) {}
