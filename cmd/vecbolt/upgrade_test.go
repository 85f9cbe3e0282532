package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpgradeCommand(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "store", "testdata", "v1.vecbolt"))
	if err != nil {
		t.Fatal(err)
	}
	db := tempDB(t)
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}
	fails(t, exitDatabase, []string{"--db", db, "search", "-c", "points", "--key", "p3", "-k", "2"},
		"format version 1", "vecbolt upgrade")
	if out := ok(t, "--db", db, "upgrade"); !strings.Contains(out, "from format 1 to 2") {
		t.Errorf("upgrade printed %q", out)
	}
	if out := ok(t, "--db", db, "upgrade"); !strings.Contains(out, "already in format 2") {
		t.Errorf("second upgrade printed %q", out)
	}
	ok(t, "--db", db, "check")
	// p3 = (3, 3, -1.5): its nearest other points under l2 are p2 and p4,
	// both at distance sqrt(1+1+0.25) = 1.5.
	if out := ok(t, "--db", db, "search", "-c", "points", "--key", "p3", "-k", "1"); !strings.Contains(out, "1.5000") || !strings.Contains(out, "p2") && !strings.Contains(out, "p4") {
		t.Errorf("search after upgrade:\n%s", out)
	}
	fails(t, exitNotFound, []string{"--db", filepath.Join(t.TempDir(), "none.db"), "upgrade"}, "no such file")
}
