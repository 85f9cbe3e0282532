package query_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// TestHugeK drives every entry point that takes a result count with k far
// beyond the collection (2^63-1 panicked with "makeslice: cap out of
// range", 10^11 ran out of memory, and 3CosMul's 10*k overflowed to 100
// results). Each must return every eligible record exactly once.
func TestHugeK(t *testing.T) {
	const n, dim = 150, 8
	ks := []int{math.MaxInt, math.MaxInt/10 + 1, 1e11, n + 1}
	for _, metric := range []query.Metric{query.Cosine, query.Dot, query.L2} {
		t.Run(string(metric), func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: metric, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			vecs := clustered(9, n, dim)
			keys := fill(t, c, vecs)
			// all reports whether rs holds each key not in skip exactly once.
			all := func(rs []query.Result, skip ...string) error {
				seen := map[string]bool{}
				for _, s := range skip {
					seen[s] = true
				}
				for _, r := range rs {
					if seen[r.Key] {
						return fmt.Errorf("key %q twice or excluded", r.Key)
					}
					seen[r.Key] = true
				}
				if len(seen) != n {
					return fmt.Errorf("%d results, want %d", len(rs), n-len(skip))
				}
				return nil
			}
			ex, err := query.ParseExpr("k1 - k2 + k3")
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range ks {
				for _, exact := range []bool{false, true} {
					for _, ef := range []int{0, math.MaxInt} {
						name := fmt.Sprintf("k=%d exact=%t ef=%d", k, exact, ef)
						so := query.SearchOptions{Exact: exact, Ef: ef}
						rs, err := c.Search(ctx, vecs[0], k, so)
						if err == nil {
							err = all(rs)
						}
						if err != nil {
							t.Errorf("Search %s: %v", name, err)
						}
						rs, err = c.SearchKey(ctx, keys[0], k, so)
						if err == nil {
							err = all(rs, keys[0])
						}
						if err != nil {
							t.Errorf("SearchKey %s: %v", name, err)
						}
						batch, err := c.SearchBatch(ctx, vecs[:3], k, so)
						for i := 0; err == nil && i < len(batch); i++ {
							err = all(batch[i])
						}
						if err != nil {
							t.Errorf("SearchBatch %s: %v", name, err)
						}
						lim := float32(math.Inf(-1))
						if metric == query.L2 {
							lim = float32(math.Inf(1))
						}
						rs, err = c.SearchWithin(ctx, vecs[0], lim, k, so)
						if err == nil {
							err = all(rs)
						}
						if err != nil {
							t.Errorf("SearchWithin limit %s: %v", name, err)
						}
						for _, m := range []query.Method{query.CosAdd, query.CosMul} {
							for _, cand := range []int{0, k} {
								ao := query.AnalogyOptions{Method: m, Exact: exact, Ef: ef, Candidates: cand}
								rs, err = c.Analogy(ctx, ex, k, ao)
								if err == nil {
									err = all(rs, "k1", "k2", "k3")
								}
								if err != nil {
									t.Errorf("Analogy %v candidates=%d %s: %v", m, cand, name, err)
								}
							}
						}
					}
				}
			}
			// Evaluation with huge 3CosMul candidate counts: the answers
			// must be those of an exact evaluation.
			var sb strings.Builder
			sb.WriteString(": s\n")
			for i := 0; i+3 < 40; i += 4 {
				fmt.Fprintf(&sb, "%s %s %s %s\n", keys[i], keys[i+1], keys[i+2], keys[i+3])
			}
			want, err := c.EvaluateAnalogies(ctx, strings.NewReader(sb.String()), query.AnalogyEvalOptions{Method: query.CosMul, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, cand := range ks {
				got, err := c.EvaluateAnalogies(ctx, strings.NewReader(sb.String()), query.AnalogyEvalOptions{Method: query.CosMul, Candidates: cand, Ef: math.MaxInt})
				if err != nil {
					t.Errorf("EvaluateAnalogies candidates=%d: %v", cand, err)
					continue
				}
				if metric == query.Cosine && got.Total != want.Total {
					t.Errorf("EvaluateAnalogies candidates=%d: %+v, exact %+v", cand, got.Total, want.Total)
				}
			}
		})
	}
}

// TestRefuseOverflowingVectors: one record with components of 1e19 made
// every l2 search return NaN distances (and dot +Inf); such records and
// queries are now refused with a *store.NormError, and what is accepted
// gives finite scores.
func TestRefuseOverflowingVectors(t *testing.T) {
	const dim = 100
	big := make([]float32, dim)
	tiny := make([]float32, dim)
	ok := make([]float32, dim)
	for i := range big {
		big[i], tiny[i], ok[i] = 1e19, 1e-45, float32(i%7)-3
	}
	for _, metric := range []query.Metric{query.Cosine, query.Dot, query.L2} {
		t.Run(string(metric), func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: metric})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Upsert(ctx, "ok", ok, nil); err != nil {
				t.Fatal(err)
			}
			for name, v := range map[string][]float32{"1e19": big, "1e-45": tiny} {
				var ne *store.NormError
				err := c.Upsert(ctx, name, v, nil)
				if !errors.Is(err, query.ErrInvalidVector) || !errors.As(err, &ne) {
					t.Errorf("Upsert %s: %v, want a *store.NormError", name, err)
				}
				err = c.UpsertBatch(ctx, []query.Record{{Key: "x", Vector: ok}, {Key: name, Vector: v}}, query.BatchOptions{})
				if !errors.As(err, &ne) {
					t.Errorf("UpsertBatch %s: %v, want a *store.NormError", name, err)
				}
				if _, err := c.Search(ctx, v, 1, query.SearchOptions{}); !errors.As(err, &ne) {
					t.Errorf("Search with a %s query: %v, want a *store.NormError", name, err)
				}
			}
			if c.Len() != 1 {
				t.Errorf("%d records after refused writes, want 1", c.Len())
			}
			for _, exact := range []bool{false, true} {
				rs, err := c.Search(ctx, ok, 1, query.SearchOptions{Exact: exact})
				if err != nil || len(rs) != 1 || math.IsNaN(float64(rs[0].Score)) || math.IsInf(float64(rs[0].Score), 0) {
					t.Errorf("Search exact=%t: %v %v", exact, rs, err)
				}
			}
			if err := db.Check(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestCheckFindsChangedVector: a byte changed inside a stored vector went
// unnoticed by check. Now Check compares every record with the graph's
// copy of its vector and, under cosine, with its stored norm, and names
// the collection and key.
func TestCheckFindsChangedVector(t *testing.T) {
	const dim, victim = 8, 17
	before, after := float32(-0.21298), float32(-0.21338817)
	for _, metric := range []query.Metric{query.Cosine, query.Dot, query.L2} {
		t.Run(string(metric), func(t *testing.T) {
			setup := func(t *testing.T) (*query.DB, *query.Collection, string, []float32) {
				db, path := openTemp(t)
				c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: metric})
				if err != nil {
					t.Fatal(err)
				}
				vecs := clustered(11, 40, dim)
				vecs[victim][3] = before
				fill(t, c, vecs)
				if err := db.Check(ctx); err != nil {
					t.Fatalf("Check before the change: %v", err)
				}
				return db, c, path, vecs[victim]
			}
			wantReport := func(t *testing.T, err error) {
				t.Helper()
				key := fmt.Sprintf("k%d", victim)
				if err == nil {
					t.Fatal("Check passes a record whose vector changed")
				}
				if msg := err.Error(); !strings.Contains(msg, `collection "c"`) || !strings.Contains(msg, `record "`+key+`"`) {
					t.Errorf("Check does not name the collection and key %q: %v", key, err)
				}
			}
			t.Run("file bytes changed", func(t *testing.T) {
				db, _, path, _ := setup(t)
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
				replaceFloat(t, path, before, after)
				db, err := query.Open(path, query.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				err = db.Check(ctx)
				if metric != query.Cosine && err == nil {
					// Format 1 keeps one copy of an l2/dot vector on disk
					// (the graph's is computed from it at open): nothing
					// to compare until the format stores checksums.
					t.Skip("format 1 has no second copy of an l2/dot vector to compare")
				}
				wantReport(t, err)
			})
			t.Run("record rewritten behind the graph", func(t *testing.T) {
				db, c, _, v := setup(t)
				changed := append([]float32(nil), v...)
				changed[3] = after
				key := fmt.Sprintf("k%d", victim)
				err := db.Store().Update(func(tx *store.Tx) error {
					sc, err := tx.Collection("c")
					if err != nil {
						return err
					}
					r, err := sc.Get(key)
					if err != nil {
						return err
					}
					r.Vector = changed
					return sc.Put(&r)
				})
				if err != nil {
					t.Fatal(err)
				}
				wantReport(t, c.Check(ctx))
			})
		})
	}
}

// replaceFloat replaces the first occurrence of from's little-endian bytes
// in the file with to's: a byte-level change inside a stored vector, as
// disk damage or a stray write would make.
func replaceFloat(t *testing.T, path string, from, to float32) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := binary.LittleEndian.AppendUint32(nil, math.Float32bits(from))
	i := bytes.Index(b, f)
	if i < 0 {
		t.Fatalf("%v not found in %s", from, path)
	}
	copy(b[i:], binary.LittleEndian.AppendUint32(nil, math.Float32bits(to)))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestZeroVectorQuestions: "king - king" and "0*king" returned arbitrary
// words at score 0, and zero vectors stored under dot and l2 appeared among
// analogy answers. A zero query is now an error, and zero records are never
// answers to a cosine question.
func TestZeroVectorQuestions(t *testing.T) {
	const dim = 6
	for _, metric := range []query.Metric{query.Cosine, query.Dot, query.L2} {
		t.Run(string(metric), func(t *testing.T) {
			db, _ := openTemp(t)
			c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: dim, Metric: metric})
			if err != nil {
				t.Fatal(err)
			}
			fill(t, c, clustered(5, 30, dim))
			if metric != query.Cosine {
				if err := c.Upsert(ctx, "zero", make([]float32, dim), nil); err != nil {
					t.Fatal(err)
				}
			}
			bad := []struct {
				expr string
				want error
			}{
				{"k1 - k1", query.ErrZeroVector},
				{"0*k1", query.ErrZeroVector},
				{"k1 + k2 - k1 - k2", query.ErrZeroVector},
				{"1e300*[1e18,1e18,1e18,1e18,1e18,1e18] + k1", query.ErrInvalidVector},
			}
			if metric != query.Cosine {
				bad = append(bad, struct {
					expr string
					want error
				}{"zero + k1 - k2", query.ErrZeroVector})
			}
			for _, tc := range bad {
				ex, err := query.ParseExpr(tc.expr)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range []query.Method{query.CosAdd, query.CosMul} {
					for _, exact := range []bool{false, true} {
						rs, err := c.Analogy(ctx, ex, 5, query.AnalogyOptions{Method: m, Exact: exact})
						if !errors.Is(err, tc.want) {
							t.Errorf("Analogy(%q, %v, exact=%t) = %v, %v; want %v", tc.expr, m, exact, rs, err, tc.want)
						}
					}
				}
			}
			ex, _ := query.ParseExpr("k1 - k2 + k3")
			for _, m := range []query.Method{query.CosAdd, query.CosMul} {
				for _, exact := range []bool{false, true} {
					rs, err := c.Analogy(ctx, ex, 100, query.AnalogyOptions{Method: m, Exact: exact})
					if err != nil {
						t.Fatal(err)
					}
					if len(rs) != 27 {
						t.Errorf("Analogy %v exact=%t: %d answers, want the 27 records with a direction", m, exact, len(rs))
					}
					for _, r := range rs {
						if r.Key == "zero" {
							t.Errorf("Analogy %v exact=%t answers the zero vector", m, exact)
						}
					}
				}
			}
			if metric != query.Cosine {
				if _, err := c.DoesntMatch(ctx, []string{"k1", "zero", "k2"}); !errors.Is(err, query.ErrZeroVector) || !strings.Contains(err.Error(), `"zero"`) {
					t.Errorf("DoesntMatch with a zero vector: %v, want ErrZeroVector naming it", err)
				}
			}
		})
	}
}

// TestEvalBadInput: eval similarity with a single pair or constant scores
// failed in --json on NaN; malformed lines gave "no word pair ... (0 out of
// vocabulary)"; an empty analogies file scored 0.00% without complaint.
func TestEvalBadInput(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 4, Metric: query.L2})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, c, clustered(3, 10, 4)) // k0..k9
	if err := c.Upsert(ctx, "zero", make([]float32, 4), nil); err != nil {
		t.Fatal(err)
	}
	pairs := []struct {
		name, file string
		undefined  string // "" when the correlation is defined
		malformed  []int
		zero       int
	}{
		{"single pair", "k0\tk1\t5\n", "at least 2", nil, 0},
		{"constant human scores", "k0\tk1\t5\nk2\tk3\t5\nk4\tk5\t5\n", "human scores are all equal", nil, 0},
		{"some malformed lines", "k0\tk1\t1\nk0 k2 3\n\nk2\tk3\tx\nk4\tk5\t2\nk6\tk7\t9\n", "", []int{2, 4}, 0},
		{"zero vector skipped", "k0\tk1\t1\nk0\tzero\t3\nk4\tk5\t2\nk6\tk7\t9\n", "", nil, 1},
	}
	for _, tc := range pairs {
		t.Run("similarity/"+tc.name, func(t *testing.T) {
			rep, err := c.EvaluateWordPairs(ctx, strings.NewReader(tc.file), query.PairsEvalOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatalf("JSON: %v", err)
			}
			var back struct {
				Pearson, Spearman *float64
				Undefined         string
			}
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if tc.undefined != "" {
				if back.Pearson != nil || back.Spearman != nil || !strings.Contains(rep.Undefined, tc.undefined) {
					t.Errorf("%s: want null correlations and a reason saying %q", b, tc.undefined)
				}
			} else if back.Pearson == nil || back.Spearman == nil || rep.Undefined != "" {
				t.Errorf("%s: want defined correlations", b)
			}
			if rep.Malformed != len(tc.malformed) || fmt.Sprint(rep.MalformedLines) != fmt.Sprint(tc.malformed) && len(tc.malformed) > 0 {
				t.Errorf("malformed %d %v, want %v", rep.Malformed, rep.MalformedLines, tc.malformed)
			}
			if rep.ZeroVector != tc.zero {
				t.Errorf("zero-vector pairs %d, want %d", rep.ZeroVector, tc.zero)
			}
		})
	}
	unusable := []struct {
		name, file string
		analogies  bool
		text       []string
	}{
		{"similarity space-separated", "k0 k1 5\nk2 k3 4\n", false, []string{"2 malformed line(s) (line 1, 2)", "word1<TAB>word2<TAB>score"}},
		{"similarity no score", "k0\tk1\n", false, []string{"line 1"}},
		{"similarity empty", "", false, []string{"0 pair(s)"}},
		{"analogies empty", "", true, []string{"no questions"}},
		{"analogies headers only", ": a\n: b\n", true, []string{"no questions"}},
		{"analogies malformed", ": a\nk0 k1 k2\nk0,k1,k2,k3\n", true, []string{"2 malformed line(s) (line 2, 3)"}},
		{"analogies all out of vocabulary", ": a\nx y z w\n", true, []string{"none of the 1 questions"}},
	}
	for _, tc := range unusable {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.analogies {
				_, err = c.EvaluateAnalogies(ctx, strings.NewReader(tc.file), query.AnalogyEvalOptions{})
			} else {
				_, err = c.EvaluateWordPairs(ctx, strings.NewReader(tc.file), query.PairsEvalOptions{})
			}
			if !errors.Is(err, query.ErrEvalInput) {
				t.Fatalf("%v, want ErrEvalInput", err)
			}
			for _, s := range tc.text {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
		})
	}
}
