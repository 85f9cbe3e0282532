package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// decode parses out as JSON into v, failing the test if it does not parse.
func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
}

// onTerminal makes confirm believe standard input is a terminal for the
// rest of the test.
func onTerminal(t *testing.T) {
	old := stdinTerminal
	stdinTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { stdinTerminal = old })
}

func TestCollectionsAndDrop(t *testing.T) {
	db := tempDB(t)
	fails(t, exitNotFound, []string{"--db", db, "collections"}, "does not exist")
	ok(t, "--db", db, "create", "--dim", "3")
	ok(t, "--db", db, "create", "small", "--dim", "2", "--metric", "l2", "--m", "8", "--ef-construction", "40", "--ef", "10")
	importRecords(t, db, randomRecords(25, 3, 1))

	var list []collectionJSON
	decode(t, ok(t, "--db", db, "collections", "--json"), &list)
	want := []collectionJSON{
		{Name: "default", Records: 25, Dim: 3, Metric: "cosine", M: 16, EfConstruction: 200, Ef: 64},
		{Name: "small", Records: 0, Dim: 2, Metric: "l2", M: 8, EfConstruction: 40, Ef: 10},
	}
	if !slices.Equal(list, want) {
		t.Fatalf("collections --json: %+v, want %+v", list, want)
	}
	ls := lines(ok(t, "--db", db, "collections"))
	if len(ls) != 3 || strings.Join(strings.Fields(ls[1]), " ") != "default 25 3 cosine 16 200 64 0" {
		t.Errorf("collections:\n%s", strings.Join(ls, "\n"))
	}

	// drop refuses without a terminal and without --yes, and changes nothing.
	r := vecbolt(t, "y\n", "--db", db, "drop", "-c", "small")
	checkFailure(t, r, exitUsage, []string{"drop"}, "--yes", "not a terminal")
	fails(t, exitNotFound, []string{"--db", db, "drop", "-c", "nosuch", "--yes"}, `"nosuch"`, "default, small")

	// On a terminal it asks: no keeps, yes drops.
	onTerminal(t)
	r = vecbolt(t, "n\n", "--db", db, "drop", "-c", "small")
	if r.code != 0 || !strings.Contains(r.stderr, `drop collection "small" with 0 records`) || r.stdout != "not dropped\n" {
		t.Fatalf("drop, answered n: %+v", r)
	}
	r = vecbolt(t, "", "--db", db, "drop", "-c", "small") // end of input: no
	if r.code != 0 || r.stdout != "not dropped\n" {
		t.Fatalf("drop, no answer: %+v", r)
	}
	r = vecbolt(t, "yes\n", "--db", db, "drop", "-c", "small")
	if r.code != 0 || r.stdout != "dropped collection \"small\" (0 records)\n" {
		t.Fatalf("drop, answered yes: %+v", r)
	}
	// Dropping the current (default) collection, which is also the last.
	var d dropJSON
	decode(t, ok(t, "--db", db, "drop", "--yes", "--json"), &d)
	if d != (dropJSON{Collection: "default", Records: 25, Dropped: true}) {
		t.Errorf("drop --json: %+v", d)
	}
	fails(t, exitNotFound, []string{"--db", db, "get", "w001"}, `no collection "default"`, "no collections")
	fails(t, exitNotFound, []string{"--db", db, "drop", "--yes"}, `"default"`)
	decode(t, ok(t, "--db", db, "collections", "--json"), &list)
	if len(list) != 0 {
		t.Errorf("collections after dropping the last: %+v", list)
	}
	if out := ok(t, "--db", db, "collections"); !strings.Contains(out, "has no collections") {
		t.Errorf("collections of an empty file: %q", out)
	}
	// The name can be used again.
	ok(t, "--db", db, "create", "--dim", "5")
	importRecords(t, db, randomRecords(3, 5, 2))
}

