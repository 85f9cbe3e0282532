//go:build !linux

package index

// adviseHugeChunks is a no-op where transparent huge pages cannot be asked for.
func adviseHugeChunks[T any](chunks [][]T) {}
