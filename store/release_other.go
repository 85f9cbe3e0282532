//go:build !unix

package store

// ReleaseMapped does nothing on this platform.
func (tx *Tx) ReleaseMapped() {}
