package quant

// KernelNames lists the kernel sets this CPU can run, "go" first.
func KernelNames() []string {
	var names []string
	for _, s := range kernelSets() {
		names = append(names, s.name)
	}
	return names
}

// SetKernels makes the named kernel set the one every exported function
// uses and returns a function restoring the previous one. Tests call it
// before any concurrent use; it panics on a name the CPU cannot run.
func SetKernels(name string) (restore func()) {
	old := kern
	for _, s := range kernelSets() {
		if s.name == name {
			kern = s
			return func() { kern = old }
		}
	}
	panic("quant: no kernel set " + name)
}

// KernelFuncs returns the named set's int8 dot, int8 squared L2 and
// float32·fp16 dot kernels, without the exported wrappers' checks.
func KernelFuncs(name string) (dotI8 func(a, b []int8) int32, l2I8 func(a, b []int8) uint32, dotF16 func(q []float32, c []uint16) float32) {
	for _, s := range kernelSets() {
		if s.name == name {
			return s.dotI8, s.l2I8, s.dotF16
		}
	}
	panic("quant: no kernel set " + name)
}

// KernelBatchFunc returns the named set's batch int8 dot kernel, without
// DotInt8Batch's checks.
func KernelBatchFunc(name string) func(out []int32, q []int8, codes [][]int8) {
	for _, s := range kernelSets() {
		if s.name == name {
			return s.dotI8Batch
		}
	}
	panic("quant: no kernel set " + name)
}
