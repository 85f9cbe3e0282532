//go:build !amd64

package quant

// kernelSets returns the pure-Go references: vecbolt has assembly kernels
// for amd64 only.
func kernelSets() []kernelSet { return []kernelSet{goKernels} }
