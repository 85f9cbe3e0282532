package quant

import "testing"

// TestChooseKernels checks the start-up rule: the best set the CPU runs,
// capped by the KernelsEnv value.
func TestChooseKernels(t *testing.T) {
	sets := kernelSets()
	best := sets[len(sets)-1].name
	for _, c := range []struct{ limit, want string }{
		{"", best},
		{"bogus", best},
		{"go", "go"},
		{" GO ", "go"},
		{"purego", "go"},
	} {
		if got := chooseKernels(c.limit).name; got != c.want {
			t.Errorf("chooseKernels(%q) = %s, want %s", c.limit, got, c.want)
		}
	}
	if got := chooseKernels("avx2").name; got == "avx512vnni" {
		t.Errorf(`chooseKernels("avx2") = %s`, got)
	}
	if g := chooseKernels("go"); g.f16 != "go" {
		t.Errorf(`chooseKernels("go") keeps fp16 kernels %q`, g.f16)
	}
}