func TestKeysCommand(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(120, 4, 3)
	for i := range recs {
		recs[i].key = fmt.Sprintf("%c%03d", "zyx"[i%3], (i*37)%120) // not in key order
	}
	importRecords(t, db, recs)
	var all []string
	for _, r := range recs {
		all = append(all, r.key)
	}
	sort.Strings(all)
	if got := lines(ok(t, "--db", db, "keys")); !slices.Equal(got, all) {
		t.Fatalf("keys: %d lines, want %d in order", len(got), len(all))
	}
	var want []string
	for _, k := range all {
		if strings.HasPrefix(k, "y0") {
			want = append(want, k)
		}
	}
	if got := lines(ok(t, "--db", db, "keys", "--prefix", "y0")); !slices.Equal(got, want) {
		t.Errorf("keys --prefix y0: %v, want %v", got, want)
	}
	// Page through with --json: every key once, next "" on the last page.
	var got []string
	after, pages := "", 0
	for {
		var page keysJSON
		decode(t, ok(t, "--db", db, "keys", "--limit", "25", "--after", after, "--json"), &page)
		got = append(got, page.Keys...)
		pages++
		if page.Next == "" {
			break
		}
		if page.Next != page.Keys[len(page.Keys)-1] || len(page.Keys) != 25 {
			t.Fatalf("page %d: %d keys, next %q", pages, len(page.Keys), page.Next)
		}
		after = page.Next
	}
	if !slices.Equal(got, all) || pages != 5 {
		t.Errorf("paging: %d keys in %d pages, want %d in 5", len(got), pages, len(all))
	}
	// An exact multiple: the last full page says there is no next.
	var page keysJSON
	decode(t, ok(t, "--db", db, "keys", "--limit", "120", "--json"), &page)
	if len(page.Keys) != 120 || page.Next != "" {
		t.Errorf("--limit 120: %d keys, next %q", len(page.Keys), page.Next)
	}
	// Past the end: nothing, and success.
	if out := ok(t, "--db", db, "keys", "--after", all[len(all)-1]); out != "" {
		t.Errorf("past the end: %q", out)
	}
	decode(t, ok(t, "--db", db, "keys", "--after", "zzzz", "--json"), &page)
	if page.Keys == nil || len(page.Keys) != 0 || page.Next != "" {
		t.Errorf("past the end --json: %+v", page)
	}
	fails(t, exitUsage, []string{"--db", db, "keys", "--limit", "-1"}, "--limit")
	fails(t, exitNotFound, []string{"--db", db, "-c", "nosuch", "keys"}, `"nosuch"`)
	fails(t, exitUsage, []string{"--db", db, "keys", "extra"}, "extra")
}

func TestGetManyAndDeleteMore(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(60, 3, 4)
	importRecords(t, db, recs)

	var many []recordJSON
	decode(t, ok(t, "--db", db, "get", "w005", "w001", "--json"), &many)
	if len(many) != 2 || many[0].Key != "w005" || many[1].Key != "w001" || !slices.Equal(many[0].Vector, recs[5].vec) || strings.Join(strings.Fields(string(many[1].Metadata)), "") != `{"i":1}` {
		t.Fatalf("get two --json: %+v", many)
	}
	out := ok(t, "--db", db, "get", "w002", "w003")
	if strings.Count(out, "key:") != 2 || !strings.Contains(out, "key:       w003") {
		t.Errorf("get two:\n%s", out)
	}
	fails(t, exitNotFound, []string{"--db", db, "get", "w002", "nosuch"}, `"nosuch"`)

	// --missing-ok.
	fails(t, exitNotFound, []string{"--db", db, "delete", "w000", "nosuch"}, "nosuch")
	var d deleteJSON
	decode(t, ok(t, "--db", db, "delete", "w000", "nosuch", "--missing-ok", "--json"), &d)
	if d != (deleteJSON{Collection: "default", Matched: 2, Deleted: 1, Left: 59}) {
		t.Errorf("delete --missing-ok --json: %+v", d)
	}
	if out := ok(t, "--db", db, "delete", "nosuch", "--missing-ok"); !strings.Contains(out, "deleted 0 records") {
		t.Errorf("delete of a missing key with --missing-ok: %q", out)
	}

	// --filter: refuses without a terminal and --yes, asks on one.
	r := vecbolt(t, "y\n", "--db", db, "delete", "--filter", "i >= 10 and i < 20")
	checkFailure(t, r, exitUsage, []string{"delete --filter"}, "delete 10 records matching", "--yes")
	fails(t, exitUsage, []string{"--db", db, "delete", "w001", "--filter", "i = 1"}, "not both")
	fails(t, exitUsage, []string{"--db", db, "delete"}, "--filter")
	fails(t, exitUsage, []string{"--db", db, "delete", "w001", "--yes"}, "--yes")
	fails(t, exitInvalid, []string{"--db", db, "delete", "--filter", "i >=", "--yes"})
	onTerminal(t)
	r = vecbolt(t, "n\n", "--db", db, "delete", "--filter", "i >= 10 and i < 20")
	if r.code != 0 || !strings.Contains(r.stdout, "deleted 0 records") || !strings.Contains(r.stderr, "delete 10 records matching") {
		t.Fatalf("delete --filter, answered n: %+v", r)
	}
	r = vecbolt(t, "y\n", "--db", db, "delete", "--filter", "i >= 10 and i < 20")
	if r.code != 0 || !strings.Contains(r.stdout, "deleted 10 records") || !strings.Contains(r.stdout, "49 left") {
		t.Fatalf("delete --filter, answered y: %+v", r)
	}
	decode(t, ok(t, "--db", db, "delete", "--filter", "i < 5", "--yes", "--json"), &d)
	if d != (deleteJSON{Collection: "default", Matched: 4, Deleted: 4, Left: 45}) { // w000 went before
		t.Errorf("delete --filter --yes --json: %+v", d)
	}
	decode(t, ok(t, "--db", db, "delete", "--filter", "i < 5", "--json"), &d)
	if d.Matched != 0 || d.Deleted != 0 {
		t.Errorf("delete --filter matching nothing: %+v", d)
	}
	var keys keysJSON
	decode(t, ok(t, "--db", db, "keys", "--json"), &keys)
	for _, k := range keys.Keys {
		var i int
		fmt.Sscanf(k, "w%d", &i)
		if i < 5 || (i >= 10 && i < 20) {
			t.Errorf("%s survived the deletes", k)
		}
	}
	if len(keys.Keys) != 45 {
		t.Errorf("%d keys left, want 45", len(keys.Keys))
	}
	ok(t, "--db", db, "check")
}

