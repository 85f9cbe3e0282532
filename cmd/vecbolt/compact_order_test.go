package main

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// TestCompactOrder renumbers a database's graph in place with each order
// and checks that export (every record, in insertion order, byte for
// byte), searches with their metadata, and check are exactly as before;
// --order none and --output leave the ids alone.
func TestCompactOrder(t *testing.T) {
	const dim = 16
	dir := t.TempDir()
	path := filepath.Join(dir, "o.db")
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c := fillDB(t, db, 1500, dim)
	if _, err := c.Delete(context.Background(), "k3", "k700"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	export := func() string {
		t.Helper()
		r := vecbolt(t, "", "--db", path, "export", "--format", "jsonl", "-")
		if r.code != 0 {
			t.Fatalf("export: exit %d: %s", r.code, r.stderr)
		}
		return r.stdout
	}
	wantExport, wantSearch := export(), snapshot(t, path, dim)

	out := ok(t, "--db", path, "compact", "--output", filepath.Join(dir, "copy.db"), "--order", "gorder")
	if strings.Contains(out, "renumbered") {
		t.Errorf("compact --output renumbered: %q", out)
	}
	// Below 50,000 records the default leaves the ids alone.
	if out := ok(t, "--db", path, "compact"); strings.Contains(out, "renumbered") {
		t.Errorf("compact of 1,498 records renumbered by default: %q", out)
	}
	for _, order := range []string{"bfs", "rcm", "gorder", "none"} {
		out := ok(t, "--db", path, "compact", "--order", order)
		want := fmt.Sprintf("graph renumbered in %s order (default)", order)
		if got := strings.Contains(out, want); got != (order != "none") {
			t.Errorf("compact --order %s: %q", order, out)
		}
		if got := export(); got != wantExport {
			t.Errorf("compact --order %s: export differs", order)
		}
		if got := snapshot(t, path, dim); !reflect.DeepEqual(got, wantSearch) {
			t.Errorf("compact --order %s: searches answer differently", order)
		}
		if n := consistent(t, path, dim); n != 1498 {
			t.Errorf("compact --order %s: %d records", order, n)
		}
		if !strings.HasPrefix(ok(t, "--db", path, "check"), "ok: ") {
			t.Errorf("check after compact --order %s", order)
		}
	}
	assertNoTemps(t, dir)
}

func TestOrderFlagRefusesUnknown(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "o.db")
	in := writeFile(t, dir, "in.jsonl", encode(t, "jsonl", randomRecords(20, 4, 1)))
	fails(t, exitUsage, []string{"--db", path, "import", in, "--order", "zigzag"}, `unknown node order "zigzag" (want none, bfs, rcm or gorder)`)
	ok(t, "--db", path, "import", in, "--order", "bfs")
	fails(t, exitUsage, []string{"--db", path, "compact", "--order", "RCM"}, `unknown node order "RCM"`)
	fails(t, exitUsage, []string{"bench", "--synthetic", "100,4", "--order", "hilbert"}, `unknown node order "hilbert"`)
}
