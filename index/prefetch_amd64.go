package index

// prefetchVec asks the CPU to start loading lines cache lines from p
// (PREFETCHT0), so that a later read of them does not stall. It has no
// effect on the program's results.
//
//go:noescape
func prefetchVec(p *float32, lines int)
