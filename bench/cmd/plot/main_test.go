package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

func TestPlotCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.json")
	doc := bench.NewDocument(bench.Machine{},
		bench.Row{System: "x", Dataset: "d", Ef: 10, Recall: 0.8, QPSSingle: 1000},
		bench.Row{System: "x", Dataset: "d", Ef: 20, Recall: 0.95, QPSSingle: 500})
	if err := doc.WriteFile(in); err != nil {
		t.Fatal(err)
	}
	out, csv := filepath.Join(dir, "p.svg"), filepath.Join(dir, "all.csv")
	if err := run(out, "", false, csv, []string{in}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{out, csv} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if err := run(filepath.Join(dir, "p.svg"), "", false, "", []string{filepath.Join(dir, "missing.json")}); err == nil {
		t.Error("missing input accepted")
	}
}
