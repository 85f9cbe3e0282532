package main

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
	"testing"
)

// centrality is gensim's rank_by_centrality written out: each key's unit
// vector against the normalised mean of the unit vectors, most similar
// first, ties by key descending.
func centrality(vec map[string][]float32, keys []string) []scored {
	dim := len(vec[keys[0]])
	mean := make([]float64, dim)
	units := make([][]float64, len(keys))
	for i, k := range keys {
		var s float64
		for _, x := range vec[k] {
			s += float64(x) * float64(x)
		}
		units[i] = make([]float64, dim)
		for j, x := range vec[k] {
			units[i][j] = float64(x) / math.Sqrt(s)
			mean[j] += units[i][j]
		}
	}
	var m float64
	for _, x := range mean {
		m += x * x
	}
	out := make([]scored, len(keys))
	for i, u := range units {
		var d float64
		for j := range u {
			d += u[j] * mean[j] / math.Sqrt(m)
		}
		out[i] = scored{keys[i], d}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].key > out[j].key
	})
	return out
}

func TestOdd(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(60, 10, 31)
	// Three records near one direction and one far from it.
	base := recs[0].vec
	for i, k := range []string{"breakfast", "lunch", "dinner"} {
		v := append([]float32(nil), base...)
		v[i] += 0.3
		recs = append(recs, rec{key: k, vec: v})
	}
	far := make([]float32, len(base))
	for i, x := range base {
		far[i] = -x
	}
	far[0] += 0.5
	recs = append(recs, rec{key: "cereal", vec: far})
	importRecords(t, db, recs)
	vec := map[string][]float32{}
	for _, r := range recs {
		vec[r.key] = r.vec
	}

	if out := ok(t, "--db", db, "odd", "breakfast", "cereal", "dinner", "lunch"); out != "cereal\n" {
		t.Errorf("odd: %q, want cereal", out)
	}
	if out := ok(t, "--db", db, "doesnt-match", "lunch", "dinner", "cereal", "breakfast"); out != "cereal\n" {
		t.Errorf("doesnt-match: %q, want cereal", out)
	}

	// Random keys: the whole ranking against the one computed here.
	for _, keys := range [][]string{
		{"w001", "w002", "w003"},
		{"w010", "w020", "w030", "w040", "w050", "w011"},
		{"w005", "w005", "w006", "w007"}, // a repeated key counts twice
	} {
		want := centrality(vec, keys)
		var got oddJSON
		out := ok(t, append(append([]string{"--db", db, "odd"}, keys...), "--json")...)
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if got.Collection != "default" || got.Odd != want[len(want)-1].key || len(got.Ranking) != len(want) {
			t.Fatalf("odd %v --json: %+v, want odd %s", keys, got, want[len(want)-1].key)
		}
		for i, r := range got.Ranking {
			if r.Rank != i+1 || r.Key != want[i].key || math.Abs(float64(r.Score)-want[i].score) > 1e-5 {
				t.Errorf("odd %v: rank %d is %+v, want %s %.6f", keys, i+1, r, want[i].key, want[i].score)
			}
		}
		if out := ok(t, append([]string{"--db", db, "odd"}, keys...)...); out != want[len(want)-1].key+"\n" {
			t.Errorf("odd %v: %q, want %s", keys, out, want[len(want)-1].key)
		}
		// -v: the table, most central first.
		ls := lines(ok(t, append([]string{"--db", db, "odd", "-v"}, keys...)...))
		if len(ls) != len(want)+1 || strings.Join(strings.Fields(ls[0]), " ") != "RANK KEY COSINE" {
			t.Fatalf("odd -v %v:\n%s", keys, strings.Join(ls, "\n"))
		}
		for i, w := range want {
			if f := strings.Fields(ls[i+1]); f[1] != w.key {
				t.Errorf("odd -v %v: row %d is %q, want %s", keys, i+1, ls[i+1], w.key)
			}
		}
	}

	fails(t, exitNotFound, []string{"--db", db, "odd", "breakfast", "lunch", "nosuch"}, `"nosuch"`, `"default"`)
	fails(t, exitNotFound, []string{"--db", db, "-c", "other", "odd", "a", "b", "c"}, `"other"`)
	fails(t, exitUsage, []string{"--db", db, "odd", "breakfast", "lunch"}, "3")
	fails(t, exitNotFound, []string{"--db", db + ".missing", "odd", "a", "b", "c"}, "does not exist")
}

func TestOddHelpGolden(t *testing.T) {
	golden(t, "odd_help.golden", ok(t, "odd", "--help"))
}
