package query

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

// DefaultEvalRestrict is the vocabulary size the evaluations use when
// their Restrict option is 0, as gensim's restrict_vocab defaults to.
const DefaultEvalRestrict = 300000

// ErrEvalInput is wrapped by errors about an evaluation file that cannot be
// used at all (a question before the first section header, no usable
// pairs).
var ErrEvalInput = errors.New("query: unusable evaluation input")

// AnalogyEvalOptions tunes EvaluateAnalogies. The zero value follows
// gensim's evaluate_word_analogies defaults: 3CosAdd over the first 300,000
// records, case-insensitive, here searched on the HNSW graph.
type AnalogyEvalOptions struct {
	// Restrict is the vocabulary: the first Restrict records in insertion
	// order. 0 means DefaultEvalRestrict.
	Restrict int
	// CaseSensitive matches words as written. By default words are
	// upper-cased, and where case variants collide the first record wins.
	CaseSensitive bool
	// Method is CosAdd (gensim's protocol) or CosMul (most_similar_cosmul,
	// restricted to the same vocabulary).
	Method Method
	// Exact scans the vocabulary instead of searching the graph.
	Exact bool
	// Ef is the graph beam width; 0 means the collection's.
	Ef int
	// Candidates is AnalogyOptions.Candidates for 3CosMul over the graph.
	Candidates int
	// Workers is how many questions run at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, is called now and then with the questions answered
	// and the questions to answer. It must be safe for concurrent use.
	Progress func(done, total int)
}

// SectionScore counts the answered questions of one section (or of a
// group of sections).
type SectionScore struct {
	Name    string `json:"section"`
	Correct int    `json:"correct"`
	Total   int    `json:"total"` // questions answered (skipped ones excluded)
}

// Accuracy returns Correct/Total, or 0 when Total is 0 (as gensim).
func (s SectionScore) Accuracy() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.Correct) / float64(s.Total)
}

// AnalogyReport is the outcome of EvaluateAnalogies.
type AnalogyReport struct {
	Method     string         `json:"method"`
	Exact      bool           `json:"exact"`
	Vocabulary int            `json:"vocabulary"` // records in the restricted vocabulary
	Sections   []SectionScore `json:"sections"`   // in file order
	// Semantic groups the sections whose names do not start with "gram"
	// (the first five of questions-words.txt), Syntactic those that do.
	Semantic  SectionScore `json:"semantic"`
	Syntactic SectionScore `json:"syntactic"`
	// Total is over every section: gensim's "Total accuracy".
	Total SectionScore `json:"total"`
	// Questions counts the well-formed question lines; Skipped those with a
	// word outside the vocabulary (not answered, not in any score).
	Questions int `json:"questions"`
	Skipped   int `json:"skipped"`
	// Malformed counts the non-blank lines that are neither a section
	// header nor four words (ignored, as gensim does); MalformedLines lists
	// the first few line numbers.
	Malformed      int   `json:"malformed"`
	MalformedLines []int `json:"malformed_lines,omitempty"`
}

// maxListedLines caps the line numbers a report lists.
const maxListedLines = 10

// linesNote describes n malformed lines whose first numbers are listed.
func linesNote(n int, lines []int) string {
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = strconv.Itoa(l)
	}
	more := ""
	if n > len(lines) {
		more = ", ..."
	}
	return fmt.Sprintf("%d malformed line(s) (line %s%s)", n, strings.Join(s, ", "), more)
}

// SkippedShare returns Skipped/Questions (gensim logs it as a percentage).
func (r *AnalogyReport) SkippedShare() float64 {
	if r.Questions == 0 {
		return 0
	}
	return float64(r.Skipped) / float64(r.Questions)
}

// vocabulary is the restricted, case-folded view of a collection that the
// evaluations use, as gensim's ok_vocab.
type vocabulary struct {
	ids map[string]uint32 // folded word -> id of its first record
	n   int               // records in the vocabulary
	n0  int               // Restrict as resolved
}

