package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// Tests of issue 12's command-line half: nothing a user types overwrites
// the database, creates files it should not, or exits with a code other
// than the documented one. docs/reliability.md lists each case.

// smallDB creates a database with collection "default" holding three 2-d
// records and returns its path.
func smallDB(t *testing.T) string {
	t.Helper()
	db := tempDB(t)
	ok(t, "--db", db, "create", "--dim", "2")
	for i, v := range []string{"1,0", "0,1", "1,1"} {
		ok(t, "--db", db, "put", fmt.Sprintf("k%d", i), "--vector", v)
	}
	return db
}

func TestExportDestinations(t *testing.T) {
	db := smallDB(t)
	dir := filepath.Dir(db)
	orig, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	intact := func() {
		t.Helper()
		if now, err := os.ReadFile(db); err != nil || !bytes.Equal(now, orig) {
			t.Fatalf("the database changed (%v)", err)
		}
		if fi, err := os.Lstat(db); err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("the database is no longer a regular file (%v)", err)
		}
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(filepath.Base(db), link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(db, hard); err != nil {
		t.Fatal(err)
	}
	// The database itself, under any name, with or without --force.
	for _, dest := range []string{db, link, hard, filepath.Join(dir, ".", "x", "..", filepath.Base(db))} {
		for _, force := range []bool{false, true} {
			args := []string{"--db", db, "export", dest, "-f", "jsonl"}
			if force {
				args = append(args, "--force")
			}
			fails(t, exitUsage, args, "is the database file itself")
			intact()
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symbolic link to the database was replaced")
	}

	// An existing file: refused without --force, replaced with it.
	existing := writeFile(t, dir, "out.jsonl", []byte("keep me\n"))
	fails(t, exitUsage, []string{"--db", db, "export", existing}, "already exists", "--force")
	if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
		t.Errorf("refused export changed the file: %q", b)
	}
	ok(t, "--db", db, "export", existing, "--force")
	if b, _ := os.ReadFile(existing); len(lines(string(b))) != 3 {
		t.Errorf("forced export wrote %q", b)
	}

	// A symbolic link to a file: the link stays and its target is written.
	target := writeFile(t, dir, "target.jsonl", []byte("old\n"))
	tlink := filepath.Join(dir, "tlink.jsonl")
	if err := os.Symlink("target.jsonl", tlink); err != nil {
		t.Fatal(err)
	}
	fails(t, exitUsage, []string{"--db", db, "export", tlink}, "already exists")
	ok(t, "--db", db, "export", tlink, "--force")
	if fi, err := os.Lstat(tlink); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Error("export replaced the symbolic link instead of writing its target")
	}
	if b, _ := os.ReadFile(target); len(lines(string(b))) != 3 {
		t.Errorf("link target holds %q", b)
	}
	// A dangling link: its target is created.
	dangling := filepath.Join(dir, "dangling.jsonl")
	if err := os.Symlink("created.jsonl", dangling); err != nil {
		t.Fatal(err)
	}
	ok(t, "--db", db, "export", dangling)
	if b, _ := os.ReadFile(filepath.Join(dir, "created.jsonl")); len(lines(string(b))) != 3 {
		t.Errorf("dangling link's target holds %q", b)
	}

	// Devices are written into.
	ok(t, "--db", db, "export", os.DevNull, "-f", "jsonl")
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device", os.DevNull)
	}
	if _, err := os.Stat("/dev/full"); err == nil {
		fails(t, exitFailure, []string{"--db", db, "export", "/dev/full", "-f", "jsonl"}, "export: /dev/full: no space left on device")
		if fi, err := os.Stat("/dev/full"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Fatal("/dev/full is no longer a device")
		}
	}

	// A FIFO is written into, not replaced.
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Logf("FIFO not tested: %v", err)
	} else {
		exportIntoFIFO(t, db, fifo)
	}

	// A directory and a missing directory are refused before any work.
	fails(t, exitUsage, []string{"--db", db, "export", dir, "-f", "jsonl"}, "is a directory")
	fails(t, exitNotFound, []string{"--db", db, "export", filepath.Join(dir, "nope", "x.jsonl")}, "directory "+filepath.Join(dir, "nope")+" does not exist")

	// "-" stays standard output.
	if out := ok(t, "--db", db, "export", "-", "-f", "jsonl"); len(lines(out)) != 3 {
		t.Errorf("stdout: %q", out)
	}
	intact()
	assertNoTemps(t, dir)
}