func TestSearchPaging(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(100, 5, 5)
	importRecords(t, db, recs)
	want := bruteForce(recs, func(v []float32) float64 { return cosine(recs[7].vec, v) }, "w007")
	vec := map[string][]float32{}
	for _, r := range recs {
		vec[r.key] = r.vec
	}
	for _, off := range []int{0, 3, 90, 99, 150} {
		var page pageJSON
		decode(t, ok(t, "--db", db, "search", "--key", "w007", "--exact", "-k", "10", "--offset", fmt.Sprint(off), "--with-vectors", "--json"), &page)
		n := max(0, min(10, len(want)-off))
		if len(page.Results) != n || page.Offset != off {
			t.Fatalf("offset %d: %d results, want %d", off, len(page.Results), n)
		}
		for i, r := range page.Results {
			w := want[off+i]
			if r.Rank != off+i+1 || r.Key != w.key || math.Abs(float64(r.Score)-w.score) > 1e-5 || !slices.Equal(r.Vector, vec[r.Key]) {
				t.Errorf("offset %d result %d: %+v, want %s %.5f", off, i, r, w.key, w.score)
			}
		}
	}
	ls := lines(ok(t, "--db", db, "search", "--key", "w007", "--exact", "-k", "2", "--offset", "5", "--with-vectors"))
	if len(ls) != 3 || !strings.HasPrefix(ls[1], "6 ") || !strings.Contains(ls[0], "VECTOR") || !strings.Contains(ls[1], formatVector(vec[want[5].key])) {
		t.Errorf("search --offset --with-vectors table:\n%s", strings.Join(ls, "\n"))
	}
	fails(t, exitUsage, []string{"--db", db, "search", "--key", "w007", "--offset", "-1"}, "--offset")
	fails(t, exitUsage, []string{"--db", db, "search", "--expr", "w007 - w001", "--offset", "2"}, "--offset")
	fails(t, exitUsage, []string{"--db", db, "search", "--key", "w007", "--threshold", "0.5", "--with-vectors"}, "--with-vectors")
}

// unitMean returns the normalised sum of the unit vectors of pos minus
// those of neg: gensim's most_similar query, written out.
func unitMean(vec map[string][]float32, pos, neg []string) []float32 {
	dim := len(vec[pos[0]])
	m := make([]float64, dim)
	add := func(k string, w float64) {
		var s float64
		for _, x := range vec[k] {
			s += float64(x) * float64(x)
		}
		for j, x := range vec[k] {
			m[j] += w * float64(x) / math.Sqrt(s)
		}
	}
	for _, k := range pos {
		add(k, 1)
	}
	for _, k := range neg {
		add(k, -1)
	}
	out := make([]float32, dim)
	for j, x := range m {
		out[j] = float32(x)
	}
	return out
}

