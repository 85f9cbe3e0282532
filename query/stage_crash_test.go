package query_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// stageCrashEnv selects the child mode of the test binary for
// TestStageAndUpgradeSurviveSIGKILL: "import|<path>", "fresh|<path>" or
// "upgrade|<path>".
const stageCrashEnv = "VECBOLT_STAGE_CRASH"

var stageCrashCfg = query.CollectionConfig{Dim: 6, Metric: query.L2, M: 8, EfConstruction: 40}

// stageCrashBatches is what the child imports, in this many transactions.
func stageCrashBatches() [][]query.Record {
	var bs [][]query.Record
	for i := 0; i < 6; i++ {
		bs = append(bs, stageRecords(fmt.Sprintf("b%d-", i), 150, uint64(10+i)))
	}
	return bs
}

// stageCrashOld is the collection c every trial starts from.
func stageCrashOld() []query.Record { return stageRecords("old", 300, 1) }

// stageCrashBase returns the bytes of a database holding collection c
// (stageCrashCfg) with the records old: the file every trial starts from.
func stageCrashBase(t *testing.T, old []query.Record) []byte {
	t.Helper()
	base := filepath.Join(t.TempDir(), "base.db")
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
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStageCrashChild is not a test: it is the child process of
// TestStageAndUpgradeSurviveSIGKILL.
func TestStageCrashChild(t *testing.T) {
	runCrashChild(t, stageCrashEnv, func(spec string) error {
		mode, path, _ := strings.Cut(spec, "|")
		return stageCrashChild(mode, path)
	})
}

func stageCrashChild(mode, path string) error {
	if mode == "upgrade" {
		fmt.Println(childStart)
		if _, err := query.Upgrade(ctx, path, 0); err != nil {
			return err
		}
		fmt.Println(childDone)
		return nil
	}
	db, err := query.Open(path, query.Options{})
	if err != nil {
		return err
	}
	target := map[string]string{"import": "c", "fresh": "fresh"}[mode]
	fmt.Println(childStart)
	s, err := db.Stage(ctx, target, stageCrashCfg, query.StageOptions{Copy: true})
	if err != nil {
		return err
	}
	for _, b := range stageCrashBatches() {
		if err := s.Collection().UpsertBatch(ctx, b, query.BatchOptions{Workers: 1}); err != nil {
			return err
		}
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Println(childDone)
	return db.Close()
}

// TestStageAndUpgradeSurviveSIGKILL kills a child at random moments of a
// staged import into an existing collection, of one into a new
// collection, and of an upgrade. Afterwards the file opens, passes Check,
// and holds the old state or the complete new one, never anything between;
// an import into a new collection leaves no collection behind.
func TestStageAndUpgradeSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGKILL trials are long; run without -short")
	}
	old := stageCrashOld()
	var newKeys []string
	for _, b := range stageCrashBatches() {
		newKeys = append(newKeys, keysOf(b)...)
	}
	v1, err := os.ReadFile(filepath.Join("..", "store", "testdata", "v1.vecbolt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	baseBytes := stageCrashBase(t, old)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, mode := range []string{"import", "fresh", "upgrade"} {
		t.Run(mode, func(t *testing.T) {
			trials := newKillTrials(t, "TestStageCrashChild", stageCrashEnv, rng)
			for trial := 0; trial < 12; trial++ {
				path := filepath.Join(dir, fmt.Sprintf("%s-%d.db", mode, trial))
				data := baseBytes
				if mode == "upgrade" {
					data = v1
				}
				if err := os.WriteFile(path, data, 0o600); err != nil {
					t.Fatal(err)
				}
				done := trials.Run(mode + "|" + path)
				verifyStageCrash(t, mode, path, done, old, newKeys)
			}
			t.Logf("%s: %d killed, %d completed, full run %v", mode, trials.Killed, trials.Completed, trials.Full())
		})
	}
}

func verifyStageCrash(t *testing.T, mode, path string, done bool, old []query.Record, newKeys []string) {
	t.Helper()
	if mode == "upgrade" {
		db, err := query.Open(path, query.Options{ReadOnly: true})
		if errors.Is(err, query.ErrNeedsUpgrade) {
			if done {
				t.Fatalf("upgrade acknowledged, but the file is still format 1")
			}
			if _, err := query.Upgrade(ctx, path, 0); err != nil {
				t.Fatalf("upgrade after a kill: %v", err)
			}
			db, err = query.Open(path, query.Options{ReadOnly: true})
		}
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Check(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(collectionKeys(t, db, "words")); n != 280 {
			t.Fatalf("words has %d keys after upgrade, want 280", n)
		}
		return
	}
	db, err := query.Open(path, query.Options{}) // read-write: drops a leftover stage
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	names, _ := db.Collections()
	oldKeys := keysOf(old)
	switch mode {
	case "import":
		got := collectionKeys(t, db, "c")
		full := append(append([]string{}, oldKeys...), newKeys...)
		switch {
		case reflect.DeepEqual(got, full):
		case !done && reflect.DeepEqual(got, oldKeys):
		default:
			t.Fatalf("collection c has %d keys (done %v): neither the old %d nor the new %d", len(got), done, len(oldKeys), len(full))
		}
	case "fresh":
		if !reflect.DeepEqual(names, []string{"c", "fresh"}) {
			if done || !reflect.DeepEqual(names, []string{"c"}) {
				t.Fatalf("collections %q after a killed import into a new one (done %v)", names, done)
			}
			return
		}
		if got := collectionKeys(t, db, "fresh"); !reflect.DeepEqual(got, newKeys) {
			t.Fatalf("fresh has %d keys, want %d", len(got), len(newKeys))
		}
	}
}