// TestMissingDatabaseCreatesNothing: only create, import and demo may
// create the database file; every other command says it does not exist.
// A command that creates the file and then fails removes it again.
func TestMissingDatabaseCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	input := writeFile(t, dir, "in.txt", []byte("a 1 2\nb 3\n"))
	for _, args := range [][]string{
		{"put", "k", "--vector", "1,2"},
		{"delete", "k"},
		{"get", "k"},
		{"compact"},
		{"compact", "--output", filepath.Join(dir, "c.db")},
		{"check"},
		{"stats"},
		{"search", "--key", "k"},
		{"analogy", "a - b + c"},
		{"odd", "a", "b", "c"},
		{"export", filepath.Join(dir, "x.jsonl")},
		{"backup", filepath.Join(dir, "b.db")},
	} {
		fails(t, exitNotFound, append([]string{"--db", missing}, args...), "database "+missing+" does not exist")
	}
	// Failed creating commands leave nothing behind either.
	fails(t, exitInvalid, []string{"--db", missing, "import", input}, "in.txt:2")
	fails(t, exitUsage, []string{"--db", missing, "create", "--dim", "2", "--m", "1"}, "--m is 1")
	fails(t, exitUsage, []string{"--db", missing, "import", input, "--m", "1"}, "--m is 1")
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files left: %v", names)
	}
	// A database in a missing directory: one sentence, no repeats.
	r := fails(t, exitNotFound, []string{"--db", filepath.Join(dir, "nope", "x.db"), "create", "--dim", "2"},
		"cannot create database "+filepath.Join(dir, "nope", "x.db")+": directory "+filepath.Join(dir, "nope")+" does not exist")
	if strings.Count(r.stderr, "x.db") != 1 {
		t.Errorf("the file is named more than once: %s", r.stderr)
	}
}