func TestKeyedVectorsCommands(t *testing.T) {
	db := tempDB(t)
	recs := randomRecords(150, 6, 6)
	importRecords(t, db, recs)
	vec := map[string][]float32{}
	for _, r := range recs {
		vec[r.key] = r.vec
	}

	// similarity
	s, err := parseFloat32(ok(t, "--db", db, "similarity", "w001", "w002"))
	if err != nil || math.Abs(float64(s)-cosine(vec["w001"], vec["w002"])) > 1e-6 {
		t.Errorf("similarity: %v, %v; want %v", s, err, cosine(vec["w001"], vec["w002"]))
	}
	var sj similarityJSON
	decode(t, ok(t, "--db", db, "similarity", "--sets", "w001 w002", "w003", "--json"), &sj)
	mean := make([]float32, 6)
	for j := range mean {
		mean[j] = (vec["w001"][j] + vec["w002"][j]) / 2
	}
	if want := cosine(mean, vec["w003"]); math.Abs(float64(sj.Similarity)-want) > 1e-6 || math.Abs(float64(sj.Distance)-(1-want)) > 1e-6 || len(sj.A) != 2 {
		t.Errorf("similarity --sets --json: %+v, want %v", sj, want)
	}
	fails(t, exitNotFound, []string{"--db", db, "similarity", "w001", "nosuch"}, `"nosuch"`)
	fails(t, exitUsage, []string{"--db", db, "similarity", "--sets", " ", "w001"}, "non-empty")
	fails(t, exitUsage, []string{"--db", db, "similarity", "w001"}, "2 arg")
	fails(t, exitNotFound, []string{"--db", db, "-c", "nosuch", "similarity", "a", "b"}, `"nosuch"`)

	// rank and closer-than against the full ranking.
	ranking := bruteForce(recs, func(v []float32) float64 { return cosine(vec["w010"], v) }, "w010")
	pos := slices.IndexFunc(ranking, func(s scored) bool { return s.key == "w020" })
	var closer []string
	for _, r := range recs {
		if r.key != "w010" && cosine(vec["w010"], r.vec) > cosine(vec["w010"], vec["w020"]) {
			closer = append(closer, r.key)
		}
	}
	if out := ok(t, "--db", db, "rank", "w010", "w020"); out != fmt.Sprintf("%d\n", pos+1) {
		t.Errorf("rank: %q, want %d", out, pos+1)
	}
	var rj rankJSON
	decode(t, ok(t, "--db", db, "rank", "w010", "w020", "--json"), &rj)
	if rj.Rank != pos+1 || !rj.Exact {
		t.Errorf("rank --json: %+v", rj)
	}
	if got := strings.Fields(ok(t, "--db", db, "closer-than", "w010", "w020")); !slices.Equal(got, closer) {
		t.Errorf("closer-than: %v, want %v", got, closer)
	}
	var cj closerThanJSON
	decode(t, ok(t, "--db", db, "closer-than", "w010", ranking[0].key, "--json"), &cj)
	if cj.Count != 0 || cj.Keys == nil {
		t.Errorf("closer-than the nearest --json: %+v", cj)
	}
	fails(t, exitNotFound, []string{"--db", db, "rank", "nosuch", "w001"}, `"nosuch"`)
	fails(t, exitNotFound, []string{"--db", db, "closer-than", "w001", "nosuch"}, `"nosuch"`)

	// similar: most_similar with positive and negative keys, exact.
	q := unitMean(vec, []string{"w030", "w031"}, []string{"w032"})
	want := bruteForce(recs, func(v []float32) float64 { return cosine(q, v) }, "w030", "w031", "w032")
	var res similarJSON
	decode(t, ok(t, "--db", db, "similar", "w030", "--positive", "w031", "--negative", "w032", "-k", "5", "--exact", "--json"), &res)
	if res.Method != "most_similar" || len(res.Results) != 5 || !slices.Equal(res.Positive, []string{"w030", "w031"}) {
		t.Fatalf("similar --json: %+v", res)
	}
	for i, r := range res.Results {
		if r.Key != want[i].key || math.Abs(float64(r.Score)-want[i].score) > 1e-5 {
			t.Errorf("similar result %d: %+v, want %s %.5f", i, r, want[i].key, want[i].score)
		}
	}
	// --cosmul: the 3CosMul objective, written out.
	cm := func(v []float32) float64 {
		p1, p2, n := (1+cosine(v, vec["w030"]))/2, (1+cosine(v, vec["w031"]))/2, (1+cosine(v, vec["w032"]))/2
		return p1 * p2 / (n + 1e-6)
	}
	want = bruteForce(recs, cm, "w030", "w031", "w032")
	decode(t, ok(t, "--db", db, "similar", "-p", "w030", "-p", "w031", "-n", "w032", "--cosmul", "-k", "3", "--exact", "--json"), &res)
	for i, r := range res.Results {
		if res.Method != "most_similar_cosmul" || r.Key != want[i].key || math.Abs(float64(r.Score)-want[i].score) > 1e-5 {
			t.Errorf("similar --cosmul result %d: %+v, want %s %.5f", i, r, want[i].key, want[i].score)
		}
	}
	// --restrict: only the first N records.
	decode(t, ok(t, "--db", db, "similar", "w100", "--restrict", "20", "-k", "30", "--json"), &res)
	if len(res.Results) != 20 {
		t.Errorf("similar --restrict 20: %d results", len(res.Results))
	}
	for _, r := range res.Results {
		var i int
		fmt.Sscanf(r.Key, "w%d", &i)
		if i >= 20 {
			t.Errorf("similar --restrict 20 returned %s", r.Key)
		}
	}
	// --vector finds the record itself; --among picks the most similar.
	decode(t, ok(t, "--db", db, "similar", "--vector", formatVector(vec["w040"]), "-k", "1", "--exact", "--json"), &res)
	if res.Method != "similar_by_vector" || res.Results[0].Key != "w040" {
		t.Errorf("similar --vector: %+v", res)
	}
	cands := []string{"w050", "w051", "w052", "w053"}
	best := slices.MaxFunc(cands, func(a, b string) int {
		return cmpFloat(cosine(vec["w041"], vec[a]), cosine(vec["w041"], vec[b]))
	})
	if out := ok(t, "--db", db, "similar", "w041", "--among", "w050", "--among", "w051", "--among", "w052", "--among", "w053"); out != best+"\n" {
		t.Errorf("similar --among: %q, want %s", out, best)
	}
	var gj givenJSON
	decode(t, ok(t, "--db", db, "similar", "w041", "--among", "w050", "--json"), &gj)
	if gj.Best != "w050" || gj.Key != "w041" {
		t.Errorf("similar --among --json: %+v", gj)
	}
	ls := lines(ok(t, "--db", db, "similar", "w030", "-k", "2"))
	if len(ls) != 3 || strings.Join(strings.Fields(ls[0]), " ") != "RANK KEY COSINE" {
		t.Errorf("similar table:\n%s", strings.Join(ls, "\n"))
	}

	fails(t, exitUsage, []string{"--db", db, "similar"}, "give a key")
	fails(t, exitUsage, []string{"--db", db, "similar", "-n", "w001", "--cosmul"}, "positive")
	fails(t, exitUsage, []string{"--db", db, "similar", "w001", "--vector", "1,2,3,4,5,6"}, "--vector")
	fails(t, exitUsage, []string{"--db", db, "similar", "w001", "w002", "--among", "w003"}, "--among")
	fails(t, exitUsage, []string{"--db", db, "similar", "w001", "-k", "0"}, "-k")
	fails(t, exitInvalid, []string{"--db", db, "similar", "--vector", "1,2"}, "dimension")
	fails(t, exitInvalid, []string{"--db", db, "similar", "--vector", "1,x"}, "x")
	fails(t, exitNotFound, []string{"--db", db, "similar", "w001", "-n", "nosuch"}, `"nosuch"`)
	fails(t, exitNotFound, []string{"--db", db, "similar", "w001", "--among", "nosuch"}, `"nosuch"`)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseFloat32(s string) (float32, error) {
	var f float32
	_, err := fmt.Sscanf(strings.TrimSpace(s), "%g", &f)
	return f, err
}

func TestVersion(t *testing.T) {
	want := readBuildInfo().String() + "\n"
	if out := ok(t, "--version"); out != want {
		t.Errorf("--version: %q, want %q", out, want)
	}
	if out := ok(t, "version"); out != want || !strings.HasPrefix(out, "vecbolt ") {
		t.Errorf("version: %q, want %q", out, want)
	}
	var b buildInfo
	decode(t, ok(t, "version", "--json"), &b)
	if b.Module != "github.com/vecbolt/vecbolt" || b.Version == "" || !strings.HasPrefix(b.GoVersion, "go") {
		t.Errorf("version --json: %+v", b)
	}
	// The one-line form of a stamped build.
	b = buildInfo{Version: "v1.2.3", Revision: "0123456789abcdef", Time: "2026-12-02T03:00:00Z", Modified: true, GoVersion: "go1.26", Platform: "linux/amd64"}
	if got := b.String(); got != "vecbolt v1.2.3 (0123456789ab, 2026-12-02T03:00:00Z, modified) go1.26 linux/amd64" {
		t.Errorf("String: %q", got)
	}
}

func TestCompleteNamesAndKeys(t *testing.T) {
	db := tempDB(t)
	ok(t, "--db", db, "create", "--dim", "3")
	ok(t, "--db", db, "create", "other", "--dim", "2")
	importRecords(t, db, randomRecords(30, 3, 7))
	out := ok(t, "__complete", "--db", db, "-c", "")
	if !strings.Contains(out, "default\n") || !strings.Contains(out, "other\n") {
		t.Errorf("completing -c:\n%s", out)
	}
	out = ok(t, "__complete", "--db", db, "get", "w02")
	for i := 20; i < 30; i++ {
		if !strings.Contains(out, fmt.Sprintf("w%03d\n", i)) {
			t.Errorf("completing get w02 lacks w%03d:\n%s", i, out)
		}
	}
	if strings.Contains(out, "w019") || strings.Contains(out, "w001") {
		t.Errorf("completing get w02 offers other keys:\n%s", out)
	}
	out = ok(t, "__complete", "--db", db, "similar", "--negative", "w00")
	if !strings.Contains(out, "w005\n") {
		t.Errorf("completing --negative:\n%s", out)
	}
	// A missing database completes nothing, quietly.
	out = ok(t, "__complete", "--db", db+".missing", "get", "w")
	if strings.Contains(out, "w0") {
		t.Errorf("completing from a missing database:\n%s", out)
	}
}

func TestEverydayHelpGolden(t *testing.T) {
	golden(t, "similar_help.golden", ok(t, "similar", "--help"))
	golden(t, "keys_help.golden", ok(t, "keys", "--help"))
}

func TestRename(t *testing.T) {
	db := tempDB(t)
	ok(t, "--db", db, "create", "--dim", "3")
	ok(t, "--db", db, "create", "other", "--dim", "2")
	importRecords(t, db, randomRecords(10, 3, 8))
	qdb, err := query.Open(db, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, can := any(qdb).(collectionRenamer)
	qdb.Close()
	if !can {
		fails(t, exitFailure, []string{"--db", db, "rename", "default", "words"}, "version-2")
		t.Skip("query.DB has no RenameCollection yet (the version-2 file format, issue 10)")
	}
	// Onto an existing name: refused, nothing changes.
	fails(t, exitInvalid, []string{"--db", db, "rename", "default", "other"}, `"other" exists`)
	fails(t, exitNotFound, []string{"--db", db, "rename", "nosuch", "x"}, `"nosuch"`, "default, other")
	// The current collection, with its records.
	var r renameJSON
	decode(t, ok(t, "--db", db, "rename", "default", "words", "--json"), &r)
	if r != (renameJSON{Old: "default", New: "words"}) {
		t.Errorf("rename --json: %+v", r)
	}
	fails(t, exitNotFound, []string{"--db", db, "keys"}, `"default"`, "other, words")
	if got := lines(ok(t, "--db", db, "-c", "words", "keys")); len(got) != 10 {
		t.Errorf("keys after rename: %v", got)
	}
	if out := ok(t, "--db", db, "rename", "words", "default"); out != "renamed collection \"words\" to \"default\"\n" {
		t.Errorf("rename back: %q", out)
	}
	ok(t, "--db", db, "check")
}
