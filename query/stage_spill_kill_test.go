package query_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// spillKillEnv selects the child mode of the test binary for
// TestStageSpillSurvivesSIGKILL: the database path.
const spillKillEnv = "VECBOLT_SPILL_KILL"

var spillKillCfg = query.CollectionConfig{Dim: 16, Metric: query.Cosine, M: 8, EfConstruction: 24}

// spillKillBatches is what the child imports into a new collection in
// RCM order: spilled batches (cosine, metadata on half), then a Commit
// that writes records, vectors, nodes, order and keys in many
// transactions.
func spillKillBatches() [][]query.Record {
	recs := spillRecords("s", 10000, 16, 21, true)
	var bs [][]query.Record
	for i := 0; i < len(recs); i += 1000 {
		bs = append(bs, recs[i:i+1000])
	}
	return bs
}

// TestSpillKillChild is not a test: it is the child process of
// TestStageSpillSurvivesSIGKILL.
func TestSpillKillChild(t *testing.T) {
	path := os.Getenv(spillKillEnv)
	if path == "" {
		t.Skip("child process only")
	}
	if err := spillKillChild(path); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func spillKillChild(path string) error {
	db, err := query.Open(path, query.Options{})
	if err != nil {
		return err
	}
	fmt.Println("START")
	s, err := db.Stage(ctx, "fresh", spillKillCfg, query.StageOptions{Order: query.OrderRCM})
	if err != nil {
		return err
	}
	for _, b := range spillKillBatches() {
		if err := s.Collection().UpsertBatch(ctx, b, query.BatchOptions{Workers: 1}); err != nil {
			return err
		}
	}
	fmt.Println("COMMIT")
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Println("DONE")
	return db.Close()
}

// TestStageSpillSurvivesSIGKILL kills a child at random moments of a
// spilled build of a new collection (batches, then the Commit that writes
// every record under its final id). Afterwards the file opens read-write
// (dropping a leftover stage), passes Check, and holds either no new
// collection or all of it, records bit for bit; the old collection is
// untouched. Half the kills are aimed inside Commit.
func TestStageSpillSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGKILL trials are long; run without -short")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	old := stageRecords("old", 300, 1)
	var want []query.Record
	for _, b := range spillKillBatches() {
		want = append(want, b...)
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.db")
	{
		db, err := query.Open(base, query.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateCollection(ctx, "c", stageCrashCfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.UpsertBatch(ctx, old, query.BatchOptions{}); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	baseBytes, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 11))
	var build, commit time.Duration // of the first, complete run
	killed, inCommit, completed := 0, 0, 0
	for trial := 0; trial < 12; trial++ {
		path := filepath.Join(dir, fmt.Sprintf("spill-%d.db", trial))
		if err := os.WriteFile(path, baseBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run=^TestSpillKillChild$")
		cmd.Env = append(os.Environ(), spillKillEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 4)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		if l := <-lines; l != "START" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("child did not start: %q", l)
		}
		started := time.Now()
		// The first trial runs to completion and times both phases; the
		// others are killed at a random moment: the even ones from the
		// start, the odd ones from the start of Commit.
		var deadline <-chan time.Time
		switch {
		case trial == 0:
		case trial%2 == 0:
			deadline = time.After(time.Duration(rng.Int64N(int64(build) + 1)))
		}
		done, committing := false, false
	loop:
		for {
			select {
			case l, ok := <-lines:
				switch {
				case !ok:
					break loop
				case l == "COMMIT":
					committing = true
					if trial == 0 {
						build = time.Since(started)
					} else if trial%2 == 1 {
						deadline = time.After(time.Duration(rng.Int64N(int64(commit) + 1)))
					}
				case l == "DONE":
					done = true
					if trial == 0 {
						commit = time.Since(started) - build
					}
				default:
					t.Fatalf("child: %s", l)
				}
			case <-deadline:
				_ = cmd.Process.Signal(syscall.SIGKILL)
				for l := range lines {
					done = done || l == "DONE"
				}
				if !done {
					killed++
					if committing {
						inCommit++
					}
				}
				break loop
			}
		}
		_ = cmd.Wait()
		if trial == 0 && !done {
			t.Fatal("the first trial did not complete")
		}
		if done {
			completed++
		}
		verifySpillKill(t, path, done, old, want)
	}
	t.Logf("%d killed (%d inside Commit), %d completed; build %v, commit %v", killed, inCommit, completed, build, commit)
}

func verifySpillKill(t *testing.T, path string, done bool, old, want []query.Record) {
	t.Helper()
	db, err := query.Open(path, query.Options{}) // read-write: drops a leftover stage
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if got := collectionKeys(t, db, "c"); !reflect.DeepEqual(got, keysOf(old)) {
		t.Fatalf("collection c has %d keys, want the old %d", len(got), len(old))
	}
	names, _ := db.Collections()
	if !reflect.DeepEqual(names, []string{"c", "fresh"}) {
		if done || !reflect.DeepEqual(names, []string{"c"}) {
			t.Fatalf("collections %q after a killed build (done %v)", names, done)
		}
		return
	}
	if got := collectionKeys(t, db, "fresh"); !reflect.DeepEqual(got, keysOf(want)) {
		t.Fatalf("fresh has %d keys in insertion order, want %d", len(got), len(want))
	}
	c, err := db.Collection(ctx, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		g, err := c.Get(ctx, r.Key)
		if err != nil || !reflect.DeepEqual(g.Vector, r.Vector) || string(g.Metadata) != string(r.Metadata) {
			t.Fatalf("record %q: %v %s, %v", r.Key, g.Vector, g.Metadata, err)
		}
	}
}
