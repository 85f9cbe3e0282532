package bench_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/bench"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func sampleDoc() *bench.Document {
	m := bench.CollectMachine("abc123")
	d := bench.NewDocument(m,
		bench.Row{System: "hnswlib", Version: "0.7.0", Dataset: "glove-50k-100d", Metric: bench.Cosine, N: 49000, Dim: 100,
			Queries: 1000, K: 10, M: 16, EfConstruction: 200, Ef: 64, Recall: 0.93, QPSSingle: 12345.5, QPSMulti: 20000, Threads: 2,
			P50Micros: 70, P95Micros: 120.5, P99Micros: 200, BuildSeconds: 3.2, BuildThreads: 2, OpenSeconds: 0.05,
			RSSAfterBuild: 1 << 26, RSSAfterOpen: 1 << 25, FileBytes: 30 << 20, BytesPerVector: 641.2},
		bench.Row{System: "vecbolt", Config: "nosync", Dataset: "synthetic", Metric: bench.L2, N: 10, Dim: 2, Queries: 1, K: 1, Ef: 10,
			Recall: 1, QPSSingle: 1e6, DistancesPerQuery: 10, HeapAfterBuild: 4096, HeapAfterOpen: 2048, ImportSeconds: 1.5, InsertsPerSecond: 9000},
	)
	d.Notes = []string{"a note"}
	return d
}

func TestDocumentJSONRoundTrip(t *testing.T) {
	d := sampleDoc()
	var buf bytes.Buffer
	if err := d.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := bench.ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, d)
	}
	for _, field := range []string{`"system": "hnswlib"`, `"latency_p99_us": 200`, `"vecbolt_commit": "abc123"`, `"format": "vecbolt-bench/1"`} {
		if !strings.Contains(buf.String(), field) {
			t.Errorf("JSON lacks %s", field)
		}
	}
	// Through a file as well.
	p := filepath.Join(t.TempDir(), "r.json")
	if err := d.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	if got, err := bench.ReadResultFile(p); err != nil || !reflect.DeepEqual(got, d) {
		t.Fatalf("file round trip: %v", err)
	}
	if _, err := bench.ReadJSON(strings.NewReader(`{"format":"other/9","rows":[]}`)); !errors.Is(err, bench.ErrUnknownFormat) {
		t.Errorf("foreign format: %v", err)
	}
	if err := d.WriteFile(filepath.Join(t.TempDir(), "r.xml")); !errors.Is(err, bench.ErrUnknownFormat) {
		t.Errorf("xml: %v", err)
	}
}

func TestCSV(t *testing.T) {
	golden := filepath.Join("testdata", "csv_header.golden")
	header := strings.Join(bench.CSVHeader(), ",") + "\n"
	if *update {
		if err := os.WriteFile(golden, []byte(header), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if header != string(want) {
		t.Fatalf("CSV header changed (run with -update if intended):\n got %s\nwant %s", header, want)
	}
	d := sampleDoc()
	var buf bytes.Buffer
	if err := bench.WriteCSV(&buf, d.Rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], ",")+"\n" != header {
		t.Fatalf("records %d, header %v", len(recs), recs[0])
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	checks := []struct {
		row        int
		name, want string
	}{
		{1, "system", "hnswlib"}, {1, "recall", "0.93"}, {1, "qps_single", "12345.5"}, {1, "m", "16"},
		{1, "distance_computations_per_query", ""}, // not measured: empty
		{2, "m", ""}, {2, "recall", "1"}, {2, "qps_single", "1e+06"}, {2, "config", "nosync"},
		{2, "heap_bytes_after_build", "4096"},
	}
	for _, c := range checks {
		if got := recs[c.row][col[c.name]]; got != c.want {
			t.Errorf("row %d %s = %q, want %q", c.row, c.name, got, c.want)
		}
	}
}

func TestCollectMachine(t *testing.T) {
	m := bench.CollectMachine("")
	if m.Cores < 1 || m.GOMAXPROCS < 1 || m.GoVersion == "" || m.OS == "" {
		t.Fatalf("machine %+v", m)
	}
	if m := bench.CollectMachine("deadbeef"); m.VecboltCommit != "deadbeef" {
		t.Fatalf("commit %q", m.VecboltCommit)
	}
	if _, err := os.Stat("/proc/cpuinfo"); err == nil && m.CPUModel == "" {
		t.Error("no CPU model read from /proc/cpuinfo")
	}
}
