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
