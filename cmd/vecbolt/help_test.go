package main

import (
	"strings"
	"testing"
)

func TestEveryCommandHasHelpAndExample(t *testing.T) {
	root := newRootCommand(&globalOptions{})
	if root.Example == "" {
		t.Error("root has no Example")
	}
	for _, c := range root.Commands() {
		if c.Example == "" || c.Short == "" || c.Long == "" {
			t.Errorf("%s: Short, Long and Example must all be set", c.Name())
		}
		out := ok(t, c.Name(), "--help")
		if !strings.Contains(out, "Examples:") || !strings.Contains(out, "--db") {
			t.Errorf("%s --help:\n%s", c.Name(), out)
		}
	}
}

func TestHelpGolden(t *testing.T) {
	golden(t, "help.golden", ok(t, "--help"))
	golden(t, "search_help.golden", ok(t, "search", "--help"))
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out := ok(t, "completion", shell)
		if !strings.Contains(out, "vecbolt") || len(out) < 500 {
			t.Errorf("completion %s: %d bytes", shell, len(out))
		}
	}
	// Dynamic completion, as the shell scripts ask for it: flags and their
	// values.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"search", "--"}, []string{"--key", "--exact", "--db"}},
		{[]string{"import", "--format", ""}, formatNames},
		{[]string{"create", "--metric", ""}, []string{"cosine", "dot", "l2"}},
		{[]string{"analogy", "--method", ""}, []string{"add", "mul"}},
		{[]string{"st"}, []string{"stats"}},
	} {
		out := ok(t, append([]string{"__complete"}, tc.args...)...)
		for _, w := range tc.want {
			if !strings.Contains(out, w+"\n") && !strings.Contains(out, w+"\t") {
				t.Errorf("__complete %v lacks %s:\n%s", tc.args, w, out)
			}
		}
	}
}
