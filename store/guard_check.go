package store

import (
	"runtime/debug"
)

// Guarding the reads below a collection's first pages
//
// Tx.Collection verifies a collection's bucket and the first page of each
// of its sub-buckets (bucket_check.go), but not the pages below them:
// verifying those on every read would cost O(n) per open, or a B-tree
// walk of the file per Get. A damaged element there (a key or value
// offset past its page, a page id past the file) makes bbolt read outside
// the page: an index panic, or a fault on the mapped file, which would
// kill the process. The read methods (Get, GetByID, ForEach) run with
// faults turned into panics and turn a panic of their own reading into a
// CorruptError naming the bucket being read; Check finds the same damage
// by walking every page.

// readGuard, deferred by a read method after
// defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)), turns a panic
// into a CorruptError naming *at, the sub-bucket being read. A panic while
// *at is "" (the method is calling its caller's function) is not a read of
// the file and is raised again.
func (c *Collection) readGuard(at *string, err *error) {
	p := recover()
	if p == nil {
		return
	}
	if *at == "" {
		panic(p)
	}
	*err = corrupt(c.name, *at, "reading a damaged page: %v", p)
}

// faultsPanic makes a fault on memory a panic in this goroutine, until
// the function it returns is called (deferred).
func faultsPanic() func() {
	old := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(old) }
}
