package bench_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

func sampleSeries() []bench.Series {
	rows := []bench.Row{
		{System: "hnswlib", M: 16, EfConstruction: 200, Ef: 64, Recall: 0.95, QPSSingle: 8000},
		{System: "hnswlib", M: 16, EfConstruction: 200, Ef: 16, Recall: 0.80, QPSSingle: 20000},
		{System: "faiss-hnsw", M: 16, EfConstruction: 200, Ef: 16, Recall: 0.79, QPSSingle: 9000},
		{System: "faiss-hnsw", M: 16, EfConstruction: 200, Ef: 64, Recall: 0.94, QPSSingle: 4000},
		{System: "hnswlib", M: 16, EfConstruction: 200, Ef: 256, Recall: 0.995, QPSSingle: 2500},
		{System: "skipped", Ef: 1, Recall: 1}, // no QPS
	}
	return bench.SeriesFromRows(rows, false)
}

func TestSeriesFromRows(t *testing.T) {
	s := sampleSeries()
	if len(s) != 2 || s[0].Label != "hnswlib M=16 efC=200" || s[1].Label != "faiss-hnsw M=16 efC=200" {
		t.Fatalf("series %+v", s)
	}
	if p := s[0].Points; len(p) != 3 || p[0].Ef != 16 || p[1].Ef != 64 || p[2].Ef != 256 {
		t.Fatalf("points not sorted by ef: %+v", p)
	}
}

func TestPlotPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "p.png")
	if err := bench.PlotFile(pngPath, "glove", sampleSeries()); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(pngPath)
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Fatalf("tiny image %v", b)
	}

	svgPath := filepath.Join(dir, "p.svg")
	if err := bench.PlotFile(svgPath, "glove", sampleSeries()); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(svgPath)
	dec := xml.NewDecoder(bytes.NewReader(raw))
	sawSVG := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "svg" {
			sawSVG = true
		}
	}
	if !sawSVG || !bytes.Contains(raw, []byte("<svg")) {
		t.Fatal("no <svg element")
	}

	if err := bench.PlotFile(filepath.Join(dir, "p.gif"), "x", sampleSeries()); !errors.Is(err, bench.ErrUnknownFormat) {
		t.Errorf("gif: %v", err)
	}
	if err := bench.PlotFile(filepath.Join(dir, "e.png"), "x", nil); !errors.Is(err, bench.ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
}

func TestQPSAtRecall(t *testing.T) {
	curve := []bench.Point{
		{Recall: 0.80, QPS: 20000, Ef: 16},
		{Recall: 0.92, QPS: 10000, Ef: 48},
		{Recall: 0.96, QPS: 6000, Ef: 96},
		{Recall: 0.985, QPS: 3000, Ef: 256},
		{Recall: 0.93, QPS: 5000, Ef: 64}, // dominated by ef=96: ignored
	}
	tests := []struct {
		target  float64
		want    float64
		reached bool
	}{
		{0.90, 20000 + (0.10/0.12)*(10000-20000), true}, // between 0.80 and 0.92
		{0.95, 10000 + (0.03/0.04)*(6000-10000), true},  // between 0.92 and 0.96 (0.93 dominated)
		{0.96, 6000, true}, // exactly on a point
		{0.985, 3000, true},
		{0.99, 0, false},    // never reached
		{0.50, 20000, true}, // below the curve: its fastest point meets it
	}
	for _, tc := range tests {
		got, ok := bench.QPSAtRecall(curve, tc.target)
		if ok != tc.reached || math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("target %v: %v %v, want %v %v", tc.target, got, ok, tc.want, tc.reached)
		}
	}
	if _, ok := bench.QPSAtRecall(nil, 0.9); ok {
		t.Error("empty curve reached a target")
	}
	f := bench.ParetoFrontier(curve)
	if len(f) != 4 {
		t.Fatalf("frontier %+v", f)
	}
	for i := 1; i < len(f); i++ {
		if f[i].Recall < f[i-1].Recall || f[i].QPS > f[i-1].QPS {
			t.Fatalf("frontier not monotone: %+v", f)
		}
	}
}
