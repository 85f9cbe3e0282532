package bench_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

func TestSummarize(t *testing.T) {
	row := func(system string, ef int, recall, qps float64) bench.Row {
		return bench.Row{System: system, M: 16, EfConstruction: 200, Ef: ef, Recall: recall, QPSSingle: qps,
			BuildSeconds: 2, BuildThreads: 2, OpenSeconds: 0.1, FileBytes: 1 << 20, BytesPerVector: 500}
	}
	rows := []bench.Row{
		row("vecbolt", 10, 0.80, 8000), row("vecbolt", 64, 0.96, 4000), row("vecbolt", 256, 0.995, 1000),
		row("hnswlib", 10, 0.85, 10000), row("hnswlib", 64, 0.97, 5000), row("hnswlib", 256, 0.985, 2000),
	}
	ss := bench.Summarize(rows)
	if len(ss) != 2 || ss[0].System != "vecbolt" || ss[1].Label != "hnswlib M=16 efC=200" {
		t.Fatalf("%+v", ss)
	}
	// Written out: linear interpolation between the surrounding points.
	v90 := 8000 + (0.10/0.16)*(4000-8000)
	h90 := 10000 + (0.05/0.12)*(5000-10000)
	if math.Abs(ss[0].QPS[0]-v90) > 1e-6 || math.Abs(ss[1].QPS[0]-h90) > 1e-6 {
		t.Errorf("QPS@0.90: %v %v, want %v %v", ss[0].QPS[0], ss[1].QPS[0], v90, h90)
	}
	if math.Abs(ss[0].Ratio[0]-v90/h90) > 1e-9 || ss[1].Ratio[0] != 1 {
		t.Errorf("ratios %v %v", ss[0].Ratio, ss[1].Ratio)
	}
	// hnswlib never reaches 0.99: no QPS, no ratio for anyone.
	if ss[1].QPS[2] != 0 || ss[0].Ratio[2] != 0 || ss[0].QPS[2] == 0 {
		t.Errorf("0.99: %v %v %v", ss[1].QPS, ss[0].Ratio, ss[0].QPS)
	}
	if ss[0].MaxRecall != 0.995 {
		t.Errorf("max recall %v", ss[0].MaxRecall)
	}
	for _, md := range []bool{false, true} {
		var b bytes.Buffer
		if err := bench.WriteSummary(&b, ss, md); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"QPS@0.95", "not reached", "hnswlib M=16 efC=200", "2.00 (2)", "1.0 MiB"} {
			if !strings.Contains(out, want) {
				t.Errorf("markdown=%v: output lacks %q:\n%s", md, want, out)
			}
		}
		if md != strings.Contains(out, "| --- |") {
			t.Errorf("markdown=%v:\n%s", md, out)
		}
	}
	// Without a reference there are no ratios.
	if ss := bench.Summarize(rows[:3]); ss[0].Ratio[0] != 0 {
		t.Errorf("ratio without a reference: %v", ss[0].Ratio)
	}
}
