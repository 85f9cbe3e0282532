package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"unicode"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// --batch-format values; "" means auto.
const (
	batchAuto   = "auto"   // a stored key, else numbers only: a vector, else a key
	batchKey    = "key"    // every line is a key
	batchVector = "vector" // every line is a vector in the --vector syntax
)

// maxBatchLine is the longest --batch line read: room for a vector of
// several hundred thousand components.
const maxBatchLine = 16 << 20

// batchQuery is one line of a --batch file. Exactly one of key and vec is
// set once resolved.
type batchQuery struct {
	line int    // 1-based line number in the file
	text string // the line without surrounding white space
	key  string
	vec  []float32
}

// batchJSON is one element of the --json output of search --batch.
type batchJSON struct {
	Line    int          `json:"line"`
	Query   string       `json:"query"`
	Results []resultJSON `json:"results"`
}

// readBatch reads the non-blank lines of the --batch file, unresolved.
func (opts *searchOptions) readBatch() ([]batchQuery, error) {
	in := opts.stdin
	if opts.Batch != "-" {
		f, err := os.Open(opts.Batch)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	name := displayName(opts.Batch)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), maxBatchLine)
	var qs []batchQuery
	line := 0
	for sc.Scan() {
		line++
		if t := strings.TrimSpace(sc.Text()); t != "" {
			qs = append(qs, batchQuery{line: line, text: t})
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, invalidErr(fmt.Errorf("%s:%d: line longer than %d bytes", name, line+1, maxBatchLine))
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return qs, nil
}

// resolveBatch decides whether each line is a key or a vector, following
// --batch-format, and checks it against c: a key must exist, a vector must
// have c's dimension (and not be zero under cosine). The first bad line
// gives an error naming it.
func resolveBatch(opts *searchOptions, c *query.Collection, qs []batchQuery) error {
	name := displayName(opts.Batch)
	cfg := c.Config()
	for i := range qs {
		q := &qs[i]
		isVec := opts.BatchFormat == batchVector ||
			opts.BatchFormat != batchKey && !c.Has(q.text) && numbersOnly(q.text)
		if !isVec {
			if !c.Has(q.text) {
				return fmt.Errorf("%s:%d: %w", name, q.line, &query.KeyError{Collection: c.Name(), Key: q.text})
			}
			q.key = q.text
			continue
		}
		v, err := parseVector(q.text)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, q.line, err)
		}
		if len(v) != cfg.Dim {
			return fmt.Errorf("%s:%d: %w", name, q.line, &store.DimensionError{Got: len(v), Want: cfg.Dim})
		}
		if cfg.Metric == query.Cosine && isZero(v) {
			return fmt.Errorf("%s:%d: %w", name, q.line, store.ErrZeroVector)
		}
		q.vec = v
	}
	return nil
}

// numbersOnly reports whether s reads as a vector rather than a key: two or
// more numbers separated by commas or white space, or numbers in brackets.
// A lone number ("1990") is a key.
func numbersOnly(s string) bool {
	bracketed := len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']'
	if bracketed {
		s = s[1 : len(s)-1]
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 || len(fields) == 1 && !bracketed {
		return false
	}
	for _, f := range fields {
		if _, err := strconv.ParseFloat(f, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// searchBatch answers search --batch: the vector lines in one SearchBatch
// call, then the key lines with SearchKey on GOMAXPROCS goroutines, each on
// all cores; the answers are printed in input order.
func searchBatch(ctx context.Context, opts *searchOptions, c *query.Collection, qs []batchQuery, so query.SearchOptions, out io.Writer) error {
	if err := resolveBatch(opts, c, qs); err != nil {
		return err
	}
	res := make([][]query.Result, len(qs))
	var (
		vecs   [][]float32
		vecIdx []int
		keyIdx []int
	)
	for i, q := range qs {
		if q.vec != nil {
			vecs = append(vecs, q.vec)
			vecIdx = append(vecIdx, i)
		} else {
			keyIdx = append(keyIdx, i)
		}
	}
	if len(vecs) > 0 {
		rs, err := c.SearchBatch(ctx, vecs, opts.K, so)
		if err != nil {
			return err
		}
		for j, i := range vecIdx {
			res[i] = rs[j]
		}
	}
	name := displayName(opts.Batch)
	err := forEachParallel(ctx, len(keyIdx), func(j int) error {
		q := qs[keyIdx[j]]
		r, err := c.SearchKey(ctx, q.key, opts.K, so)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, q.line, err)
		}
		res[keyIdx[j]] = r
		return nil
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		js := make([]batchJSON, len(qs))
		for i, q := range qs {
			text := q.key
			if q.vec != nil {
				text = formatVector(q.vec)
			}
			js[i] = batchJSON{Line: q.line, Query: text, Results: resultsJSON(res[i])}
		}
		return writeJSON(out, js)
	}
	return writeBatchResults(out, qs, res, scoreName(c.Config().Metric), opts.Metadata)
}

// forEachParallel calls fn(i) for every i in [0, n) on up to GOMAXPROCS
// goroutines and returns the first error; after one, the remaining calls
// are skipped. A done ctx stops the loop with ctx's error.
func forEachParallel(ctx context.Context, n int, fn func(i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errOnce.Do(func() { firstErr = err })
					cancel()
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return context.Cause(ctx)
}

// writeBatchResults prints batch answers as one table: line, query, rank,
// key, score and, when withMeta, metadata. A vector query is shortened to
// its first three components.
func writeBatchResults(w io.Writer, qs []batchQuery, res [][]query.Result, scoreHeader string, withMeta bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "LINE\tQUERY\tRANK\tKEY\t" + scoreHeader
	if withMeta {
		header += "\tMETADATA"
	}
	fmt.Fprintln(tw, header)
	for i, q := range qs {
		text := tableKey(q.key)
		if q.vec != nil {
			text = shortVector(q.vec)
		}
		for j, r := range res[i] {
			line := fmt.Sprintf("%d\t%s\t%d\t%s\t%.4f", q.line, text, j+1, tableKey(r.Key), r.Score)
			if withMeta {
				line += "\t" + string(r.Metadata)
			}
			fmt.Fprintln(tw, line)
		}
	}
	return tw.Flush()
}

// shortVector formats v as formatVector does, with at most three
// components: "[0.1, -0.2, 0.3, ...]".
func shortVector(v []float32) string {
	if len(v) <= 3 {
		return formatVector(v)
	}
	s := formatVector(v[:3])
	return s[:len(s)-1] + ", ...]"
}
