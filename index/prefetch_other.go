//go:build !amd64

package index

// prefetchVec is a no-op where vecbolt has no prefetch instruction.
func prefetchVec(p *float32, lines int) {}