func (c *Collection) vocabulary(restrict int, caseSensitive bool) *vocabulary {
	if restrict <= 0 {
		restrict = DefaultEvalRestrict
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	order := make([]uint32, 0, len(c.ids))
	for _, id := range c.ids {
		order = append(order, id)
	}
	sort.Slice(order, func(i, j int) bool { return c.seqs[order[i]] < c.seqs[order[j]] })
	if len(order) > restrict {
		order = order[:restrict]
	}
	v := &vocabulary{ids: make(map[string]uint32, len(order)), n: len(order), n0: restrict}
	for _, id := range order {
		w := c.keys[id]
		if !caseSensitive {
			w = strings.ToUpper(w)
		}
		if _, ok := v.ids[w]; !ok {
			v.ids[w] = id
		}
	}
	return v
}

type analogyQuestion struct {
	section    int
	a, b, c    uint32
	fa, fb, fc string // folded words
	expected   string // folded
	correct    bool
	line       int
}

// EvaluateAnalogies runs an analogy test set in the format of word2vec's
// questions-words.txt (a line ": name" starts a section; other lines are
// "a b c d", meaning a is to b as c is to d) with gensim's
// evaluate_word_analogies protocol:
//
//   - the vocabulary is the first Restrict records in insertion order;
//   - words are upper-cased unless CaseSensitive, and where case variants
//     collide the first record (the most frequent word) wins;
//   - a line that does not split into 4 words is ignored; a question with a
//     word outside the vocabulary is skipped and counted in Skipped;
//   - the prediction is the best of the top 5 answers to b - a + c
//     (3CosAdd, or 3CosMul with Method) over the vocabulary, the three
//     question words excluded, that is not a case variant of a question
//     word; it is correct when it equals d (case-folded).
//
// Questions run on opts.Workers goroutines. Collection must use cosine for
// the graph to be used; otherwise the scan is exact. A question line before
// the first section header gives an error wrapping ErrEvalInput, and so does
// an input with no question, or none with all four words in the vocabulary
// (nothing to score: gensim would report 0% accuracy). Malformed lines are
// counted in the report. Cost: O(questions·ef·M), O(questions·n) when exact.
func (c *Collection) EvaluateAnalogies(ctx context.Context, r io.Reader, opts AnalogyEvalOptions) (*AnalogyReport, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if err := c.ensureCatalog(ctx); err != nil {
		return nil, err
	}
	voc := c.vocabulary(opts.Restrict, opts.CaseSensitive)
	fold := func(s string) string { return s }
	if !opts.CaseSensitive {
		fold = strings.ToUpper
	}
	rep := &AnalogyReport{Method: opts.Method.String(), Exact: opts.Exact, Vocabulary: voc.n}
	var qs []analogyQuestion
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if strings.HasPrefix(s, ": ") {
			rep.Sections = append(rep.Sections, SectionScore{Name: strings.TrimSpace(strings.TrimLeft(s, ": "))})
			continue
		}
		if len(rep.Sections) == 0 {
			return nil, fmt.Errorf("%w: line %d: question before the first \": section\" header", ErrEvalInput, line)
		}
		f := strings.Fields(s)
		if len(f) != 4 {
			if len(f) > 0 { // gensim: "Skipping invalid line"
				rep.Malformed++
				if len(rep.MalformedLines) < maxListedLines {
					rep.MalformedLines = append(rep.MalformedLines, line)
				}
			}
			continue
		}
		rep.Questions++
		for i := range f {
			f[i] = fold(f[i])
		}
		a, okA := voc.ids[f[0]]
		b, okB := voc.ids[f[1]]
		cc, okC := voc.ids[f[2]]
		_, okD := voc.ids[f[3]]
		if !okA || !okB || !okC || !okD {
			rep.Skipped++
			continue
		}
		qs = append(qs, analogyQuestion{section: len(rep.Sections) - 1, a: a, b: b, c: cc, fa: f[0], fb: f[1], fc: f[2], expected: f[3], line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("query: reading analogies: line %d: %w", line+1, err)
	}
	switch {
	case rep.Questions == 0 && rep.Malformed > 0:
		return nil, fmt.Errorf("%w: no question lines \"a b c d\", only %s", ErrEvalInput, linesNote(rep.Malformed, rep.MalformedLines))
	case rep.Questions == 0:
		return nil, fmt.Errorf("%w: no questions (%d lines, %d section headers)", ErrEvalInput, line, len(rep.Sections))
	case len(qs) == 0:
		return nil, fmt.Errorf("%w: none of the %d questions has all four words in the first %d records", ErrEvalInput, rep.Questions, voc.n)
	}

	aopts := AnalogyOptions{Method: opts.Method, Exact: opts.Exact, Ef: opts.Ef, Restrict: voc.n0, Candidates: opts.Candidates}
	var done atomic.Int64
	err := parallel(ctx, len(qs), opts.Workers, func(i int) error {
		q := &qs[i]
		c.mu.RLock()
		ka, kb, kc := c.keys[q.a], c.keys[q.b], c.keys[q.c]
		c.mu.RUnlock()
		if ka == "" || kb == "" || kc == "" {
			return fmt.Errorf("query: analogies line %d: a word was deleted during the evaluation", q.line)
		}
		e := Expr{Terms: []Term{{Weight: 1, Key: kb}, {Weight: 1, Key: kc}, {Weight: -1, Key: ka}}}
		res, err := c.Analogy(ctx, e, 5, aopts)
		if err != nil {
			return fmt.Errorf("query: analogies line %d: %w", q.line, err)
		}
		// gensim: the first answer in the vocabulary and not a question
		// word; if there is none, the last answer stands.
		var predicted string
		for _, r := range res {
			predicted = fold(r.Key)
			if _, ok := voc.ids[predicted]; ok && predicted != q.fa && predicted != q.fb && predicted != q.fc {
				break
			}
		}
		q.correct = predicted == q.expected
		if d := done.Add(1); opts.Progress != nil && (d%256 == 0 || int(d) == len(qs)) {
			opts.Progress(int(d), len(qs))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		s := &rep.Sections[q.section]
		s.Total++
		if q.correct {
			s.Correct++
		}
	}
	rep.Semantic.Name, rep.Syntactic.Name, rep.Total.Name = "semantic", "syntactic", "Total accuracy"
	for _, s := range rep.Sections {
		g := &rep.Semantic
		if strings.HasPrefix(s.Name, "gram") {
			g = &rep.Syntactic
		}
		g.Correct += s.Correct
		g.Total += s.Total
		rep.Total.Correct += s.Correct
		rep.Total.Total += s.Total
	}
	return rep, nil
}

// PairsEvalOptions tunes EvaluateWordPairs. The zero value follows gensim's
// evaluate_word_pairs defaults.
type PairsEvalOptions struct {
	// Restrict is the vocabulary: the first Restrict records in insertion
	// order. 0 means DefaultEvalRestrict.
	Restrict int
	// CaseSensitive matches words as written; by default they are
	// upper-cased and the first of colliding case variants wins.
	CaseSensitive bool
	// Delimiter separates the fields of a line; "" means a tab.
	Delimiter string
}

// Correlation is a correlation coefficient, or NaN when it is undefined
// (fewer than two pairs, or constant scores). It marshals to JSON as a
// number, or null when undefined (JSON has no NaN).
type Correlation float64

// Defined reports whether the coefficient is a number.
func (r Correlation) Defined() bool {
	return !math.IsNaN(float64(r)) && !math.IsInf(float64(r), 0)
}

// MarshalJSON writes the coefficient, or null when undefined.
func (r Correlation) MarshalJSON() ([]byte, error) {
	if !r.Defined() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(r), 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN, so a report survives a
// JSON round trip (the HTTP client's).
func (r *Correlation) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = Correlation(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("query: correlation %q: %w", b, err)
	}
	*r = Correlation(f)
	return nil
}

// PairsReport is the outcome of EvaluateWordPairs.
type PairsReport struct {
	// Pearson and Spearman correlate the model's cosine similarities with
	// the human scores over the Pairs pairs in the vocabulary (Spearman
	// with average ranks for ties, as scipy's spearmanr). Both are
	// undefined (NaN, JSON null) with fewer than two pairs or constant
	// scores; Undefined then says why.
	Pearson   Correlation `json:"pearson"`
	Spearman  Correlation `json:"spearman"`
	Undefined string      `json:"undefined,omitempty"`
	Pairs     int         `json:"pairs"`
	// OOV counts the pairs with a word outside the vocabulary, skipped.
	OOV int `json:"oov"`
	// ZeroVector counts the pairs skipped because a word's vector is zero
	// (possible under dot and l2), which has no cosine similarity.
	ZeroVector int `json:"zero_vector,omitempty"`
	// Malformed counts the lines that are not "word1, word2, score" with a
	// numeric score (skipped, as gensim does); MalformedLines lists the
	// first few line numbers.
	Malformed      int   `json:"malformed"`
	MalformedLines []int `json:"malformed_lines,omitempty"`
	Vocabulary     int   `json:"vocabulary"`
}

// OOVShare returns OOV/(Pairs+OOV), gensim's "Pairs with unknown words
// ratio" as a fraction.
func (r *PairsReport) OOVShare() float64 {
	if r.Pairs+r.OOV == 0 {
		return 0
	}
	return float64(r.OOV) / float64(r.Pairs+r.OOV)
}

// EvaluateWordPairs correlates cosine similarity with human judgement as
// gensim's evaluate_word_pairs does: lines starting with '#' are comments;
// every other line must split on the delimiter into exactly "word1, word2,
// score" with a numeric score (other lines are counted in Malformed and
// skipped, as gensim skips them; blank lines are ignored); a pair with a
// word outside the vocabulary (the first Restrict records, case-folded
// unless CaseSensitive, first variant winning) is counted in OOV and
// skipped, and so is a pair with a zero vector (ZeroVector). It returns an
// error wrapping ErrEvalInput, naming the malformed lines, when no pair
// can be scored. Cost: O(lines·dim) after an O(n log n) vocabulary sort.
func (c *Collection) EvaluateWordPairs(ctx context.Context, r io.Reader, opts PairsEvalOptions) (*PairsReport, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if err := c.ensureCatalog(ctx); err != nil {
		return nil, err
	}
	voc := c.vocabulary(opts.Restrict, opts.CaseSensitive)
	delim := opts.Delimiter
	if delim == "" {
		delim = "\t"
	}
	rep := &PairsReport{Vocabulary: voc.n}
	var gold, model []float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if line&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		s := sc.Text()
		if strings.HasPrefix(s, "#") || strings.TrimSpace(s) == "" {
			continue
		}
		f := strings.Split(s, delim)
		var score float64
		var err error
		if len(f) == 3 {
			score, err = strconv.ParseFloat(strings.TrimSpace(f[2]), 64)
		}
		if len(f) != 3 || err != nil || math.IsNaN(score) || math.IsInf(score, 0) {
			rep.Malformed++
			if len(rep.MalformedLines) < maxListedLines {
				rep.MalformedLines = append(rep.MalformedLines, line)
			}
			continue
		}
		a, b := f[0], f[1]
		if !opts.CaseSensitive {
			a, b = strings.ToUpper(a), strings.ToUpper(b)
		}
		ia, okA := voc.ids[a]
		ib, okB := voc.ids[b]
		if !okA || !okB {
			rep.OOV++
			continue
		}
		cos := c.cosine(ia, ib)
		if math.IsNaN(cos) {
			rep.ZeroVector++
			continue
		}
		gold = append(gold, score)
		model = append(model, cos)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("query: reading word pairs: line %d: %w", line+1, err)
	}
	if len(gold) == 0 {
		var why []string
		if rep.Malformed > 0 {
			why = append(why, linesNote(rep.Malformed, rep.MalformedLines)+fmt.Sprintf(": want word1%sword2%sscore", delimName(delim), delimName(delim)))
		}
		why = append(why, fmt.Sprintf("%d pair(s) with a word outside the first %d records", rep.OOV, voc.n))
		if rep.ZeroVector > 0 {
			why = append(why, fmt.Sprintf("%d with a zero vector", rep.ZeroVector))
		}
		return nil, fmt.Errorf("%w: no word pair to score: %s", ErrEvalInput, strings.Join(why, "; "))
	}
	rep.Pairs = len(gold)
	rep.Pearson = Correlation(Pearson(gold, model))
	rep.Spearman = Correlation(Spearman(gold, model))
	switch {
	case rep.Pearson.Defined():
	case len(gold) < 2:
		rep.Undefined = "a correlation needs at least 2 scored pairs"
	case variance(gold) == 0:
		rep.Undefined = "the human scores are all equal"
	default:
		rep.Undefined = "the model's similarities are all equal"
	}
	return rep, nil
}

// variance returns the sum of squared deviations from the mean of x.
func variance(x []float64) float64 {
	var m, s float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return s
}

// delimName shows a delimiter in a message.
func delimName(d string) string {
	if d == "\t" {
		return "<TAB>"
	}
	return d
}

// cosine returns the cosine similarity of two records' vectors.
func (c *Collection) cosine(a, b uint32) float64 {
	c.mu.RLock()
	vector, release := c.vectors(c.g) // quant_search.go
	va := append([]float32(nil), vector(a)...)
	vb := vector(b)
	release()
	var dot, na, nb float64
	for i := range va {
		x, y := float64(va[i]), float64(vb[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	c.mu.RUnlock()
	return dot / math.Sqrt(na*nb)
}

// Pearson returns the Pearson correlation coefficient of x and y (equal
// lengths), or NaN when either has no variance or fewer than 2 values.
func Pearson(x, y []float64) float64 {
	n := len(x)
	if n < 2 || len(y) != n {
		return math.NaN()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks, tied values sharing their average rank.
func Spearman(x, y []float64) float64 {
	return Pearson(ranks(x), ranks(y))
}

// ranks returns the 1-based ranks of x, ties averaged.
func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return x[idx[i]] < x[idx[j]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for t := i; t <= j; t++ {
			r[idx[t]] = avg
		}
		i = j + 1
	}
	return r
}
