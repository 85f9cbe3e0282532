package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestBenchWrites(t *testing.T) {
	dir := t.TempDir()
	db, out := filepath.Join(dir, "w.db"), filepath.Join(dir, "w.json")
	text := ok(t, "--db", db, "bench", "writes", "--synthetic", "300,4", "--metric", "l2", "--m", "8", "--ef-construction", "32",
		"--ops", "3", "--writers", "2", "--out", out)
	for _, want := range []string{"synthetic-300x4-seed42", "raw-bbolt", "insert", "update", "metadata", "noop", "delete", "group-insert"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	var doc struct {
		Dataset string `json:"dataset"`
		Report  struct {
			N      int `json:"n"`
			Phases []struct {
				Name string `json:"name"`
				Ops  int    `json:"ops"`
			} `json:"phases"`
		} `json:"report"`
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Report.N != 300 || len(doc.Report.Phases) != 7 || doc.Report.Phases[1].Name != "insert" || doc.Report.Phases[1].Ops != 3 {
		t.Errorf("report: %+v", doc)
	}
	// The database was kept and is reused.
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
	ok(t, "--db", db, "bench", "writes", "--synthetic", "300,4", "--ops", "2", "--writers", "2")
	// --phases: only the inserts (and the ceiling); the inserted keys go again.
	text = ok(t, "--db", db, "bench", "writes", "--synthetic", "300,4", "--ops", "2", "--phases", "insert")
	if !strings.Contains(text, "insert") || strings.Contains(text, "update") || strings.Contains(text, "group-insert") {
		t.Errorf("--phases insert printed:\n%s", text)
	}
	if got := ok(t, "--db", db, "-c", "bench", "stats"); !regexp.MustCompile(`(?m)^records\s+300$`).MatchString(got) {
		t.Errorf("after --phases insert the collection is not back to 300 records:\n%s", got)
	}
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--phases", "insert,upsert"}, `unknown phase "upsert"`)
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--clock", "cpu"}, `--clock: want wall or thread, got "cpu"`)

	fails(t, exitUsage, []string{"bench", "writes"}, "give one input")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--ops", "0"}, "--ops")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300"}, "N,DIM")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--ops", "6000"}, "held-out rows")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--metric", "hamming"}, "hamming")

	// The quality mode on the kept database, whose update phases changed
	// some vectors: they are put back, then the three curves are swept.
	text = ok(t, "--db", db, "bench", "writes", "--synthetic", "300,4", "--metric", "l2", "--m", "8", "--ef-construction", "32",
		"--quality", "40", "--writers", "4", "--ef", "10,20", "--runs", "1", "--keep", "--controls", "1", "--queries", "200", "--out", filepath.Join(dir, "q.json"))
	for _, want := range []string{"single-inserts", "churned", "fresh-bulk", "at recall 0.95", "were restored first", "passes interleaved", "fresh-bulk-seed43"} {
		if !strings.Contains(text, want) {
			t.Errorf("quality output lacks %q:\n%s", want, text)
		}
	}
	// --sweep over the kept databases, the fresh build first.
	kept := []string{filepath.Join(dir, "quality-fresh.db"), filepath.Join(dir, "quality-fresh-seed43.db"), filepath.Join(dir, "quality-single.db"), filepath.Join(dir, "quality-incremental.db")}
	sweepOut := filepath.Join(dir, "sweep.json")
	text = ok(t, "bench", "writes", "--synthetic", "300,4", "--metric", "l2", "--quality", "40", "--queries", "200", "--ef", "10,20", "--runs", "2",
		"--sweep", strings.Join(kept, ","), "--out", sweepOut)
	for _, want := range []string{"4 databases", "-q200", "quality-fresh.db", "quality-fresh-seed43.db", "quality-single.db", "quality-incremental.db", "at recall 0.95", "- quality-fresh.db"} {
		if !strings.Contains(text, want) {
			t.Errorf("sweep output lacks %q:\n%s", want, text)
		}
	}
	var sweep struct {
		Rows []struct {
			Config string  `json:"config"`
			Ef     int     `json:"ef"`
			Recall float64 `json:"recall"`
			Runs   int     `json:"runs"`
		} `json:"rows"`
	}
	if b, err = os.ReadFile(sweepOut); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sweep); err != nil {
		t.Fatal(err)
	}
	if len(sweep.Rows) != 8 || sweep.Rows[0].Config != "quality-fresh.db" || sweep.Rows[7].Config != "quality-incremental.db" || sweep.Rows[7].Ef != 20 || sweep.Rows[7].Runs != 2 {
		t.Errorf("sweep report: %+v", sweep)
	}
	if runtime.GOOS == "linux" {
		// --clock thread: the same sweep timed by the thread's CPU time, said
		// in the output and the report.
		text = ok(t, "bench", "writes", "--synthetic", "300,4", "--metric", "l2", "--quality", "40", "--queries", "200", "--ef", "10", "--runs", "1",
			"--sweep", kept[0]+","+kept[2], "--out", sweepOut, "--clock", "thread")
		var clocked struct {
			Clock string `json:"clock"`
		}
		if b, err = os.ReadFile(sweepOut); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &clocked); err != nil || clocked.Clock != "thread" || !strings.Contains(text, "searching thread's CPU time") {
			t.Errorf("--clock thread: report clock %q (%v), output:\n%s", clocked.Clock, err, text)
		}
	}
	missing := filepath.Join(dir, "nope.db")
	fails(t, exitNotFound, []string{"bench", "writes", "--synthetic", "300,4", "--metric", "l2", "--quality", "40", "--sweep", kept[0] + "," + missing}, missing)
	fails(t, exitInvalid, []string{"bench", "writes", "--synthetic", "300,4", "--metric", "l2", "--quality", "41", "--sweep", kept[0]}, "holds 340 records, the truth covers 341 rows")
	fails(t, exitInvalid, []string{"bench", "writes", "--synthetic", "300,5", "--metric", "l2", "--quality", "40", "--sweep", kept[0]}, "dimension 4, the queries 5")
	fails(t, exitNotFound, []string{"bench", "writes", "--synthetic", "300,4", "--metric", "l2", "--quality", "40", "--sweep", kept[0], "-c", "other"}, `unknown collection: "other"`)
	fails(t, exitUsage, []string{"bench", "writes", "--dataset", "x.txt", "--sweep", kept[0]}, "--sweep needs --synthetic")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--quality", "40", "--queries", "0", "--sweep", kept[0]}, "--queries")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--quality", "40", "--controls", "-1"}, "--controls")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--quality", "-1"}, "--quality")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--quality", "10", "--churn", "2"}, "--churn")
	fails(t, exitUsage, []string{"bench", "writes", "--synthetic", "300,4", "--quality", "10", "--ef", "5"}, "--ef")
	fails(t, exitUsage, []string{"bench", "writes", "--dataset", "x.txt", "--quality", "10"}, "--synthetic")
}
