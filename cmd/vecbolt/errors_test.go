package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	ok(t, "--db", db, "create", "--dim", "2")
	ok(t, "--db", db, "put", "a", "--vector", "1,0")
	garbage := writeFile(t, dir, "garbage.db", []byte("this is not a database, just some text that is long enough\n"))
	missing := filepath.Join(dir, "missing.db")

	cases := []struct {
		name    string
		code    int
		args    []string
		wantErr string
	}{
		{"unknown flag", exitUsage, []string{"--db", db, "search", "--nope"}, "--nope"},
		{"unknown command", exitUsage, []string{"--db", db, "serch"}, "serch"},
		{"missing argument", exitUsage, []string{"--db", db, "get"}, "arg"},
		{"too many arguments", exitUsage, []string{"--db", db, "rank", "a", "b", "c"}, "arg"},
		{"missing required flag", exitUsage, []string{"--db", db, "create"}, "dim"},
		{"bad metric", exitUsage, []string{"--db", db, "create", "x", "--dim", "2", "--metric", "hamming"}, "hamming"},
		{"bad int flag", exitUsage, []string{"--db", db, "search", "--key", "a", "-k", "ten"}, "ten"},
		{"unknown key", exitNotFound, []string{"--db", db, "get", "nosuch"}, "nosuch"},
		{"unknown collection", exitNotFound, []string{"--db", db, "-c", "nosuch", "get", "a"}, `no collection "nosuch"`},
		{"missing database", exitNotFound, []string{"--db", missing, "stats"}, "does not exist"},
		{"missing input file", exitNotFound, []string{"--db", db, "import", filepath.Join(dir, "nosuch.txt")}, "nosuch.txt"},
		{"wrong dimension", exitInvalid, []string{"--db", db, "put", "b", "--vector", "1,2,3"}, "dimension"},
		{"zero vector under cosine", exitInvalid, []string{"--db", db, "put", "b", "--vector", "0,0"}, "zero"},
		{"bad metadata", exitInvalid, []string{"--db", db, "put", "b", "--vector", "1,2", "--metadata", "[1]"}, "JSON object"},
		{"bad vector", exitInvalid, []string{"--db", db, "put", "b", "--vector", "1,two"}, "two"},
		{"syntax error", exitInvalid, []string{"--db", db, "analogy", "a +"}, "column"},
		{"not a database", exitDatabase, []string{"--db", garbage, "stats"}, "not a vecbolt database"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fails(t, tc.code, tc.args, tc.wantErr)
		})
	}
	// Nothing was written by the failed puts.
	if n := statsRecords(t, "--db", db); n != 1 {
		t.Errorf("records: %d, want 1", n)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a read-only command created the database")
	}
}

func TestExitCodeLocked(t *testing.T) {
	db := tempDB(t)
	ok(t, "--db", db, "create", "--dim", "2")
	held, err := query.Open(db, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	fails(t, exitDatabase, []string{"--db", db, "--timeout", "50ms", "put", "a", "--vector", "1,2"}, "locked")
	fails(t, exitDatabase, []string{"--db", db, "--timeout", "50ms", "stats"}, "locked")
}

func TestExitCodeMapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{errors.New("boom"), exitFailure},
		{fmt.Errorf("wrapped: %w", store.ErrLocked), exitDatabase},
		{fmt.Errorf("wrapped: %w", store.ErrNotVecbolt), exitDatabase},
		{fmt.Errorf("wrapped: %w", store.ErrCorrupt), exitDatabase},
		{&query.KeyError{Collection: "c", Key: "k"}, exitNotFound},
		{fmt.Errorf("x: %w", store.ErrUnknownCollection), exitNotFound},
		{&store.DimensionError{Got: 1, Want: 2}, exitInvalid},
		{&query.SyntaxError{Expr: "a +", Column: 4, Msg: "m"}, exitInvalid},
		{usageErr(errors.New("u")), exitUsage},
		{context.Canceled, exitCanceled},
		{store.ErrReadOnly, exitFailure},
	} {
		if got := exitCode(tc.err); got != tc.code {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
}
