package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// rec is a test record.
type rec struct {
	key  string
	vec  []float32
	meta string // JSON object or ""
}

// randomRecords returns n seeded records of dimension dim with keys
// w000, w001, ... and metadata {"i":N}.
func randomRecords(n, dim int, seed uint64) []rec {
	rng := rand.New(rand.NewPCG(seed, 42))
	recs := make([]rec, n)
	for i := range recs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		recs[i] = rec{key: fmt.Sprintf("w%03d", i), vec: v, meta: fmt.Sprintf(`{"i":%d}`, i)}
	}
	return recs
}

// formats lists each input format with its file extension and whether it
// carries keys and metadata.
var formats = []struct {
	name, ext  string
	keys, meta bool
}{
	{"glove", ".txt", true, false},
	{"word2vec", ".vec", true, false},
	{"word2vec-binary", ".bin", true, false},
	{"fvecs", ".fvecs", false, false},
	{"jsonl", ".jsonl", true, true},
	{"csv", ".csv", true, true},
}

func f32(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }

// encode writes recs in the named format, by hand, independently of package
// format.
func encode(t *testing.T, name string, recs []rec) []byte {
	t.Helper()
	var b bytes.Buffer
	dim := len(recs[0].vec)
	textLine := func(r rec) {
		b.WriteString(r.key)
		for _, x := range r.vec {
			b.WriteString(" " + f32(x))
		}
		b.WriteByte('\n')
	}
	switch name {
	case "glove":
		for _, r := range recs {
			textLine(r)
		}
	case "word2vec":
		fmt.Fprintf(&b, "%d %d\n", len(recs), dim)
		for _, r := range recs {
			textLine(r)
		}
	case "word2vec-binary":
		fmt.Fprintf(&b, "%d %d\n", len(recs), dim)
		for _, r := range recs {
			b.WriteString(r.key + " ")
			binary.Write(&b, binary.LittleEndian, r.vec)
			b.WriteByte('\n')
		}
	case "fvecs":
		for _, r := range recs {
			binary.Write(&b, binary.LittleEndian, int32(len(r.vec)))
			binary.Write(&b, binary.LittleEndian, r.vec)
		}
	case "jsonl":
		for _, r := range recs {
			m := map[string]any{"key": r.key, "vector": r.vec}
			if r.meta != "" {
				m["metadata"] = json.RawMessage(r.meta)
			}
			line, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(line)
			b.WriteByte('\n')
		}
	case "csv":
		w := csv.NewWriter(&b)
		head := []string{"key"}
		for j := range dim {
			head = append(head, fmt.Sprintf("v%d", j+1))
		}
		w.Write(append(head, "metadata"))
		for _, r := range recs {
			row := []string{r.key}
			for _, x := range r.vec {
				row = append(row, f32(x))
			}
			w.Write(append(row, r.meta))
		}
		w.Flush()
	default:
		t.Fatalf("unknown format %q", name)
	}
	return b.Bytes()
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// contents reads every record of a collection through package query, in
// insertion order.
func contents(t *testing.T, dbPath, collection string) []rec {
	t.Helper()
	ctx := context.Background()
	db, err := query.Open(dbPath, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Collection(ctx, collection)
	if err != nil {
		t.Fatal(err)
	}
	var out []rec
	if err := c.ForEach(ctx, func(r query.Record) error {
		out = append(out, rec{key: r.Key, vec: append([]float32(nil), r.Vector...), meta: string(r.Metadata)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRecords reports the first difference between got and want: keys
// (if withKeys), bit-identical vectors, and metadata (if withMeta).
func sameRecords(t *testing.T, got, want []rec, withKeys, withMeta bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if withKeys && g.key != w.key {
			t.Fatalf("record %d: key %q, want %q", i, g.key, w.key)
		}
		if len(g.vec) != len(w.vec) {
			t.Fatalf("record %d (%s): dimension %d, want %d", i, w.key, len(g.vec), len(w.vec))
		}
		for j := range w.vec {
			if math.Float32bits(g.vec[j]) != math.Float32bits(w.vec[j]) {
				t.Fatalf("record %d (%s): component %d is %v, want %v (bit-identical)", i, w.key, j, g.vec[j], w.vec[j])
			}
		}
		if withMeta && g.meta != w.meta {
			t.Fatalf("record %d (%s): metadata %s, want %s", i, w.key, g.meta, w.meta)
		}
	}
}

// fvecsKeys renames records to their row numbers, as fvecs reads them.
func fvecsKeys(recs []rec) []rec {
	out := make([]rec, len(recs))
	for i, r := range recs {
		out[i] = rec{key: strconv.Itoa(i), vec: r.vec}
	}
	return out
}

// stripMeta drops metadata, for formats that do not carry it.
func stripMeta(recs []rec) []rec {
	out := make([]rec, len(recs))
	for i, r := range recs {
		out[i] = rec{key: r.key, vec: r.vec}
	}
	return out
}

// recordsFor returns what a format preserves of recs.
func recordsFor(format string, recs []rec) []rec {
	switch format {
	case "fvecs":
		return fvecsKeys(recs)
	case "jsonl", "csv":
		return recs
	}
	return stripMeta(recs)
}

// statsRecords runs stats --json and returns the record count.
func statsRecords(t *testing.T, args ...string) int {
	t.Helper()
	out := ok(t, append(args, "stats", "--json")...)
	var s struct {
		Records *int `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.Records == nil {
		t.Fatalf("stats --json: %v, no records field in:\n%s", err, out)
	}
	return *s.Records
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }
