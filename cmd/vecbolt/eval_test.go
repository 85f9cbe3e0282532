package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// evalFixture imports words with a "royal" and a "female" direction, and
// writes an analogy file and a word-pair file beside the database.
func evalFixture(t *testing.T) (db, questions, pairs string) {
	t.Helper()
	db = tempDB(t)
	v := func(royal, female, young float32) []float32 { return []float32{1, royal, female, young} }
	recs := []rec{
		{key: "man", vec: v(0, 0, 0)}, {key: "woman", vec: v(0, 1, 0)}, {key: "king", vec: v(1, 0, 0)},
		{key: "queen", vec: v(1, 1, 0)}, {key: "boy", vec: v(0, 0, 1)}, {key: "girl", vec: v(0, 1, 1)},
		{key: "prince", vec: v(1, 0, 1)}, {key: "princess", vec: v(1, 1, 1)}, {key: "Queen", vec: v(-1, 0, 0)},
	}
	importRecords(t, db, recs, "-c", "w")
	dir := t.TempDir()
	questions = writeFile(t, dir, "q.txt", []byte(": family\nman woman king queen\nMAN WOMAN Boy Girl\nboy girl prince princess\nman king woman nosuch\n"+
		": gram1-test\nking queen man woman\nbad line\n"))
	pairs = writeFile(t, dir, "p.tsv", []byte("# comment\nman\twoman\t3\nking\tqueen\t5\nboy\tprince\t4\nman\tnosuch\t1\n"))
	return db, questions, pairs
}

func TestEvalAnalogies(t *testing.T) {
	db, questions, _ := evalFixture(t)
	for _, args := range [][]string{{}, {"--exact"}, {"--method", "mul"}, {"--method", "mul", "--exact", "--workers", "1"}} {
		out := ok(t, append([]string{"--db", db, "-c", "w", "eval", "analogies", questions}, args...)...)
		for _, want := range []string{"family", "gram1-test", "semantic", "syntactic", "Total accuracy", "100.00%", "5 questions, 1 skipped (20.0%)"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out)
			}
		}
		var rep struct {
			Sections []struct {
				Section        string
				Correct, Total int
			}
			Total        struct{ Correct, Total int }
			Questions    int
			Skipped      int
			SkippedShare float64 `json:"skipped_share"`
		}
		js := ok(t, append([]string{"--db", db, "-c", "w", "eval", "analogies", questions, "--json"}, args...)...)
		if err := json.Unmarshal([]byte(js), &rep); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, js)
		}
		if len(rep.Sections) != 2 || rep.Sections[0].Correct != 3 || rep.Sections[0].Total != 3 || rep.Total.Correct != 4 ||
			rep.Total.Total != 4 || rep.Questions != 5 || rep.Skipped != 1 || rep.SkippedShare != 0.2 {
			t.Errorf("%v: %+v", args, rep)
		}
	}
	// --restrict 4 keeps man, woman, king, queen: only two questions remain.
	out := ok(t, "--db", db, "-c", "w", "eval", "analogies", questions, "--restrict", "4")
	if !strings.Contains(out, "5 questions, 3 skipped") {
		t.Errorf("--restrict 4:\n%s", out)
	}
	fails(t, exitUsage, []string{"--db", db, "-c", "w", "eval", "analogies", questions, "--method", "div"}, "div")
	fails(t, exitUsage, []string{"--db", db, "-c", "w", "eval", "analogies", questions, "--restrict", "0"}, "--restrict")
	fails(t, exitNotFound, []string{"--db", db, "-c", "w", "eval", "analogies", questions + ".missing"}, "missing")
	bad := writeFile(t, t.TempDir(), "bad.txt", []byte("a b c d\n"))
	fails(t, exitInvalid, []string{"--db", db, "-c", "w", "eval", "analogies", bad}, "line 1", "section")
}

func TestEvalSimilarity(t *testing.T) {
	db, _, pairs := evalFixture(t)
	out := ok(t, "--db", db, "-c", "w", "eval", "similarity", pairs)
	for _, want := range []string{"Pearson", "Spearman", "3 scored, 1 with a word outside", "(25.0%)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rep struct {
		Pearson, Spearman float64
		Pairs, OOV        int
		OOVShare          float64 `json:"oov_share"`
	}
	if err := json.Unmarshal([]byte(ok(t, "--db", db, "-c", "w", "eval", "similarity", pairs, "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	// Cosines by hand: man·woman = 1/√2, king·queen = 2/(√2·√3), boy·prince
	// = 2/(√2·√3); human scores 3, 5, 4.
	c1, c2 := 1/math.Sqrt2, 2/(math.Sqrt2*math.Sqrt(3))
	x, y := []float64{3, 5, 4}, []float64{c1, c2, c2}
	mx, my := 4.0, (c1+2*c2)/3
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	// Ranks: x = 1, 3, 2; y = 1, 2.5, 2.5 -> Spearman = Pearson of ranks.
	rx, ry := []float64{1, 3, 2}, []float64{1, 2.5, 2.5}
	var a, b, c float64
	for i := range rx {
		a += (rx[i] - 2) * (ry[i] - 2)
		b += (rx[i] - 2) * (rx[i] - 2)
		c += (ry[i] - 2) * (ry[i] - 2)
	}
	if rep.Pairs != 3 || rep.OOV != 1 || rep.OOVShare != 0.25 ||
		math.Abs(rep.Pearson-sxy/math.Sqrt(sxx*syy)) > 1e-6 || math.Abs(rep.Spearman-a/math.Sqrt(b*c)) > 1e-6 {
		t.Errorf("%+v; want Pearson %.6f, Spearman %.6f", rep, sxy/math.Sqrt(sxx*syy), a/math.Sqrt(b*c))
	}
	none := writeFile(t, t.TempDir(), "none.tsv", []byte("x\ty\t1\n"))
	fails(t, exitInvalid, []string{"--db", db, "-c", "w", "eval", "similarity", none}, "no word pair")
}
