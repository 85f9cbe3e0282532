package main

import (
	"fmt"
	"strings"
	"testing"
)

// smallBatches makes import commit every n records for the test.
func smallBatches(t *testing.T, n int) {
	oldBytes, oldMin, oldMax := importBatchBytes, importBatchMin, importBatchMaxBytes
	importBatchBytes, importBatchMin, importBatchMaxBytes = 1, n, 1
	t.Cleanup(func() { importBatchBytes, importBatchMin, importBatchMaxBytes = oldBytes, oldMin, oldMax })
}

// TestImportFailsLate: an invalid record after several batches have been
// written leaves an existing collection exactly as it was, and creates no
// new one.
func TestImportFailsLate(t *testing.T) {
	smallBatches(t, 50)
	dir := t.TempDir()
	db := tempDB(t)
	first := randomRecords(40, 4, 1)
	ok(t, "--db", db, "import", writeFile(t, dir, "first.jsonl", encode(t, "jsonl", first)), "--metric", "l2")
	before := contents(t, db, "default")

	recs := randomRecords(400, 4, 2)
	var b strings.Builder
	b.Write(encode(t, "jsonl", recs))
	b.WriteString(`{"key":"bad","vector":[1,2,3]}` + "\n") // wrong dimension, after 8 batches
	bad := writeFile(t, dir, "bad.jsonl", []byte(b.String()))
	fails(t, exitInvalid, []string{"--db", db, "import", bad}, "nothing imported")
	sameRecords(t, contents(t, db, "default"), before, true, true)
	fails(t, exitInvalid, []string{"--db", db, "-c", "fresh", "import", bad}, "nothing imported")
	if out := ok(t, "--db", db, "check"); !strings.Contains(out, "1 collection(s)") {
		t.Errorf("check after failed imports: %s", out)
	}

	// The same file without the bad line writes its records in 8 batches;
	// its first 40 keys are those of the first import (randomRecords
	// numbers its keys), which it replaces.
	good := writeFile(t, dir, "good.jsonl", encode(t, "jsonl", recs))
	out := ok(t, "--db", db, "import", good)
	if !strings.Contains(out, fmt.Sprintf("imported %d records", len(recs))) || !strings.Contains(out, "40 of them replacing") {
		t.Errorf("summary: %s", out)
	}
	sameRecords(t, contents(t, db, "default"), recs, true, true)
	ok(t, "--db", db, "check")
}

// TestImportBatchGrowth: batches are importBatchBytes of vectors until
// 1/8 of the records so far is more, and never more than
// importBatchMaxBytes; the batches of a 1M × 100 import, worked out.
func TestImportBatchGrowth(t *testing.T) {
	base := importBatchBytes / 400 // 20,971 records of 100 dims
	for _, c := range []struct{ flushed, want int }{
		{0, base}, {100_000, base}, {8 * base, base}, {8*base + 8, base + 1},
		{400_000, 50_000}, {1_000_000, 125_000}, {2_000_000, (64 << 20) / 400},
	} {
		if got := batchLimit(base, c.flushed, 100); got != c.want {
			t.Errorf("batchLimit(%d, %d, 100) = %d, want %d", base, c.flushed, got, c.want)
		}
	}
	batches, flushed := 0, 0
	for flushed < 1_000_000 {
		flushed += min(batchLimit(base, flushed, 100), 1_000_000-flushed)
		batches++
	}
	if batches != 24 {
		t.Errorf("a 1M import takes %d batches, want 24", batches)
	}
}
