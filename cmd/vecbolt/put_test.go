package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// getJSON returns the record under key as vecbolt get --json prints it.
func getJSON(t *testing.T, db, key string) recordJSON {
	t.Helper()
	var r recordJSON
	if err := json.Unmarshal([]byte(ok(t, "--db", db, "get", key, "--json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Metadata != nil {
		var b bytes.Buffer
		if err := json.Compact(&b, r.Metadata); err != nil {
			t.Fatal(err)
		}
		r.Metadata = b.Bytes()
	}
	return r
}

func TestPutMetadataOnly(t *testing.T) {
	db := tempDB(t)
	ok(t, "--db", db, "create", "--dim", "2")
	ok(t, "--db", db, "put", "a", "--vector", "1,0", "--metadata", `{"color": "red"}`)

	// A new vector without --metadata keeps the metadata.
	ok(t, "--db", db, "put", "a", "--vector", "0.5,0.5")
	if r := getJSON(t, db, "a"); string(r.Metadata) != `{"color":"red"}` || r.Vector[0] != 0.5 {
		t.Errorf("after put --vector: %+v", r)
	}
	// --metadata alone changes the metadata and keeps the vector.
	if out := ok(t, "--db", db, "put", "a", "--metadata", `{"color": "blue"}`); !strings.Contains(out, `set the metadata of "a"`) {
		t.Errorf("put --metadata: %q", out)
	}
	if r := getJSON(t, db, "a"); string(r.Metadata) != `{"color":"blue"}` || r.Vector[0] != 0.5 || r.Vector[1] != 0.5 {
		t.Errorf("after put --metadata: %+v", r)
	}
	// null clears, alone or with a vector.
	if out := ok(t, "--db", db, "put", "a", "--metadata", "null"); !strings.Contains(out, "cleared") {
		t.Errorf("put --metadata null: %q", out)
	}
	if r := getJSON(t, db, "a"); r.Metadata != nil {
		t.Errorf("after --metadata null: %s", r.Metadata)
	}
	ok(t, "--db", db, "put", "a", "--vector", "1,1", "--metadata", `{"x": 1}`)
	ok(t, "--db", db, "put", "a", "--vector", "1,2", "--metadata", " null ")
	if r := getJSON(t, db, "a"); r.Metadata != nil || r.Vector[1] != 2 {
		t.Errorf("after --vector with --metadata null: %+v", r)
	}

	fails(t, exitNotFound, []string{"--db", db, "put", "nosuch", "--metadata", `{"a": 1}`}, "nosuch")
	fails(t, exitUsage, []string{"--db", db, "put", "a"}, "vector")
	fails(t, exitInvalid, []string{"--db", db, "put", "a", "--metadata", `[1]`}, "JSON object")
	fails(t, exitInvalid, []string{"--db", db, "put", "a", "--metadata", `{"a":`}, "JSON object")
	fails(t, exitInvalid, []string{"--db", db, "put", "a", "--vector", "", "--metadata", `{"a": 1}`}, "")
	if r := getJSON(t, db, "a"); r.Metadata != nil || r.Vector[1] != 2 {
		t.Errorf("failed puts changed the record: %+v", r)
	}
}