// TestInvalidOptionsSaveNothing: every index option is checked before the
// collection is written, by the CLI (exit 2) and by the Go API.
func TestInvalidOptionsSaveNothing(t *testing.T) {
	db := smallDB(t)
	dir := filepath.Dir(db)
	input := writeFile(t, dir, "in.txt", []byte("a 1 2\nb 3 4\n"))
	for _, bad := range [][]string{
		{"--m", "1"}, {"--m", "0"}, {"--m", "-3"}, {"--m", "100000"}, {"--m", "1025"},
		{"--ef", "0"}, {"--ef", "-1"}, {"--ef", "99999999999"},
		{"--ef-construction", "0"}, {"--ef-construction", "1000000"},
		{"--metric", "hamming"}, {"--metric", "L2"},
	} {
		fails(t, exitUsage, append([]string{"--db", db, "create", "new", "--dim", "2"}, bad...), bad[0])
		fails(t, exitUsage, append([]string{"--db", db, "-c", "new", "import", input}, bad...), bad[0])
	}
	for _, dim := range []string{"0", "-1", "65537", "99999999999"} {
		fails(t, exitUsage, []string{"--db", db, "create", "new", "--dim", dim}, "--dim")
	}
	if out := ok(t, "--db", db, "stats", "--json"); !strings.Contains(out, `"collections": [
    "default"
  ]`) {
		t.Errorf("a collection was saved:\n%s", out)
	}
	// The limits themselves are accepted.
	ok(t, "--db", db, "create", "m2", "--dim", "2", "--m", "2")
	ok(t, "--db", db, "create", "m1024", "--dim", "2", "--m", "1024", "--ef", "65536", "--ef-construction", "65536")

	// The Go API refuses them too, before writing.
	qdb, err := query.Open(db, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer qdb.Close()
	for _, cfg := range []query.CollectionConfig{{Dim: 2, M: 1}, {Dim: 2, M: 100000}, {Dim: 2, Ef: -1}, {Dim: 0}} {
		if _, err := qdb.CreateCollection(context.Background(), "api", cfg); err == nil {
			t.Errorf("CreateCollection(%+v) succeeded", cfg)
		}
	}
	if names, _ := qdb.Collections(); len(names) != 3 {
		t.Errorf("collections: %v", names)
	}
}

// legacyDB writes what older versions saved for "create -c bad --m 1": an
// empty collection whose stored options the graph refuses (no record could
// be added to it), beside a good one.
func legacyDB(t *testing.T) string {
	t.Helper()
	path := smallDB(t)
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(func(tx *store.Tx) error {
		_, err := tx.CreateCollection("bad", store.Config{Dim: 2, Metric: store.Cosine, M: 1, EfConstruction: 200, Ef: 64})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLegacyInvalidOptions: a collection saved with invalid options by an
// older version is named by check, explained by the commands that need its
// graph, exported, backed up and compacted with the rest of the file.
func TestLegacyInvalidOptions(t *testing.T) {
	db := legacyDB(t)
	dir := filepath.Dir(db)
	r := fails(t, exitDatabase, []string{"--db", db, "check"}, "1 problem(s)")
	if !strings.Contains(r.stdout, `collection "bad" was saved by an older vecbolt`) || !strings.Contains(r.stdout, "M = 1") {
		t.Errorf("check output:\n%s", r.stdout)
	}
	fails(t, exitDatabase, []string{"--db", db, "-c", "bad", "search", "--key", "x"}, `collection "bad"`, "vecbolt drop")
	fails(t, exitDatabase, []string{"--db", db, "-c", "bad", "stats"}, `collection "bad"`)
	if out := ok(t, "--db", db, "-c", "bad", "export", "-", "-f", "jsonl"); out != "" {
		t.Errorf("export: %q", out)
	}
	ok(t, "--db", db, "stats") // the good collection is unaffected
	out := ok(t, "--db", db, "backup", filepath.Join(dir, "b.db"))
	if !strings.Contains(out, "same problems") {
		t.Errorf("backup: %q", out)
	}
	out = ok(t, "--db", db, "compact")
	if !strings.Contains(out, "same problems") {
		t.Errorf("compact: %q", out)
	}
	qdb, err := query.Open(db, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := qdb.DropCollection("bad"); err != nil {
		t.Errorf("drop: %v", err)
	}
	qdb.Close()
	if out := ok(t, "--db", db, "check"); !strings.HasPrefix(out, "ok: ") {
		t.Errorf("check after the drop: %q", out)
	}
}

func TestSizeChangeWords(t *testing.T) {
	for _, tc := range []struct {
		before, after int64
		want          string
	}{
		{40055603, 21600256, "38.2 MiB -> 20.6 MiB, 46% smaller"},
		{1 << 20, 1 << 20, "1.0 MiB -> 1.0 MiB, no smaller"},
		{1000, 1100, "1000 B -> 1.1 KiB, 10% larger"},
		{1 << 30, 1<<30 - 1<<20, "1.0 GiB -> 1023.0 MiB, less than 1% smaller"},
		{0, 0, "0 B -> 0 B, no smaller"},
	} {
		if got := sizeChange(tc.before, tc.after); got != tc.want {
			t.Errorf("sizeChange(%d, %d) = %q, want %q", tc.before, tc.after, got, tc.want)
		}
	}
}

// TestCompactNoLargerThanBackup: the compacted file is the smallest that
// holds the data: no larger than a backup of the same file (which copies
// its used pages, free ones included), before and after deletes, with no
// tail beyond the data.
func TestCompactNoLargerThanBackup(t *testing.T) {
	const dim = 32
	path := tempDB(t)
	dir := filepath.Dir(path)
	db, err := query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c := fillDB(t, db, 3000, dim)
	db.Close()
	step := func(name string) {
		t.Helper()
		backup := filepath.Join(dir, name+"-backup.db")
		ok(t, "--db", path, "backup", backup)
		before := fileSize(path)
		out := ok(t, "--db", path, "compact")
		after := fileSize(path)
		t.Logf("%s: file %d, backup %d, compacted %d: %s", name, before, fileSize(backup), after, out)
		if after > fileSize(backup) {
			t.Errorf("%s: compacted to %d bytes, a backup is %d", name, after, fileSize(backup))
		}
		if !strings.Contains(out, sizeChange(before, after)) {
			t.Errorf("%s: output %q", name, out)
		}
		// No tail: the file ends where its data does. bbolt refuses a
		// file shorter than its data, so cutting one page must fail.
		cut := filepath.Join(dir, name+"-cut.db")
		data, _ := os.ReadFile(path)
		if err := os.WriteFile(cut, data[:len(data)-4096], 0o600); err != nil {
			t.Fatal(err)
		}
		if q, err := query.Open(cut, query.Options{ReadOnly: true}); err == nil {
			q.Close()
			t.Errorf("%s: the compacted file still opens with its last page cut: it has a tail", name)
		}
		// Compacting a compacted file gains nothing.
		if out := ok(t, "--db", path, "compact"); !strings.Contains(out, "no smaller") {
			t.Errorf("%s: second compaction: %q", name, out)
		}
	}
	step("full")
	db, err = query.Open(path, query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err = db.Collection(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	var del []string
	for i := 0; i < 2000; i++ {
		del = append(del, fmt.Sprintf("k%d", i))
	}
	if _, err := c.Delete(context.Background(), del...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	step("deleted")
	if n := consistent(t, path, dim); n != 1000 {
		t.Errorf("%d records after compaction, want 1000", n)
	}
}

// exportIntoFIFO exports db's three records into the named pipe fifo while
// a reader drains it, and checks that the pipe is still a pipe.
func exportIntoFIFO(t *testing.T, db, fifo string) {
	t.Helper()
	got := make(chan []byte)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(f)
		got <- b.Bytes()
	}()
	ok(t, "--db", db, "export", fifo, "-f", "jsonl")
	if b := <-got; len(lines(string(b))) != 3 {
		t.Errorf("read %q from the FIFO", b)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced")
	}
}

// nanDB returns a database whose record "a" has had a vector component
// replaced by NaN on disk, as a damaged file would. Format 2's checksums
// catch the change before the NaN is decoded.
func nanDB(t *testing.T) string {
	t.Helper()
	db := tempDB(t)
	ok(t, "--db", db, "create", "--dim", "2", "--metric", "l2")
	ok(t, "--db", db, "put", "a", "--vector", "1.5,2.5")
	ok(t, "--db", db, "put", "b", "--vector", "3,4")
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	le := func(x float32) []byte {
		b := make([]byte, 4)
		binary.LittleEndian.PutUint32(b, math.Float32bits(x))
		return b
	}
	pat := append(le(1.5), le(2.5)...)
	if !bytes.Contains(data, pat) {
		t.Fatal("record bytes not found")
	}
	data = bytes.ReplaceAll(data, pat, append(le(float32(math.NaN())), le(2.5)...))
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestExitCodesIssue12 pins the exit code and the one-sentence message of
// every case of issue 12 that had an inconsistent code or a layered one.
func TestExitCodesIssue12(t *testing.T) {
	db := smallDB(t)
	dir := filepath.Dir(db)
	nan := nanDB(t)
	bigMeta := `{"a":"` + strings.Repeat("x", store.MaxMetadataLen) + `"}`
	jsonl := writeFile(t, dir, "big.jsonl", []byte(`{"key":"z","vector":[1,2],"metadata":`+bigMeta+"}\n"))
	badGzip := writeFile(t, dir, "bad.txt.gz", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03this is not deflate data at all, just text"))
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	taken := writeFile(t, dir, "taken.db", []byte("x"))
	for _, tc := range []struct {
		name    string
		code    int
		args    []string
		want    string
		notWant string
	}{
		{"create --m 1", exitUsage, []string{"create", "n", "--dim", "2", "--m", "1"}, "--m is 1, want 2 to 1,024", ""},
		{"create --m 0", exitUsage, []string{"create", "n", "--dim", "2", "--m", "0"}, "--m is 0", ""},
		{"create --m 100000", exitUsage, []string{"create", "n", "--dim", "2", "--m", "100000"}, "--m is 100000", ""},
		{"backup onto an existing file", exitUsage, []string{"backup", taken}, "already exists", ""},
		{"backup onto a device", exitUsage, []string{"backup", os.DevNull}, "already exists", ""},
		{"backup into a missing directory", exitNotFound, []string{"backup", filepath.Join(dir, "no", "b.db")}, "directory " + filepath.Join(dir, "no") + " does not exist", ".backup-"},
		{"backup of a missing database", exitNotFound, []string{"--db", filepath.Join(dir, "none.db"), "backup", filepath.Join(dir, "b.db")}, "does not exist", ""},
		{"stats on a NaN graph", exitDatabase, []string{"--db", nan, "stats"}, `vector fails its checksum`, ""},
		{"search on a NaN graph", exitDatabase, []string{"--db", nan, "search", "--key", "b"}, `vector fails its checksum`, ""},
		{"export of a NaN record", exitDatabase, []string{"--db", nan, "export", "-", "-f", "jsonl"}, `vector fails its checksum`, ""},
		{"completion tcsh", exitUsage, []string{"completion", "tcsh"}, `no "tcsh": want one of bash`, ""},
		{"completion without a shell", exitUsage, []string{"completion"}, "needs one of", ""},
		{"eval without a test set kind", exitUsage, []string{"eval", "nosuch"}, `no "nosuch"`, ""},
		{"help on an unknown topic", exitUsage, []string{"help", "nosuch"}, `no help topic "nosuch"`, ""},
		{"metadata over the limit", exitInvalid, []string{"-c", "m", "import", jsonl}, "metadata too large", "not a JSON object"},
		{"gzip magic without a gzip stream", exitInvalid, []string{"-c", "g", "import", badGzip, "-f", "glove"}, "not a valid gzip stream", ""},
		{"vector with an underscore", exitInvalid, []string{"search", "--vector", "1_0,2"}, `component 1 is "1_0", want a decimal number`, ""},
		{"vector in hexadecimal", exitInvalid, []string{"search", "--vector", "0x1p3,2"}, `component 1 is "0x1p3"`, ""},
		{"import of a directory", exitFailure, []string{"-c", "d", "import", filepath.Join(dir, "adir"), "-f", "glove"}, "reading " + filepath.Join(dir, "adir") + ": is a directory", "read " + filepath.Join(dir, "adir") + ":"},
		{"put a key that is not UTF-8", exitInvalid, []string{"put", "caf\xe9", "--vector", "1,2"}, "not valid UTF-8", ""},
		{"empty --db", exitUsage, []string{"--db", "", "stats"}, "--db is empty", ""},
		{"empty -c", exitUsage, []string{"-c", "", "stats"}, "-c is empty", ""},
		{"database in a missing directory", exitNotFound, []string{"--db", filepath.Join(dir, "nope", "x.db"), "create", "--dim", "2"}, "cannot create database", "open " + filepath.Join(dir, "nope")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] != "--db" {
				args = append([]string{"--db", db}, args...)
			}
			r := fails(t, tc.code, args, tc.want)
			msg := strings.SplitN(r.stderr, "\n", 2)[0]
			if tc.notWant != "" && strings.Contains(msg, tc.notWant) {
				t.Errorf("message holds %q: %s", tc.notWant, msg)
			}
			for _, layer := range []string{"store: ", "query: ", "index: ", "format: "} {
				if strings.Contains(msg, layer) {
					t.Errorf("message holds the package prefix %q: %s", layer, msg)
				}
			}
		})
	}
	// Nothing of the failed commands was saved.
	if out := ok(t, "--db", db, "stats", "--json"); !strings.Contains(out, `"collections": [
    "default"
  ]`) {
		t.Errorf("collections after the failures:\n%s", out)
	}
}

func TestCleanMessage(t *testing.T) {
	for in, want := range map[string]string{
		"open x.db: store: create x.db: open x.db: no such file":             "open x.db: create x.db: open x.db: no such file",
		"import: format: reading adir: read adir: read adir: is a directory": "import: reading adir: read adir: is a directory",
		`store: invalid metadata: key "store: x": too large`:                 `invalid metadata: key "store: x": too large`,
		`query: collection "a": index: invalid options: M = 1`:               `collection "a": invalid options: M = 1`,
		"plain": "plain",
	} {
		if got := cleanMessage(in); got != want {
			t.Errorf("cleanMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTranslateBolt(t *testing.T) {
	for in, want := range map[string]string{
		"bbolt: page 5: unreachable unfreed":                      "file: page 5 is neither in use nor free: leaked space, harmless ('vecbolt compact' reclaims it)",
		"bbolt: page 7: multiple references (stack: [4 7])":       "file: page 7 is used by two parts of the file",
		"bbolt: page 9: reachable freed":                          "file: page 9 is in use but also listed as free: a later write could overwrite live data",
		"bbolt: page 3: already freed":                            "file: page 3 is listed as free twice",
		"bbolt: page 4: invalid type: unknown<00> (stack: [2 4])": "file: page 4 has an unknown page type (unknown<00>)",
		"bbolt: page ID (70) out of range [2, 64)":                "file: a link points to page 70, past the end of the file (64 pages)",
		"bbolt: unexpected page type (flags: 20) for pgId:12":     "file: page 12 has an unexpected page type (flags 20)",
		"bbolt: key[3]=(hex)6b33 on leaf page(8) needs to be > (found <) than previous element (hex)6b34. Stack: [2 8]": "file: page 8 holds keys out of order: the page tree is damaged",
		"bbolt: something new":      "file: something new",
		`collection "a": not bbolt`: `collection "a": not bbolt`,
	} {
		if got := translateBolt(in); got != want {
			t.Errorf("translateBolt(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
